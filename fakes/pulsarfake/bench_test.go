package pulsarfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

// BenchmarkProduceConsume measures produce + receive + ack of 100-byte
// messages through the real client, one producer and one consumer.
func BenchmarkProduceConsume(b *testing.B) {
	for _, bc := range []struct {
		name     string
		batching bool
	}{{"batching", true}, {"no-batching", false}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := newServer(b)
			cl := newClient(b, srv)
			topic := uniqueTopic(b)
			cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "bench", ReceiverQueueSize: 5000})
			if err != nil {
				b.Fatal(err)
			}
			defer cons.Close()
			p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: !bc.batching,
				BatchingMaxMessages: 1000, BatchingMaxPublishDelay: time.Millisecond, MaxPendingMessages: 10000})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			payload := make([]byte, 100)
			ctx := context.Background()

			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			done := make(chan error, 1)
			go func() {
				for i := 0; i < b.N; i++ {
					m, err := cons.Receive(ctx)
					if err != nil {
						done <- err
						return
					}
					cons.Ack(m)
				}
				done <- nil
			}()
			for i := 0; i < b.N; i++ {
				p.SendAsync(ctx, &pulsar.ProducerMessage{Payload: payload}, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
					if err != nil {
						b.Error(err)
					}
				})
			}
			if err := p.FlushWithCtx(ctx); err != nil {
				b.Fatal(err)
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkStart measures starting and stopping a server.
func BenchmarkStart(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		srv, err := pulsarfake.New()
		if err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}

// BenchmarkStartAndRoundTrip is New + client + producer + consumer + one
// message + Close: what a test pays to use the fake.
func BenchmarkStartAndRoundTrip(b *testing.B) {
	for i := 0; i < b.N; i++ {
		srv, err := pulsarfake.New()
		if err != nil {
			b.Fatal(err)
		}
		cl, err := pulsar.NewClient(pulsar.ClientOptions{URL: srv.ServiceURL(), Logger: clientLogger()})
		if err != nil {
			b.Fatal(err)
		}
		cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: "t", SubscriptionName: "s"})
		if err != nil {
			b.Fatal(err)
		}
		p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "t"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Send(context.Background(), &pulsar.ProducerMessage{Payload: []byte("x")}); err != nil {
			b.Fatal(err)
		}
		m, err := cons.Receive(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		cons.Ack(m)
		p.Close()
		cons.Close()
		cl.Close()
		srv.Close()
	}
}

// BenchmarkSendDataDir measures acknowledged sends of 100-byte messages
// (no batching, so one log record per message) in memory, with a data dir
// and with a data dir plus WithSyncWrites.
func BenchmarkSendDataDir(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts func(dir string) []pulsarfake.Option
	}{
		{"memory", func(string) []pulsarfake.Option { return nil }},
		{"datadir", func(dir string) []pulsarfake.Option { return []pulsarfake.Option{pulsarfake.WithDataDir(dir)} }},
		{"datadir-sync", func(dir string) []pulsarfake.Option {
			return []pulsarfake.Option{pulsarfake.WithDataDir(dir), pulsarfake.WithSyncWrites()}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := newServer(b, bc.opts(b.TempDir())...)
			cl := newClient(b, srv)
			p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic(b), DisableBatching: true,
				MaxPendingMessages: 10000})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			payload := make([]byte, 100)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				p.SendAsync(ctx, &pulsar.ProducerMessage{Payload: payload}, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
					if err != nil {
						b.Error(err)
					}
				})
			}
			if err := p.FlushWithCtx(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

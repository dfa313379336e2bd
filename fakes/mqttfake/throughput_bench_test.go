package mqttfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// Set BROKERKIT_BENCH_MQTT_ADDR=host:port to run the throughput benchmarks
// against another broker (e.g. Mosquitto from .ci/mqtt/start-mosquitto.sh)
// for a side-by-side comparison with the fake.
const benchAddrEnv = "BROKERKIT_BENCH_MQTT_ADDR"

// BenchmarkStart measures New until the broker accepts connections, and
// Close.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s, err := New()
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartToConnack adds a paho.golang client's first CONNACK.
func BenchmarkStartToConnack(b *testing.B) {
	for b.Loop() {
		s, err := New()
		if err != nil {
			b.Fatal(err)
		}
		c := benchClient(b, s.Addr(), "first", nil)
		c.close()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkThroughputQoS0(b *testing.B) { benchBrokers(b, 0, 100_000) }
func BenchmarkThroughputQoS1(b *testing.B) { benchBrokers(b, 1, 20_000) }

// benchBrokers runs the same throughput benchmark, same client, against
// the fake and, when BROKERKIT_BENCH_MQTT_ADDR names one, a real broker, so
// one run prints both side by side (`make bench` starts Debian's mosquitto
// for this when it is installed).
func benchBrokers(b *testing.B, qos byte, n int) {
	b.Run("fake", func(b *testing.B) {
		s, err := New()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		benchThroughput(b, s.Addr(), qos, n)
	})
	if addr := os.Getenv(benchAddrEnv); addr != "" {
		b.Run("mosquitto", func(b *testing.B) { benchThroughput(b, addr, qos, n) })
	}
}

// benchThroughput publishes n 100-byte messages from one paho.golang client
// to another and fails on any loss. QoS 1 is pipelined (paho's AsyncSend,
// bounded by the broker's Receive Maximum). The metric is messages per
// second from the first PUBLISH to the last delivery.
func benchThroughput(b *testing.B, addr string, qos byte, n int) {
	payload := make([]byte, 100)
	var total time.Duration
	for b.Loop() {
		topic := "brokerkit/bench/" + randHex()
		var got atomic.Int64
		done := make(chan struct{})
		sub := benchClient(b, addr, "bench-sub-"+randHex(), func(paho.PublishReceived) (bool, error) {
			if got.Add(1) == int64(n) {
				close(done)
			}
			return true, nil
		})
		pub := benchClient(b, addr, "bench-pub-"+randHex(), nil)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: qos}}}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for range n {
			_, err := pub.PublishWithOptions(ctx, &paho.Publish{Topic: topic, QoS: qos, Payload: payload},
				paho.PublishOptions{Method: paho.PublishMethod_AsyncSend})
			if err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-done:
		case <-ctx.Done():
			b.Fatalf("lost messages: received %d of %d", got.Load(), n)
		}
		total += time.Since(start)
		cancel()
		pub.close()
		sub.close()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "msgs/s")
}

type benchConn struct{ *paho.Client }

func benchClient(b *testing.B, addr, id string, on func(paho.PublishReceived) (bool, error)) benchConn {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	cfg := paho.ClientConfig{ClientID: id, Conn: conn}
	if on != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){on}
	}
	c := paho.NewClient(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 60}); err != nil {
		b.Fatal(err)
	}
	return benchConn{c}
}

func (c benchConn) close() {
	_ = c.Disconnect(&paho.Disconnect{})
	<-c.Done()
}

func randHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

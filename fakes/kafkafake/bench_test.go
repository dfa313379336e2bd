package kafkafake

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkStart measures New + Close of a one-broker fake.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s, err := New()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkProduceConsume pushes 100-byte records through franz-go into one
// partition and reads them back with a direct consumer: records/s end to end.
func BenchmarkProduceConsume(b *testing.B) {
	const n = 100_000
	s, err := New(WithTopic("bench", 1))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		topic := fmt.Sprintf("bench-%d", i)
		if err := s.CreateTopic(topic, 1); err != nil {
			b.Fatal(err)
		}
		d := produceConsume(b, s.Addr(), topic, n)
		b.ReportMetric(float64(n)/d.Seconds(), "records/s")
	}
}

// produceConsume produces n 100-byte records to topic at addr with franz-go
// and reads them back with a direct consumer, returning the time taken.
func produceConsume(b *testing.B, addr, topic string, n int) time.Duration {
	value := make([]byte, 100)
	ctx := context.Background()
	p, _ := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(0))
	c, _ := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer p.Close()
	defer c.Close()
	start := time.Now()
	for range n {
		p.Produce(ctx, &kgo.Record{Topic: topic, Value: value}, nil)
	}
	for got := 0; got < n; {
		fs := c.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			b.Fatal(err)
		}
		got += fs.NumRecords()
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkGroupJoin measures a new consumer joining a group and receiving
// its first record.
func BenchmarkGroupJoin(b *testing.B) {
	s, err := New(WithTopic("join", 4))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	p, _ := kgo.NewClient(kgo.SeedBrokers(s.Addr()))
	defer p.Close()
	if err := p.ProduceSync(ctx, &kgo.Record{Topic: "join", Value: []byte("x")}).FirstErr(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, _ := kgo.NewClient(kgo.SeedBrokers(s.Addr()), kgo.ConsumerGroup(fmt.Sprintf("g-%d", i)),
			kgo.ConsumeTopics("join"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		for {
			fs := c.PollFetches(ctx)
			if fs.NumRecords() > 0 {
				break
			}
		}
		c.Close()
	}
}

// BenchmarkShimOverhead runs the same franz-go workload (100k 100-byte
// records produced and read back) against raw kfake and against kafkafake,
// interleaved in one run, and reports the shim's cost as overhead-%.
func BenchmarkShimOverhead(b *testing.B) {
	const n = 100_000
	raw, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	run := func(addr, topic string, create func() error) time.Duration {
		if err := create(); err != nil {
			b.Fatal(err)
		}
		return produceConsume(b, addr, topic, n)
	}
	var tRaw, tShim time.Duration
	var ratios []float64 // shim/raw of each back-to-back pair
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		topic := fmt.Sprintf("bench-%d", i)
		var dRaw, dShim time.Duration
		rawRun := func() {
			dRaw = run(raw.ListenAddrs()[0], topic, func() error { return raw.CreateTopic(topic, 1, nil) })
		}
		shimRun := func() { dShim = run(s.Addr(), topic, func() error { return s.CreateTopic(topic, 1) }) }
		if i%2 == 0 { // alternate who goes first, so warm-up and noise fall on both
			rawRun()
			shimRun()
		} else {
			shimRun()
			rawRun()
		}
		tRaw, tShim = tRaw+dRaw, tShim+dShim
		ratios = append(ratios, dShim.Seconds()/dRaw.Seconds())
	}
	b.ReportMetric(float64(n*b.N)/tRaw.Seconds(), "kfake-records/s")
	b.ReportMetric(float64(n*b.N)/tShim.Seconds(), "kafkafake-records/s")
	// The median pair is what a shared, noisy machine can measure: one
	// pair hit by another process's burst moves a sum, not a median.
	slices.Sort(ratios)
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "median-overhead-%")
}

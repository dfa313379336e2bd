package kafkafake

import (
	"context"
	"fmt"
	"testing"
	"time"

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
	value := make([]byte, 100)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		topic := fmt.Sprintf("bench-%d", i)
		if err := s.CreateTopic(topic, 1); err != nil {
			b.Fatal(err)
		}
		p, _ := kgo.NewClient(kgo.SeedBrokers(s.Addr()), kgo.ProducerLinger(0))
		c, _ := kgo.NewClient(kgo.SeedBrokers(s.Addr()), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		start := time.Now()
		for j := 0; j < n; j++ {
			p.Produce(ctx, &kgo.Record{Topic: topic, Value: value}, nil)
		}
		got := 0
		for got < n {
			fs := c.PollFetches(ctx)
			if err := fs.Err(); err != nil {
				b.Fatal(err)
			}
			got += fs.NumRecords()
		}
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
		p.Close()
		c.Close()
	}
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

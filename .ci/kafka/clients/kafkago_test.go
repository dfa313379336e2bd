package kafkaclients

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

func TestKafkaGo(t *testing.T) {
	runScenarios(t, newKafkaGoClient(t, loadBroker(t)))
}

type kafkaGoClient struct {
	b         broker
	mechanism sasl.Mechanism // nil without SASL
}

func newKafkaGoClient(t *testing.T, b broker) kafkaGoClient {
	c := kafkaGoClient{b: b}
	var err error
	switch b.mechanism {
	case "":
	case "PLAIN":
		c.mechanism = plain.Mechanism{Username: b.user, Password: b.password}
	case "SCRAM-SHA-256":
		c.mechanism, err = scram.Mechanism(scram.SHA256, b.user, b.password)
	case "SCRAM-SHA-512":
		c.mechanism, err = scram.Mechanism(scram.SHA512, b.user, b.password)
	default:
		t.Fatalf("kafka-go: no SASL mechanism %s", b.mechanism)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c kafkaGoClient) transport() *kafka.Transport {
	return &kafka.Transport{ClientID: "brokerkit-ci-kafka-go", TLS: c.b.tls, SASL: c.mechanism}
}

func (c kafkaGoClient) dialer() *kafka.Dialer {
	return &kafka.Dialer{ClientID: "brokerkit-ci-kafka-go", Timeout: 10 * time.Second, TLS: c.b.tls, SASLMechanism: c.mechanism}
}

func (c kafkaGoClient) admin() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(c.b.addrs...), Transport: c.transport(), Timeout: 10 * time.Second}
}

func (c kafkaGoClient) createTopic(t *testing.T, topic string, partitions int) {
	t.Helper()
	resp, err := c.admin().CreateTopics(context.Background(), &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}},
	})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

func (c kafkaGoClient) deleteTopic(t *testing.T, topic string) {
	t.Helper()
	resp, err := c.admin().DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		t.Fatalf("delete %s: %v", topic, err)
	}
}

func (c kafkaGoClient) topics(t *testing.T) map[string]int {
	t.Helper()
	resp, err := c.admin().Metadata(context.Background(), &kafka.MetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tp := range resp.Topics {
		if tp.Error != nil {
			t.Fatalf("metadata of %s: %v", tp.Name, tp.Error)
		}
		out[tp.Name] = len(tp.Partitions)
	}
	return out
}

func (c kafkaGoClient) produce(t *testing.T, topic string, values []string) {
	t.Helper()
	w := &kafka.Writer{
		Addr: kafka.TCP(c.b.addrs...), Topic: topic, Transport: c.transport(),
		Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond,
	}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Key: []byte(v), Value: []byte(v)}
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// startMember uses kafka-go's ConsumerGroup, which exposes each
// generation's assignment (its Reader with a GroupID hides it): one
// partition Reader per assigned partition, committed through the
// generation.
func (c kafkaGoClient) startMember(t *testing.T, topic, group, name string, l *ledger) func() {
	t.Helper()
	g, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: group, Brokers: c.b.addrs, Dialer: c.dialer(), Topics: []string{topic},
		HeartbeatInterval: 300 * time.Millisecond, SessionTimeout: 6 * time.Second,
		RebalanceTimeout: 10 * time.Second, JoinGroupBackoff: 200 * time.Millisecond,
		StartOffset: kafka.FirstOffset,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			gen, err := g.Next(context.Background())
			switch {
			case errors.Is(err, kafka.ErrGroupClosed):
				return
			case errors.Is(err, kafka.RebalanceInProgress):
				// Reported but not fatal: the group rejoins by itself.
				continue
			case err != nil:
				l.fail(name, err)
				return
			}
			var parts []int32
			for _, a := range gen.Assignments[topic] {
				parts = append(parts, int32(a.ID))
			}
			l.assign(name, parts)
			var readers sync.WaitGroup
			readers.Add(len(gen.Assignments[topic]))
			for _, a := range gen.Assignments[topic] {
				gen.Start(func(ctx context.Context) {
					defer readers.Done()
					c.readPartition(ctx, gen, topic, a, name, l)
				})
			}
			// The generation ends at the next rebalance: revoke.
			gen.Start(func(ctx context.Context) {
				<-ctx.Done()
				readers.Wait()
				l.assign(name, nil)
			})
		}
	}()
	return func() {
		if err := g.Close(); err != nil {
			t.Errorf("%s close: %v", name, err)
		}
		<-done
	}
}

func (c kafkaGoClient) readPartition(ctx context.Context, gen *kafka.Generation, topic string, a kafka.PartitionAssignment, name string, l *ledger) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.b.addrs, Dialer: c.dialer(), Topic: topic, Partition: a.ID, MaxWait: 200 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(a.Offset); err != nil {
		l.fail(name, err)
		return
	}
	for {
		msg, err := r.ReadMessage(ctx)
		if ctx.Err() != nil {
			return
		} else if err != nil {
			l.fail(name, err)
			return
		}
		if err := gen.CommitOffsets(map[string]map[int]int64{topic: {a.ID: msg.Offset + 1}}); err != nil {
			if ctx.Err() == nil {
				l.fail(name, err)
			}
			return
		}
		l.record(name, string(msg.Value))
	}
}

package kafkaclients

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// TestConfluent runs confluent-kafka-go v2.0.2, the last release that
// accepts librdkafka 2.0.2 (Debian bookworm's, linked with -tags dynamic);
// later releases refuse to build against an older librdkafka.
func TestConfluent(t *testing.T) {
	_, version := kafka.LibraryVersion()
	t.Logf("librdkafka %s", version)
	runScenarios(t, confluentClient{loadBroker(t)})
}

type confluentClient struct{ b broker }

func (c confluentClient) config(extra kafka.ConfigMap) *kafka.ConfigMap {
	cfg := kafka.ConfigMap{
		"bootstrap.servers": c.b.addrs[0],
		"client.id":         "brokerkit-ci-confluent",
		"security.protocol": c.b.securityProtocol,
	}
	for _, a := range c.b.addrs[1:] {
		cfg["bootstrap.servers"] = cfg["bootstrap.servers"].(string) + "," + a
	}
	if c.b.mechanism != "" {
		cfg["sasl.mechanisms"], cfg["sasl.username"], cfg["sasl.password"] = c.b.mechanism, c.b.user, c.b.password
	}
	if c.b.caFile != "" {
		cfg["ssl.ca.location"] = c.b.caFile
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return &cfg
}

func (c confluentClient) admin(t *testing.T) *kafka.AdminClient {
	t.Helper()
	a, err := kafka.NewAdminClient(c.config(nil))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// topicResult is the one result's error, or err.
func topicResult(res []kafka.TopicResult, err error) error {
	if err != nil {
		return err
	}
	if len(res) != 1 {
		return fmt.Errorf("%d results, want 1", len(res))
	}
	if res[0].Error.Code() != kafka.ErrNoError {
		return res[0].Error
	}
	return nil
}

func (c confluentClient) createTopic(t *testing.T, topic string, partitions int) {
	t.Helper()
	a := c.admin(t)
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := topicResult(a.CreateTopics(ctx, []kafka.TopicSpecification{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}})); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

func (c confluentClient) deleteTopic(t *testing.T, topic string) {
	t.Helper()
	a := c.admin(t)
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := topicResult(a.DeleteTopics(ctx, []string{topic})); err != nil {
		t.Fatalf("delete %s: %v", topic, err)
	}
}

func (c confluentClient) topics(t *testing.T) map[string]int {
	t.Helper()
	a := c.admin(t)
	defer a.Close()
	md, err := a.GetMetadata(nil, true, 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for name, tp := range md.Topics {
		if tp.Error.Code() != kafka.ErrNoError {
			t.Fatalf("metadata of %s: %v", name, tp.Error)
		}
		out[name] = len(tp.Partitions)
	}
	return out
}

func (c confluentClient) produce(t *testing.T, topic string, values []string) {
	t.Helper()
	p, err := kafka.NewProducer(c.config(kafka.ConfigMap{"acks": "all", "linger.ms": 5}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	delivered := make(chan kafka.Event, len(values))
	for _, v := range values {
		msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny}, Key: []byte(v), Value: []byte(v)}
		if err := p.Produce(msg, delivered); err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
	}
	timeout := time.After(30 * time.Second)
	for range values {
		select {
		case ev := <-delivered:
			if m := ev.(*kafka.Message); m.TopicPartition.Error != nil {
				t.Fatalf("produce to %s: %v", topic, m.TopicPartition.Error)
			}
		case <-timeout:
			t.Fatalf("produce to %s: no delivery report in 30 s", topic)
		}
	}
}

func (c confluentClient) startMember(t *testing.T, topic, group, name string, l *ledger) func() {
	t.Helper()
	cons, err := kafka.NewConsumer(c.config(kafka.ConfigMap{
		"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": false,
		"session.timeout.ms": 6000, "heartbeat.interval.ms": 300, "fetch.wait.max.ms": 200,
	}))
	if err != nil {
		t.Fatal(err)
	}
	// librdkafka serves the rebalance callback from Poll, in the loop below.
	err = cons.SubscribeTopics([]string{topic}, func(_ *kafka.Consumer, ev kafka.Event) error {
		switch e := ev.(type) {
		case kafka.AssignedPartitions:
			var parts []int32
			for _, tp := range e.Partitions {
				parts = append(parts, tp.Partition)
			}
			l.assign(name, parts)
		case kafka.RevokedPartitions:
			l.assign(name, nil)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			switch e := cons.Poll(100).(type) {
			case *kafka.Message:
				if e.TopicPartition.Error != nil {
					l.fail(name, e.TopicPartition.Error)
					return
				}
				if _, err := cons.CommitMessage(e); err != nil {
					l.fail(name, err)
					return
				}
				l.record(name, string(e.Value))
			case kafka.Error:
				// librdkafka retries transient errors itself.
				if e.IsFatal() {
					l.fail(name, e)
					return
				}
				t.Logf("%s: %v", name, e)
			}
		}
	}()
	return func() {
		cancel()
		<-done
		if err := cons.Close(); err != nil {
			t.Errorf("%s close: %v", name, err)
		}
	}
}

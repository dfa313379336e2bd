package kafkaclients

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

func TestSarama(t *testing.T) {
	runScenarios(t, saramaClient{loadBroker(t)})
}

type saramaClient struct{ b broker }

func (c saramaClient) config() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_9_0_0
	cfg.ClientID = "brokerkit-ci-sarama"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Return.Errors = true
	// Short heartbeats so members notice a rebalance quickly; 6 s is
	// Kafka's smallest group.min.session.timeout.ms.
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	cfg.Consumer.MaxWaitTime = 200 * time.Millisecond
	if c.b.tls != nil {
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = c.b.tls
	}
	if c.b.mechanism != "" {
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.User, cfg.Net.SASL.Password = c.b.user, c.b.password
		cfg.Net.SASL.Mechanism = sarama.SASLMechanism(c.b.mechanism)
		switch c.b.mechanism {
		case sarama.SASLTypeSCRAMSHA256:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &xdgSCRAM{hash: scram.HashGeneratorFcn(sha256.New)} }
		case sarama.SASLTypeSCRAMSHA512:
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &xdgSCRAM{hash: scram.HashGeneratorFcn(sha512.New)} }
		}
	}
	return cfg
}

func (c saramaClient) admin(t *testing.T) sarama.ClusterAdmin {
	t.Helper()
	a, err := sarama.NewClusterAdmin(c.b.addrs, c.config())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (c saramaClient) createTopic(t *testing.T, topic string, partitions int) {
	t.Helper()
	a := c.admin(t)
	defer a.Close()
	if err := a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: int32(partitions), ReplicationFactor: 1}, false); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

func (c saramaClient) deleteTopic(t *testing.T, topic string) {
	t.Helper()
	a := c.admin(t)
	defer a.Close()
	if err := a.DeleteTopic(topic); err != nil {
		t.Fatalf("delete %s: %v", topic, err)
	}
}

func (c saramaClient) topics(t *testing.T) map[string]int {
	t.Helper()
	a := c.admin(t)
	defer a.Close()
	list, err := a.ListTopics()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for name, d := range list {
		out[name] = int(d.NumPartitions)
	}
	return out
}

func (c saramaClient) produce(t *testing.T, topic string, values []string) {
	t.Helper()
	p, err := sarama.NewSyncProducer(c.b.addrs, c.config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, len(values))
	for i, v := range values {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(v), Value: sarama.StringEncoder(v)}
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

func (c saramaClient) startMember(t *testing.T, topic, group, name string, l *ledger) func() {
	t.Helper()
	g, err := sarama.NewConsumerGroup(c.b.addrs, group, c.config())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		for err := range g.Errors() {
			l.fail(name, err)
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		// Consume returns at every rebalance; call it again to rejoin.
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, saramaMember{name: name, topic: topic, l: l}); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
				l.fail(name, err)
				return
			}
		}
	}()
	return func() {
		cancel()
		if err := g.Close(); err != nil {
			t.Errorf("%s close: %v", name, err)
		}
		<-done
		<-done
	}
}

type saramaMember struct {
	name, topic string
	l           *ledger
}

func (m saramaMember) Setup(s sarama.ConsumerGroupSession) error {
	m.l.assign(m.name, s.Claims()[m.topic])
	return nil
}

func (m saramaMember) Cleanup(sarama.ConsumerGroupSession) error {
	m.l.assign(m.name, nil)
	return nil
}

func (m saramaMember) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		s.MarkMessage(msg, "")
		s.Commit() // synchronous with auto-commit off; errors go to Errors()
		m.l.record(m.name, string(msg.Value))
	}
	return nil
}

// xdgSCRAM is sarama's SCRAMClient on xdg-go/scram, as sarama's examples do.
type xdgSCRAM struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (x *xdgSCRAM) Begin(user, password, authzID string) error {
	cl, err := x.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	x.conv = cl.NewConversation()
	return nil
}

func (x *xdgSCRAM) Step(challenge string) (string, error) { return x.conv.Step(challenge) }
func (x *xdgSCRAM) Done() bool                            { return x.conv.Done() }

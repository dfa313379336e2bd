package pulsarfake_test

import (
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/stretchr/testify/require"
)

func TestNackRedeliveryAndDeadLetter(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	dlq := topic + "-DLQ"
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{
		Topic: topic, SubscriptionName: "s", Type: pulsar.Shared,
		NackRedeliveryDelay: 20 * time.Millisecond,
		DLQ:                 &pulsar.DLQPolicy{MaxDeliveries: 3, DeadLetterTopic: dlq, InitialSubscriptionName: "dlq-sub"},
	})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("poison"), Properties: map[string]string{"x": "y"}})

	for want := uint32(0); want < 3; want++ {
		m := receive(t, cons, 1, false)[0]
		require.Equal(t, "poison", string(m.Payload()))
		require.Equal(t, want, m.RedeliveryCount())
		cons.Nack(m)
	}
	expectNothing(t, cons, 300*time.Millisecond)

	// The client moved it to the dead letter topic and acknowledged it.
	dl, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: dlq, SubscriptionName: "dlq-sub"})
	require.NoError(t, err)
	defer dl.Close()
	m := receive(t, dl, 1, true)[0]
	require.Equal(t, "poison", string(m.Payload()))
	require.Equal(t, "y", m.Properties()["x"])
	require.Equal(t, topic, m.Properties()["REAL_TOPIC"])
	require.Eventually(t, func() bool { return srv.Backlog(topic, "s") == 0 }, 5*time.Second, 10*time.Millisecond)
}

func TestRetryLetterTopic(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{
		Topic: topic, SubscriptionName: "s", Type: pulsar.Shared, RetryEnable: true,
		DLQ: &pulsar.DLQPolicy{MaxDeliveries: 2},
	})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("again")})

	m := receive(t, cons, 1, false)[0]
	start := time.Now()
	cons.ReconsumeLater(m, 300*time.Millisecond)
	m = receive(t, cons, 1, false)[0]
	require.Equal(t, "again", string(m.Payload()))
	require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "redelivered early")
	require.Equal(t, "1", m.Properties()["RECONSUMETIMES"])
	cons.Ack(m)
}

func TestNackOnExclusiveRewinds(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", NackRedeliveryDelay: 20 * time.Millisecond})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(2, "m")...)
	got := receive(t, cons, 2, false)
	cons.Ack(got[1])
	cons.Nack(got[0])
	m := receive(t, cons, 1, true)[0]
	require.Equal(t, "m-0", string(m.Payload()))
	// Single-active dispatchers do not count redeliveries.
	require.EqualValues(t, 0, m.RedeliveryCount())
}

func TestBatchIndexAck(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared,
		EnableBatchIndexAcknowledgment: true, AckGroupingOptions: &pulsar.AckGroupingOptions{MaxSize: 0}}
	cons, err := cl.Subscribe(opts)
	require.NoError(t, err)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, BatchingMaxMessages: 5, BatchingMaxPublishDelay: time.Second})
	require.NoError(t, err)
	defer p.Close()
	for _, m := range payloads(5, "b") {
		p.SendAsync(ctxT(t), m, nil)
	}
	require.NoError(t, p.FlushWithCtx(ctxT(t)))
	got := receive(t, cons, 5, false)
	for i, m := range got {
		require.Equal(t, got[0].ID().EntryID(), m.ID().EntryID(), "one batch")
		if i%2 == 0 {
			require.NoError(t, cons.Ack(m))
		}
	}
	require.Eventually(t, func() bool { return srv.Backlog(topic, "s") == 2 }, 5*time.Second, 10*time.Millisecond)
	cons.Close()

	// Only the unacknowledged messages of the batch come back.
	cons2, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer cons2.Close()
	require.Equal(t, []string{"b-1", "b-3"}, strs(receive(t, cons2, 2, true)))
	expectNothing(t, cons2, 200*time.Millisecond)
}

func TestAckWithResponse(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", AckWithResponse: true})
	require.NoError(t, err)
	defer cons.Close()
	require.NoError(t, srv.Seed(topic, "x"))
	m := receive(t, cons, 1, false)[0]
	require.NoError(t, cons.Ack(m)) // waits for ACK_RESPONSE
	require.EqualValues(t, 0, srv.Backlog(topic, "s"))
}

func TestFailoverSpreadsPartitions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	require.NoError(t, srv.CreateTopic("persistent://public/default/fo-parted", 2))
	cl := newClient(t, srv)
	opts := pulsar.ConsumerOptions{Topic: "persistent://public/default/fo-parted", SubscriptionName: "s", Type: pulsar.Failover}
	c1, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c1.Close()
	c2, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c2.Close()
	require.Eventually(t, func() bool {
		actives := map[string]bool{}
		for _, si := range srv.Subscriptions("persistent://public/default/fo-parted") {
			if si.Active != "" {
				actives[si.Active] = true
			}
		}
		return len(actives) == 2
	}, 5*time.Second, 10*time.Millisecond)
}

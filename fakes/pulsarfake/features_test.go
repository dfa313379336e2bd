package pulsarfake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

type user struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

const userV1 = `{"type":"record","name":"User","namespace":"test","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"}]}`

func TestSchemaRegistryAndCompatibility(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewJSONSchema(userV1, nil)})
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Value: &user{ID: 7, Name: "ann"}})
	require.NoError(t, err)

	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, Schema: pulsar.NewJSONSchema(userV1, nil)})
	require.NoError(t, err)
	defer cons.Close()
	m := receive(t, cons, 1, true)[0]
	var u user
	require.NoError(t, m.GetSchemaValue(&u))
	require.Equal(t, user{7, "ann"}, u)

	// Adding a field without a default breaks FULL compatibility.
	bad := `{"type":"record","name":"User","namespace":"test","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"age","type":"int"}]}`
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewJSONSchema(bad, nil)})
	require.ErrorContains(t, err, "IncompatibleSchema")
	// With a default it is fine.
	good := `{"type":"record","name":"User","namespace":"test","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}`
	p2, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewJSONSchema(good, nil)})
	require.NoError(t, err)
	p2.Close()
	// A different schema type is refused.
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewStringSchema(nil)})
	require.ErrorContains(t, err, "IncompatibleSchema")
	// Plain bytes producers are always accepted.
	p3, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	p3.Close()
}

func TestAutoTopicCreationOff(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithAutoTopicCreation(false))
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.OperationTimeout = 2 * time.Second })
	_, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "missing"})
	require.ErrorContains(t, err, "TopicNotFound")
	_, err = cl.Subscribe(pulsar.ConsumerOptions{Topic: "missing", SubscriptionName: "s"})
	require.ErrorContains(t, err, "TopicNotFound")
	require.NoError(t, srv.CreateTopic("present", 0))
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "present"})
	require.NoError(t, err)
	p.Close()
	require.NoError(t, srv.CreateTopic("parts", 2))
	p, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: "parts"})
	require.NoError(t, err)
	p.Close()
}

func TestAutoCreatedPartitions(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithAutoCreatedPartitions(3))
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	parts, err := cl.TopicPartitions(topic)
	require.NoError(t, err)
	require.Len(t, parts, 3)
}

func TestNonPersistentTopic(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := "non-persistent://public/default/np-" + strings.ReplaceAll(t.Name(), "/", "-")
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(2, "lost")...) // nobody listens: dropped
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	require.NoError(t, err)
	defer cons.Close()
	// Non-persistent messages only reach consumers that have permits.
	require.Eventually(t, func() bool {
		cs := srv.Consumers(topic)
		return len(cs) == 1 && cs[0].Permits > 0
	}, 5*time.Second, 5*time.Millisecond)
	produce(t, p, payloads(2, "live")...)
	require.Equal(t, []string{"live-0", "live-1"}, strs(receive(t, cons, 2, true)))
	expectNothing(t, cons, 100*time.Millisecond)
	msgs, err := srv.Messages(topic)
	require.NoError(t, err)
	require.Empty(t, msgs)
}

func TestProducerNamesAndAccessModes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.OperationTimeout = 2 * time.Second })
	topic := uniqueTopic(t)
	p1, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Name: "fixed"})
	require.NoError(t, err)
	require.Equal(t, "fixed", p1.Name())
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Name: "fixed"})
	require.ErrorContains(t, err, "ProducerBusy")
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, ProducerAccessMode: pulsar.ProducerAccessModeExclusive})
	require.ErrorContains(t, err, "ProducerFenced", "an exclusive producer meeting shared ones is fenced")
	p2, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(p2.Name(), "standalone-0-"), p2.Name())
	p1.Close()
	p2.Close()

	topic2 := uniqueTopic(t)
	ex, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic2, ProducerAccessMode: pulsar.ProducerAccessModeExclusive})
	require.NoError(t, err)
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic2})
	require.ErrorContains(t, err, "ProducerBusy")
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic2, ProducerAccessMode: pulsar.ProducerAccessModeExclusive})
	require.ErrorContains(t, err, "ProducerFenced", "a second exclusive producer is fenced")
	ex.Close()
}

// The Go client sends its BYTES schema (type NONE, with properties); the
// broker registers it, and consumers resolve the version messages carry.
func TestBytesSchemaVersion(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewBytesSchema(map[string]string{"k": "v"})})
	require.NoError(t, err)
	defer p.Close()
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s",
		Schema: pulsar.NewBytesSchema(nil), SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	require.NoError(t, err)
	defer cons.Close()
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Value: []byte("raw")})
	require.NoError(t, err)
	msg, err := cons.Receive(ctxT(t))
	require.NoError(t, err)
	require.Len(t, msg.SchemaVersion(), 8)
	var out []byte
	require.NoError(t, msg.GetSchemaValue(&out))
	require.Equal(t, []byte("raw"), out)
}

func TestChunkedMessage(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true, EnableChunking: true, ChunkMaxMessageSize: 1000})
	require.NoError(t, err)
	defer p.Close()
	big := strings.Repeat("0123456789", 450)
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte(big)})
	m := receive(t, cons, 1, true)[0]
	require.Equal(t, big, string(m.Payload()))
}

func TestMessageTooLarge(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithMaxMessageSize(64<<10))
	cl := newClient(t, srv)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic(t), DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Payload: make([]byte, 100<<10)})
	require.ErrorIs(t, err, pulsar.ErrMessageTooLarge)
}

func TestTransactions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.EnableTransaction = true })
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true, SendTimeout: -1})
	require.NoError(t, err)
	defer p.Close()

	txn, err := cl.NewTransaction(time.Minute)
	require.NoError(t, err)
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Payload: []byte("in-txn"), Transaction: txn})
	require.NoError(t, err)
	expectNothing(t, cons, 200*time.Millisecond)
	require.NoError(t, txn.Commit(ctxT(t)))
	m := receive(t, cons, 1, false)[0]
	require.Equal(t, "in-txn", string(m.Payload()))

	aborted, err := cl.NewTransaction(time.Minute)
	require.NoError(t, err)
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Payload: []byte("aborted"), Transaction: aborted})
	require.NoError(t, err)
	require.NoError(t, aborted.Abort(ctxT(t)))
	produce(t, p, payloads(1, "plain")...)
	require.Equal(t, []string{"plain-0"}, strs(receive(t, cons, 1, true)))

	// A transactional ack applies on commit.
	ackTxn, err := cl.NewTransaction(time.Minute)
	require.NoError(t, err)
	require.NoError(t, cons.AckWithTxn(m, ackTxn))
	require.Eventually(t, func() bool { return srv.Backlog(topic, "s") == 1 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(150 * time.Millisecond) // past the ack grouping window: still not applied
	require.EqualValues(t, 1, srv.Backlog(topic, "s"))
	require.NoError(t, ackTxn.Commit(ctxT(t)))
	require.Eventually(t, func() bool { return srv.Backlog(topic, "s") == 0 }, 5*time.Second, 10*time.Millisecond)
}

func TestTransactionsDisabled(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTransactionCoordinators(0))
	_, err := pulsar.NewClient(pulsar.ClientOptions{URL: srv.ServiceURL(), EnableTransaction: true, Logger: clientLogger(),
		OperationTimeout: 2 * time.Second})
	require.Error(t, err)
}

func TestPublishAndInspect(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	topic := uniqueTopic(t)
	ids, err := srv.Publish(topic, pulsarfake.Message{Payload: []byte("p"), Key: "k", Properties: map[string]string{"a": "1"}})
	require.NoError(t, err)
	require.Len(t, ids, 1)
	cl := newClient(t, srv)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	require.NoError(t, err)
	defer cons.Close()
	m := receive(t, cons, 1, false)[0]
	require.Equal(t, "p", string(m.Payload()))
	require.Equal(t, "k", m.Key())
	require.Equal(t, "1", m.Properties()["a"])

	subs := srv.Subscriptions(topic)
	require.Len(t, subs, 1)
	require.Equal(t, 1, subs[0].Unacked)
	require.Len(t, subs[0].Consumers, 1)

	// Messages decodes what the client batched and compressed.
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, CompressionType: pulsar.ZSTD})
	require.NoError(t, err)
	defer p.Close()
	p.SendAsync(ctxT(t), &pulsar.ProducerMessage{Payload: []byte("z1"), Key: "k1"}, nil)
	p.SendAsync(ctxT(t), &pulsar.ProducerMessage{Payload: []byte("z2"), Key: "k2"}, nil)
	require.NoError(t, p.FlushWithCtx(ctxT(t)))
	msgs, err := srv.Messages(topic)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	require.Equal(t, "z2", string(msgs[2].Payload))
	require.Equal(t, "k2", msgs[2].Key)
	require.EqualValues(t, 1, msgs[2].ID.BatchIndex)
	require.Len(t, srv.Producers(topic), 1)
}

func TestConsumeWithContextCancel(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: uniqueTopic(t), SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = cons.Receive(ctx)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	c1, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	require.NoError(t, err)
	c2, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	require.NoError(t, err)
	require.ErrorContains(t, c1.Unsubscribe(), "ConsumerBusy")
	c2.Close()
	require.NoError(t, c1.Unsubscribe())
	require.Empty(t, srv.Subscriptions(topic))
	c1.Close()
}

func TestWaitForExclusiveProducer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	first, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, ProducerAccessMode: pulsar.ProducerAccessModeExclusive})
	require.NoError(t, err)
	ready := make(chan pulsar.Producer, 1)
	go func() {
		p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, ProducerAccessMode: pulsar.ProducerAccessModeWaitForExclusive})
		if err == nil {
			ready <- p
		}
		close(ready)
	}()
	select {
	case <-ready:
		t.Fatal("second exclusive producer became ready while the first is connected")
	case <-time.After(200 * time.Millisecond):
	}
	first.Close()
	select {
	case p, ok := <-ready:
		require.True(t, ok, "waiting producer failed")
		produce(t, p, payloads(1, "x")...)
		p.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("waiting producer never became ready")
	}
}

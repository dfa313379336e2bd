package pulsarfake_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

func TestSeekByMessageIDAndTime(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	ids := produce(t, p, payloads(3, "a")...)
	time.Sleep(20 * time.Millisecond)
	mid := time.Now()
	time.Sleep(20 * time.Millisecond)
	produce(t, p, payloads(2, "b")...)
	receive(t, cons, 5, true)

	// The broker resets the cursor to the entry; the client then treats the
	// seek id as already seen and starts after it.
	require.NoError(t, cons.Seek(ids[1]))
	require.Equal(t, []string{"a-2", "b-0", "b-1"}, strs(receive(t, cons, 3, true)))

	require.NoError(t, cons.SeekByTime(mid))
	require.Equal(t, []string{"b-0", "b-1"}, strs(receive(t, cons, 2, true)))
	expectNothing(t, cons, 200*time.Millisecond)
}

func TestReaderStartPositionsAndHasNext(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)

	// An empty topic has nothing next.
	r0, err := cl.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
	require.NoError(t, err)
	require.False(t, r0.HasNext())
	r0.Close()

	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	var ids []pulsar.MessageID
	for _, m := range payloads(5, "m") {
		p.SendAsync(ctxT(t), m, func(id pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
			require.NoError(t, err)
			ids = append(ids, id)
		})
	}
	require.NoError(t, p.FlushWithCtx(ctxT(t))) // one batch of five

	readAll := func(r pulsar.Reader) []string {
		var out []string
		for r.HasNext() {
			m, err := r.Next(ctxT(t))
			require.NoError(t, err)
			out = append(out, string(m.Payload()))
		}
		return out
	}
	r, err := cl.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
	require.NoError(t, err)
	require.Equal(t, []string{"m-0", "m-1", "m-2", "m-3", "m-4"}, readAll(r))
	r.Close()

	r, err = cl.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: ids[2]})
	require.NoError(t, err)
	require.Equal(t, []string{"m-3", "m-4"}, readAll(r))
	r.Close()

	r, err = cl.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: ids[2], StartMessageIDInclusive: true})
	require.NoError(t, err)
	require.Equal(t, []string{"m-2", "m-3", "m-4"}, readAll(r))
	r.Close()

	r, err = cl.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.LatestMessageID()})
	require.NoError(t, err)
	require.False(t, r.HasNext())
	produce(t, p, payloads(1, "late")...)
	m, err := r.Next(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "late-0", string(m.Payload()))
	r.Close()

	// Readers leave no subscription behind.
	require.Eventually(t, func() bool { return len(srv.Subscriptions(topic)) == 0 }, 5*time.Second, 10*time.Millisecond)
}

func TestDelayedDeliveryWithManualClock(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(time.Now())
	srv := newServer(t, pulsarfake.WithClock(clk))
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p,
		&pulsar.ProducerMessage{Payload: []byte("later"), DeliverAfter: time.Hour},
		&pulsar.ProducerMessage{Payload: []byte("now")})
	require.Equal(t, []string{"now"}, strs(receive(t, cons, 1, true)))
	clk.Advance(59 * time.Minute)
	expectNothing(t, cons, 200*time.Millisecond)
	clk.Advance(2 * time.Minute)
	require.Equal(t, []string{"later"}, strs(receive(t, cons, 1, true)))
}

func TestDelayedDeliveryRealClock(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	start := time.Now()
	produce(t, p, &pulsar.ProducerMessage{Payload: []byte("x"), DeliverAfter: 300 * time.Millisecond})
	m := receive(t, cons, 1, true)[0]
	// deliver_at_time has millisecond resolution: the client truncates it.
	require.GreaterOrEqual(t, time.Since(start), 299*time.Millisecond)
	require.Equal(t, "x", string(m.Payload()))
}

func TestPartitionedTopicPerKeyOrder(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	require.NoError(t, srv.CreateTopic("persistent://public/default/parted", 4))
	cl := newClient(t, srv)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: "parted", SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "parted"})
	require.NoError(t, err)
	defer p.Close()
	const keys, per = 8, 25
	for i := 0; i < per; i++ {
		for k := 0; k < keys; k++ {
			p.SendAsync(ctxT(t), &pulsar.ProducerMessage{Key: fmt.Sprintf("k%d", k), Payload: []byte(fmt.Sprint(i))}, nil)
		}
	}
	require.NoError(t, p.FlushWithCtx(ctxT(t)))
	next := map[string]int{}
	partitions := map[string]string{}
	for _, m := range receive(t, cons, keys*per, true) {
		var n int
		fmt.Sscan(string(m.Payload()), &n)
		require.Equal(t, next[m.Key()], n, "key %s out of order", m.Key())
		next[m.Key()]++
		if prev, ok := partitions[m.Key()]; ok {
			require.Equal(t, prev, m.Topic(), "key %s moved partitions", m.Key())
		}
		partitions[m.Key()] = m.Topic()
	}
	used := map[string]bool{}
	for _, pt := range partitions {
		used[pt] = true
	}
	require.Greater(t, len(used), 1)
	msgs, err := srv.Messages("parted")
	require.NoError(t, err)
	require.Len(t, msgs, keys*per)
}

func TestRegexSubscription(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	prefix := fmt.Sprintf("rx%d", time.Now().UnixNano()%1e6)
	require.NoError(t, srv.CreateTopic("persistent://public/default/"+prefix+"-parted", 2))
	require.NoError(t, srv.Seed(prefix+"-a", "a1"))
	require.NoError(t, srv.Seed(prefix+"-b", "b1"))
	require.NoError(t, srv.Seed("other-"+prefix, "no"))
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{
		TopicsPattern: "persistent://public/default/" + prefix + "-.*", SubscriptionName: "s",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
	})
	require.NoError(t, err)
	defer cons.Close()
	_, err = srv.Publish(prefix+"-parted", pulsarfake.Message{Payload: []byte("p1"), Key: "x"})
	require.NoError(t, err)
	got := strs(receive(t, cons, 3, true))
	sort.Strings(got)
	require.Equal(t, []string{"a1", "b1", "p1"}, got)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if m, err := cons.Receive(ctx); err == nil {
		t.Fatalf("unexpected %q from %s", m.Payload(), m.Topic())
	}
	for _, c := range srv.Consumers(prefix + "-a") {
		require.True(t, strings.HasSuffix(c.Topic, prefix+"-a"))
	}
}

func TestMultiTopicConsumer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	t1, t2 := uniqueTopic(t), uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topics: []string{t1, t2}, SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	require.NoError(t, srv.Seed(t1, "one"))
	require.NoError(t, srv.Seed(t2, "two"))
	got := strs(receive(t, cons, 2, true))
	sort.Strings(got)
	require.Equal(t, []string{"one", "two"}, got)
}

package pulsarfake_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/stretchr/testify/require"
)

func TestExclusiveRejectsSecondConsumer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	c1, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Exclusive})
	require.NoError(t, err)
	defer c1.Close()
	_, err = cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Exclusive})
	require.Error(t, err)
	require.Contains(t, err.Error(), "ConsumerBusy")
	// A different type on a subscription with consumers is refused too.
	_, err = cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	require.ErrorContains(t, err, "ConsumerBusy")
}

func TestSharedSpreadsMessages(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared, ReceiverQueueSize: 5}
	c1, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c1.Close()
	c2, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c2.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(40, "m")...)

	seen := map[string]int{}
	counts := make([]int, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for total := 0; total < 40; total++ {
		var m pulsar.ConsumerMessage
		select {
		case m = <-c1.Chan():
			counts[0]++
		case m = <-c2.Chan():
			counts[1]++
		case <-ctx.Done():
			t.Fatalf("received %d of 40", total)
		}
		m.Consumer.Ack(m.Message)
		seen[string(m.Payload())]++
	}
	expectNothing(t, c1, 100*time.Millisecond)
	require.Len(t, seen, 40)
	for k, v := range seen {
		require.Equal(t, 1, v, k)
	}
	require.Greater(t, counts[0], 0)
	require.Greater(t, counts[1], 0)
}

func TestFailoverActiveConsumerAndTakeover(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	events := make(chan string, 10)
	listener := func(name string) pulsar.ConsumerEventListener {
		return eventListener{name: name, ch: events}
	}
	c1, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Failover, Name: "a", EventListener: listener("a")})
	require.NoError(t, err)
	c2, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Failover, Name: "b", EventListener: listener("b")})
	require.NoError(t, err)
	defer c2.Close()
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case e := <-events:
			got[e] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far: %v", got)
		}
	}
	require.True(t, got["a:active"], "%v", got)
	require.True(t, got["b:inactive"], "%v", got)

	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(3, "m")...)
	receive(t, c1, 3, false) // not acknowledged
	expectNothing(t, c2, 200*time.Millisecond)
	c1.Close()
	select {
	case e := <-events:
		require.Equal(t, "b:active", e)
	case <-time.After(5 * time.Second):
		t.Fatal("b never became active")
	}
	require.Equal(t, []string{"m-0", "m-1", "m-2"}, strs(receive(t, c2, 3, true)))
}

type eventListener struct {
	name string
	ch   chan string
}

func (l eventListener) BecameActive(pulsar.Consumer, string, int32) { l.ch <- l.name + ":active" }
func (l eventListener) BecameInactive(pulsar.Consumer, string, int32) {
	l.ch <- l.name + ":inactive"
}

func TestKeySharedKeepsKeyOnOneConsumer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.KeyShared}
	var cons []pulsar.Consumer
	for i := 0; i < 3; i++ {
		c, err := cl.Subscribe(opts)
		require.NoError(t, err)
		defer c.Close()
		cons = append(cons, c)
	}
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, BatcherBuilderType: pulsar.KeyBasedBatchBuilder})
	require.NoError(t, err)
	defer p.Close()
	for i := 0; i < 200; i++ {
		p.SendAsync(ctxT(t), &pulsar.ProducerMessage{Key: fmt.Sprintf("key-%d", i%10), Payload: []byte(fmt.Sprint(i))}, nil)
	}
	require.NoError(t, p.FlushWithCtx(ctxT(t)))

	owner := map[string]int{}
	last := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, c := range cons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := c.Receive(ctx)
				if err != nil {
					return
				}
				c.Ack(m)
				var n int
				fmt.Sscan(string(m.Payload()), &n)
				mu.Lock()
				if o, ok := owner[m.Key()]; ok && o != i {
					t.Errorf("key %s on consumers %d and %d", m.Key(), o, i)
				}
				owner[m.Key()] = i
				if l, ok := last[m.Key()]; ok && l >= n {
					t.Errorf("key %s out of order: %d after %d", m.Key(), n, l)
				}
				last[m.Key()] = n
				total++
				if total == 200 {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 200, total)
	used := map[int]bool{}
	for _, o := range owner {
		used[o] = true
	}
	require.Greater(t, len(used), 1, "all keys went to one consumer")
}

func TestInitialPosition(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(3, "old")...)
	latest, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "latest"})
	require.NoError(t, err)
	defer latest.Close()
	earliest, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "earliest",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	require.NoError(t, err)
	defer earliest.Close()
	produce(t, p, payloads(1, "new")...)
	require.Equal(t, []string{"new-0"}, strs(receive(t, latest, 1, true)))
	require.Equal(t, []string{"old-0", "old-1", "old-2", "new-0"}, strs(receive(t, earliest, 4, true)))
}

func TestUnackedRedeliveredAfterConsumerClose(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared}
	c1, err := cl.Subscribe(opts)
	require.NoError(t, err)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(4, "m")...)
	got := receive(t, c1, 4, false)
	require.NoError(t, c1.Ack(got[0]))
	require.NoError(t, c1.Ack(got[1]))
	c1.Close() // flushes the two acks first

	c2, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c2.Close()
	again := receive(t, c2, 2, true)
	require.Equal(t, []string{"m-2", "m-3"}, strs(again))
	require.EqualValues(t, 1, again[0].RedeliveryCount())
	expectNothing(t, c2, 200*time.Millisecond)
}

func TestCumulativeAck(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Exclusive}
	c1, err := cl.Subscribe(opts)
	require.NoError(t, err)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(6, "m")...)
	got := receive(t, c1, 6, false)
	require.NoError(t, c1.AckCumulative(got[3]))
	c1.Close()
	require.Eventually(t, func() bool { return srv.Backlog(topic, "s") == 2 }, 5*time.Second, 10*time.Millisecond)

	c2, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c2.Close()
	require.Equal(t, []string{"m-4", "m-5"}, strs(receive(t, c2, 2, true)))
}

func TestKeySharedNewConsumerWaitsForEarlierAcks(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.KeyShared,
		AckGroupingOptions: &pulsar.AckGroupingOptions{MaxSize: 0}}
	c1, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c1.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	send := func(from, to int) {
		for i := from; i < to; i++ {
			produce(t, p, &pulsar.ProducerMessage{Key: fmt.Sprintf("k%d", i%10), Payload: []byte(fmt.Sprint(i))})
		}
	}
	send(0, 20)
	held := receive(t, c1, 20, false)
	c2, err := cl.Subscribe(opts)
	require.NoError(t, err)
	defer c2.Close()
	send(20, 40)
	// c2 may not overtake c1's unacknowledged messages of the same keys.
	expectNothing(t, c2, 300*time.Millisecond)
	for _, m := range held {
		require.NoError(t, c1.Ack(m))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	got := 0
	for got < 20 {
		var m pulsar.Message
		select {
		case cm := <-c1.Chan():
			m = cm.Message
			c1.Ack(m)
		case cm := <-c2.Chan():
			m = cm.Message
			c2.Ack(m)
		case <-ctx.Done():
			t.Fatalf("got %d of 20", got)
		}
		var n int
		fmt.Sscan(string(m.Payload()), &n)
		require.GreaterOrEqual(t, n, 20)
		got++
	}
}

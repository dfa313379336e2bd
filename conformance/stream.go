package conformance

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// Message is what scenarios send: a key (empty if the backend has none), a
// value and string headers (Kafka headers, Pulsar properties, MQTT v5 user
// properties).
type Message struct {
	Key     string
	Value   []byte
	Headers map[string]string
}

// Received is a delivered message and the handle to acknowledge it.
type Received struct {
	Message
	Topic string
	// Redelivered is true when the backend says this is not the first
	// delivery (Pulsar redelivery count, MQTT DUP); harnesses that cannot
	// tell leave it false.
	Redelivered bool
	// Handle is the harness's own token for Ack.
	Handle any
}

// Producer sends messages.
type Producer interface {
	// Send sends m to topic and waits for the broker's acknowledgement.
	Send(ctx context.Context, topic string, m Message) error
	Close() error
}

// Consumer receives the messages of one subscription.
type Consumer interface {
	// Receive returns the next message, or ctx's error when none arrives.
	Receive(ctx context.Context) (*Received, error)
	// Ack marks r processed (commit, acknowledge) so it is not redelivered.
	Ack(ctx context.Context, r *Received) error
	// Close stops consuming. Messages received but not acknowledged go
	// back to the group, as if the consumer had crashed.
	Close() error
}

// Subscription says how a consumer joins a topic.
type Subscription struct {
	// Group is the consumer group (Kafka group, Pulsar subscription, MQTT
	// shared-subscription group). Consumers with the same Group share
	// messages; every distinct Group receives every message. Empty means a
	// group of one, unique to this consumer.
	Group string
	// FromEarliest asks for messages sent before the subscription existed.
	// Only meaningful with the Replay capability.
	FromEarliest bool
}

// StreamHarness adapts one backend (and one client library) to RunStream.
// A harness is made per scenario; it releases what it made through
// t.Cleanup.
type StreamHarness interface {
	// Name is the backend and client, e.g. "kafka/franz-go (fake)".
	Name() string
	Capabilities() Capabilities
	// Topic creates a new, empty topic with at least partitions partitions
	// (backends without partitions ignore the number).
	Topic(ctx context.Context, partitions int) (string, error)
	// MissingTopic returns a valid topic name that does not exist.
	MissingTopic() string
	Producer(ctx context.Context) (Producer, error)
	// BadCredentialsProducer returns a producer whose credentials are
	// wrong, or whose Send fails because of them (Auth capability).
	BadCredentialsProducer(ctx context.Context) (Producer, error)
	// Subscribe returns a consumer that is ready: every message sent after
	// Subscribe returns reaches the subscription.
	Subscribe(ctx context.Context, topic string, sub Subscription) (Consumer, error)
	// Code classifies an error from this harness's client.
	Code(err error) Code
}

// StreamHarnessMaker makes a fresh harness for one scenario.
type StreamHarnessMaker func(t *testing.T) StreamHarness

// Timeout bounds each scenario; generous, because real brokers in
// containers on shared CI machines are slow, and a scenario that passes
// never waits for it.
var Timeout = 60 * time.Second

// RunStream runs every stream scenario against harnesses from mk.
func RunStream(t *testing.T, mk StreamHarnessMaker) {
	scenarios := []struct {
		name string
		fn   func(*testing.T, StreamHarness)
		need []Capability
	}{
		{"SendThenReceive", sendThenReceive, nil},
		{"PerKeyOrderingAcrossPartitions", perKeyOrdering, []Capability{PerKeyOrdering, Keys}},
		{"EachGroupReceivesEverything", eachGroupReceivesEverything, []Capability{Groups}},
		{"CompetingConsumersSplitLoadNothingLost", competingConsumers, []Capability{Groups}},
		{"LateSubscriberReplaysFromEarliest", lateSubscriberReplays, []Capability{Replay}},
		{"UnackedIsRedeliveredAfterConsumerCrash", unackedRedelivered, []Capability{Groups, Redelivery}},
		{"KeysHeadersBinaryAndEmptyPayloadsRoundTrip", roundTripFidelity, []Capability{Keys, Headers, BinaryPayloads}},
		{"OneMebibyteMessage", largeMessage, []Capability{LargeMessages}},
		{"SendToMissingTopicIsNotFound", missingTopic, []Capability{StrictTopics}},
		{"WrongCredentialsAreUnauthenticated", wrongCredentials, []Capability{Auth}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h := mk(t)
			need(t, h.Capabilities(), h.Name(), sc.need...)
			sc.fn(t, h)
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

func newTopic(t *testing.T, ctx context.Context, h StreamHarness, partitions int) string {
	t.Helper()
	topic, err := h.Topic(ctx, partitions)
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	return topic
}

func producer(t *testing.T, ctx context.Context, h StreamHarness) Producer {
	t.Helper()
	p, err := h.Producer(ctx)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func subscribe(t *testing.T, ctx context.Context, h StreamHarness, topic string, sub Subscription) Consumer {
	t.Helper()
	c, err := h.Subscribe(ctx, topic, sub)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, ctx context.Context, p Producer, topic string, msgs ...Message) {
	t.Helper()
	for i, m := range msgs {
		if err := p.Send(ctx, topic, m); err != nil {
			t.Fatalf("send %d of %d: %v", i+1, len(msgs), err)
		}
	}
}

// receive collects n messages, acknowledging each when ack is set.
func receive(t *testing.T, ctx context.Context, c Consumer, n int, ack bool) []*Received {
	t.Helper()
	out := make([]*Received, 0, n)
	for len(out) < n {
		r, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("received %d of %d messages: %v", len(out), n, err)
		}
		if ack {
			if err := c.Ack(ctx, r); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
		out = append(out, r)
	}
	return out
}

func numbered(prefix string, n int) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{Value: []byte(fmt.Sprintf("%s-%03d", prefix, i))}
	}
	return msgs
}

func values(rs []*Received) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[string(r.Value)]++
	}
	return out
}

func requireAll(t *testing.T, want []Message, got map[string]int) {
	t.Helper()
	for _, m := range want {
		if got[string(m.Value)] == 0 {
			t.Fatalf("message %q was lost (got %d distinct of %d)", m.Value, len(got), len(want))
		}
	}
}

func sendThenReceive(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 1)
	c := subscribe(t, ctx, h, topic, Subscription{})
	p := producer(t, ctx, h)
	msgs := numbered("hello", 10)
	send(t, ctx, p, topic, msgs...)
	got := receive(t, ctx, c, len(msgs), true)
	for i, r := range got {
		if !bytes.Equal(r.Value, msgs[i].Value) {
			t.Fatalf("message %d: got %q, want %q (one producer, one partition: order must hold)", i, r.Value, msgs[i].Value)
		}
		if r.Topic != "" && r.Topic != topic {
			t.Fatalf("message %d came from topic %q, want %q", i, r.Topic, topic)
		}
	}
}

func perKeyOrdering(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 4)
	c := subscribe(t, ctx, h, topic, Subscription{})
	p := producer(t, ctx, h)
	const keys, perKey = 6, 30
	var msgs []Message
	for i := 0; i < perKey; i++ {
		for k := 0; k < keys; k++ {
			msgs = append(msgs, Message{Key: fmt.Sprintf("key-%d", k), Value: []byte(fmt.Sprintf("%d", i))})
		}
	}
	send(t, ctx, p, topic, msgs...)
	next := map[string]int{}
	for _, r := range receive(t, ctx, c, len(msgs), true) {
		var seq int
		fmt.Sscanf(string(r.Value), "%d", &seq)
		if seq != next[r.Key] {
			t.Fatalf("key %s: got sequence %d, want %d", r.Key, seq, next[r.Key])
		}
		next[r.Key]++
	}
}

func eachGroupReceivesEverything(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 2)
	a := subscribe(t, ctx, h, topic, Subscription{Group: "group-a"})
	b := subscribe(t, ctx, h, topic, Subscription{Group: "group-b"})
	p := producer(t, ctx, h)
	msgs := numbered("fanout", 20)
	send(t, ctx, p, topic, msgs...)
	requireAll(t, msgs, values(receive(t, ctx, a, len(msgs), true)))
	requireAll(t, msgs, values(receive(t, ctx, b, len(msgs), true)))
}

func competingConsumers(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 4)
	sub := Subscription{Group: "workers"}
	consumers := []Consumer{subscribe(t, ctx, h, topic, sub), subscribe(t, ctx, h, topic, sub)}
	p := producer(t, ctx, h)
	msgs := make([]Message, 200)
	for i := range msgs {
		msgs[i] = Message{Key: fmt.Sprintf("k%d", i), Value: []byte(fmt.Sprintf("job-%03d", i))}
	}
	send(t, ctx, p, topic, msgs...)

	// Drain both consumers until every job arrived; each must get a share.
	var mu sync.Mutex
	got := map[string]int{}
	per := make([]int, len(consumers))
	allIn := make(chan struct{})
	var once sync.Once
	drainCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for i, c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, err := c.Receive(drainCtx)
				if err != nil {
					return
				}
				c.Ack(drainCtx, r)
				mu.Lock()
				got[string(r.Value)]++
				per[i]++
				if len(got) == len(msgs) {
					once.Do(func() { close(allIn) })
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-allIn:
	case <-ctx.Done():
	}
	stop()
	wg.Wait()
	requireAll(t, msgs, got)
	for i, n := range per {
		if n == 0 {
			t.Fatalf("consumer %d of the group received nothing; the load was not split (%v)", i, per)
		}
	}
}

func lateSubscriberReplays(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 1)
	p := producer(t, ctx, h)
	msgs := numbered("early", 5)
	send(t, ctx, p, topic, msgs...)
	c := subscribe(t, ctx, h, topic, Subscription{FromEarliest: true})
	requireAll(t, msgs, values(receive(t, ctx, c, len(msgs), true)))
}

func unackedRedelivered(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 1)
	sub := Subscription{Group: "crashy", FromEarliest: true}
	first, err := h.Subscribe(ctx, topic, sub)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	p := producer(t, ctx, h)
	msgs := numbered("work", 10)
	send(t, ctx, p, topic, msgs...)
	receive(t, ctx, first, len(msgs), false)
	if err := first.Close(); err != nil { // crash: nothing acknowledged
		t.Logf("close of the crashed consumer: %v", err)
	}
	second := subscribe(t, ctx, h, topic, sub)
	requireAll(t, msgs, values(receive(t, ctx, second, len(msgs), true)))
}

func roundTripFidelity(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 1)
	c := subscribe(t, ctx, h, topic, Subscription{})
	p := producer(t, ctx, h)
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	msgs := []Message{
		{Key: "order-7", Value: []byte("with key and headers"), Headers: map[string]string{"trace-id": "abc123", "content-type": "text/plain"}},
		{Key: "bin", Value: binary},
		{Key: "empty", Value: []byte{}},
	}
	send(t, ctx, p, topic, msgs...)
	got := receive(t, ctx, c, len(msgs), true)
	for i, want := range msgs {
		r := got[i]
		if r.Key != want.Key {
			t.Errorf("message %d: key %q, want %q", i, r.Key, want.Key)
		}
		if !bytes.Equal(r.Value, want.Value) {
			t.Errorf("message %d: value %x, want %x", i, r.Value, want.Value)
		}
		for k, v := range want.Headers {
			if r.Headers[k] != v {
				t.Errorf("message %d: header %q = %q, want %q", i, k, r.Headers[k], v)
			}
		}
	}
}

func largeMessage(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 1)
	c := subscribe(t, ctx, h, topic, Subscription{})
	p := producer(t, ctx, h)
	// Random bytes: a compressible payload would shrink below the limits
	// under test, since brokers check the compressed size.
	big := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(big)
	send(t, ctx, p, topic, Message{Key: "big", Value: big})
	got := receive(t, ctx, c, 1, true)[0]
	if !bytes.Equal(got.Value, big) {
		t.Fatalf("1 MiB message came back as %d bytes", len(got.Value))
	}
}

func missingTopic(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	p := producer(t, ctx, h)
	err := p.Send(ctx, h.MissingTopic(), Message{Value: []byte("nobody home")})
	if err == nil {
		t.Fatal("send to a missing topic succeeded")
	}
	if code := h.Code(err); code != NotFound {
		t.Fatalf("send to a missing topic: code %v, want NotFound (error: %v)", code, err)
	}
}

func wrongCredentials(t *testing.T, h StreamHarness) {
	ctx := ctxFor(t)
	topic := newTopic(t, ctx, h, 1)
	p, err := h.BadCredentialsProducer(ctx)
	if err == nil {
		defer p.Close()
		err = p.Send(ctx, topic, Message{Value: []byte("intruder")})
	}
	if err == nil {
		t.Fatal("a client with wrong credentials could send")
	}
	if code := h.Code(err); code != Unauthenticated {
		t.Fatalf("wrong credentials: code %v, want Unauthenticated (error: %v)", code, err)
	}
}

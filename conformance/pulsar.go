package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// Pulsar capabilities.
const (
	// Transactions: the broker runs a transaction coordinator.
	Transactions Capability = "transactions"
	// BatchIndexAck: the broker honours acks of single messages in a batch
	// (acknowledgmentAtBatchIndexLevelEnabled).
	BatchIndexAck Capability = "batch-index acknowledgement"
	// TokenAuth: the harness can make clients with a right and a wrong token.
	TokenAuth Capability = "token authentication"
)

// PulsarHarness adapts a Pulsar (fake, container, external) to RunPulsar.
// Scenarios use pulsar-client-go directly: these rules are Pulsar's own.
type PulsarHarness interface {
	Name() string
	Capabilities() Capabilities
	// Client returns a client; transactions are enabled on it when the
	// harness has the Transactions capability.
	Client(t *testing.T) pulsar.Client
	// Topic creates a new topic; partitions > 0 makes a partitioned one.
	Topic(t *testing.T, partitions int) string
	// TokenClient returns a client of a broker that requires a token,
	// authenticating with the right token or a wrong one (TokenAuth).
	TokenClient(t *testing.T, right bool) (client pulsar.Client, topic string)
}

// PulsarHarnessMaker makes a fresh harness for one scenario.
type PulsarHarnessMaker func(t *testing.T) PulsarHarness

// RunPulsar runs the Pulsar-specific scenarios.
func RunPulsar(t *testing.T, mk PulsarHarnessMaker) {
	scenarios := []struct {
		name string
		fn   func(*testing.T, PulsarHarness)
		need []Capability
	}{
		{"ExclusiveRejectsSecondConsumer", exclusiveRejectsSecond, nil},
		{"FailoverSwitchesToStandbyOnClose", failoverSwitches, nil},
		{"SharedSpreadsAcrossConsumers", sharedSpreads, nil},
		{"KeySharedKeepsAKeyOnOneConsumer", keySharedStable, nil},
		{"NackRedeliversWithCount", nackRedelivers, nil},
		{"DeadLetterAfterMaxRedeliveries", deadLetter, nil},
		{"CumulativeAckAcknowledgesEverythingBefore", cumulativeAck, nil},
		{"SeekByMessageIDAndByTime", seek, nil},
		{"ReaderFromEarliestLatestAndGivenID", readers, nil},
		{"DelayedDeliveryIsNotEarly", delayedNotEarly, nil},
		{"BatchIndexAckRedeliversOnlyUnacked", batchIndexAck, []Capability{BatchIndexAck}},
		{"PartitionedTopicKeepsPerKeyOrder", partitionedPerKeyOrder, nil},
		{"RegexSubscriptionPicksUpMatchingTopics", regexSubscription, nil},
		{"IncompatibleSchemaIsRejected", schemaMismatch, nil},
		{"TransactionCommitAndAbortVisibility", transactions, []Capability{Transactions}},
		{"TokenAuthAcceptsRightAndRejectsWrong", tokenAuth, []Capability{TokenAuth}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h := mk(t)
			need(t, h.Capabilities(), h.Name(), sc.need...)
			sc.fn(t, h)
		})
	}
}

func pProducer(t *testing.T, c pulsar.Client, o pulsar.ProducerOptions) pulsar.Producer {
	t.Helper()
	p, err := c.CreateProducer(o)
	if err != nil {
		t.Fatalf("create producer on %s: %v", o.Topic, err)
	}
	t.Cleanup(p.Close)
	return p
}

func pConsumer(t *testing.T, c pulsar.Client, o pulsar.ConsumerOptions) pulsar.Consumer {
	t.Helper()
	cons, err := c.Subscribe(o)
	if err != nil {
		t.Fatalf("subscribe %s to %s: %v", o.SubscriptionName, o.Topic, err)
	}
	t.Cleanup(cons.Close)
	return cons
}

func pSend(t *testing.T, ctx context.Context, p pulsar.Producer, msgs ...*pulsar.ProducerMessage) []pulsar.MessageID {
	t.Helper()
	ids := make([]pulsar.MessageID, len(msgs))
	for i, m := range msgs {
		id, err := p.Send(ctx, m)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		ids[i] = id
	}
	return ids
}

func payloads(prefix string, n int) []*pulsar.ProducerMessage {
	out := make([]*pulsar.ProducerMessage, n)
	for i := range out {
		out[i] = &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("%s-%02d", prefix, i))}
	}
	return out
}

func pReceive(t *testing.T, ctx context.Context, c pulsar.Consumer, n int, ack bool) []pulsar.Message {
	t.Helper()
	out := make([]pulsar.Message, 0, n)
	for len(out) < n {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("received %d of %d: %v", len(out), n, err)
		}
		if ack {
			if err := c.Ack(m); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
		out = append(out, m)
	}
	return out
}

// nothingWithin asserts c receives nothing for d: used only where the rule
// under test is "this message must not arrive", which has no event to wait for.
func nothingWithin(t *testing.T, c pulsar.Consumer, d time.Duration, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if m, err := c.Receive(ctx); err == nil {
		t.Fatalf("%s: got %q", why, m.Payload())
	}
}

func exclusiveRejectsSecond(t *testing.T, h PulsarHarness) {
	c := h.Client(t)
	topic := h.Topic(t, 0)
	pConsumer(t, c, pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "only", Type: pulsar.Exclusive})
	second, err := c.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "only", Type: pulsar.Exclusive})
	if err == nil {
		second.Close()
		t.Fatal("a second consumer joined an Exclusive subscription")
	}
}

func failoverSwitches(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "fo", Type: pulsar.Failover}
	a, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	pSend(t, ctx, p, payloads("before", 3)...)
	// The broker picks the active consumer (by name order); find it.
	counts := drainTwo(t, ctx, a, b, 3)
	if counts[0] != 0 && counts[1] != 0 {
		t.Fatalf("both Failover consumers received messages: %v", counts)
	}
	active, standby := a, b
	if counts[1] != 0 {
		active, standby = b, a
	}
	active.Close()
	pSend(t, ctx, p, payloads("after", 3)...)
	got := pReceive(t, ctx, standby, 3, true)
	if string(got[0].Payload()) != "after-00" {
		t.Fatalf("standby's first message is %q, want after-00", got[0].Payload())
	}
}

func sharedSpreads(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "sh", Type: pulsar.Shared, ReceiverQueueSize: 10}
	a, b := pConsumer(t, c, opts), pConsumer(t, c, opts)
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	pSend(t, ctx, p, payloads("m", 100)...)
	counts := drainTwo(t, ctx, a, b, 100)
	if counts[0] == 0 || counts[1] == 0 {
		t.Fatalf("Shared did not spread: %v", counts)
	}
}

// delivery is a message and which of two consumers received it.
type delivery struct {
	who int
	m   pulsar.Message
}

// receiveFromBoth receives from a and b together, acknowledging each
// message, until n distinct payloads have arrived.
func receiveFromBoth(t *testing.T, ctx context.Context, a, b pulsar.Consumer, n int) []delivery {
	t.Helper()
	ch := make(chan delivery)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	for i, c := range []pulsar.Consumer{a, b} {
		go func() {
			for {
				m, err := c.Receive(rctx)
				if err != nil {
					return
				}
				c.Ack(m)
				select {
				case ch <- delivery{i, m}:
				case <-rctx.Done():
					return
				}
			}
		}()
	}
	var out []delivery
	seen := map[string]bool{}
	for len(seen) < n {
		select {
		case d := <-ch:
			seen[string(d.m.Payload())] = true
			out = append(out, d)
		case <-ctx.Done():
			t.Fatalf("received %d of %d", len(seen), n)
		}
	}
	return out
}

// drainTwo is receiveFromBoth counted per consumer.
func drainTwo(t *testing.T, ctx context.Context, a, b pulsar.Consumer, n int) [2]int {
	t.Helper()
	var counts [2]int
	for _, d := range receiveFromBoth(t, ctx, a, b, n) {
		counts[d.who]++
	}
	return counts
}

func keySharedStable(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "ks", Type: pulsar.KeyShared}
	a, b := pConsumer(t, c, opts), pConsumer(t, c, opts)
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	var msgs []*pulsar.ProducerMessage
	for i := 0; i < 60; i++ {
		msgs = append(msgs, &pulsar.ProducerMessage{Key: fmt.Sprintf("key-%d", i%6), Payload: []byte(fmt.Sprint(i))})
	}
	pSend(t, ctx, p, msgs...)
	owner := map[string]int{}
	for _, d := range receiveFromBoth(t, ctx, a, b, len(msgs)) {
		if o, ok := owner[d.m.Key()]; ok && o != d.who {
			t.Fatalf("key %s went to consumer %d and %d", d.m.Key(), o, d.who)
		}
		owner[d.m.Key()] = d.who
	}
}

func nackRedelivers(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	cons := pConsumer(t, c, pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "n", Type: pulsar.Shared,
		NackRedeliveryDelay: 100 * time.Millisecond})
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	pSend(t, ctx, p, &pulsar.ProducerMessage{Payload: []byte("retry-me")})
	for want := uint32(0); want < 3; want++ {
		m := pReceive(t, ctx, cons, 1, false)[0]
		if m.RedeliveryCount() != want {
			t.Fatalf("delivery %d has redelivery count %d", want, m.RedeliveryCount())
		}
		if want < 2 {
			cons.Nack(m)
		} else {
			cons.Ack(m)
		}
	}
}

func deadLetter(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	dlq := topic + "-DLQ"
	dead := pConsumer(t, c, pulsar.ConsumerOptions{Topic: dlq, SubscriptionName: "dlq",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	cons := pConsumer(t, c, pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "w", Type: pulsar.Shared,
		NackRedeliveryDelay: 50 * time.Millisecond, DLQ: &pulsar.DLQPolicy{MaxDeliveries: 3, DeadLetterTopic: dlq}})
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	pSend(t, ctx, p, &pulsar.ProducerMessage{Payload: []byte("poison"), Properties: map[string]string{"id": "7"}})
	for i := 0; i < 3; i++ {
		cons.Nack(pReceive(t, ctx, cons, 1, false)[0])
	}
	m := pReceive(t, ctx, dead, 1, true)[0]
	if string(m.Payload()) != "poison" || m.Properties()["id"] != "7" {
		t.Fatalf("dead letter %q %v", m.Payload(), m.Properties())
	}
}

func cumulativeAck(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "cum", Type: pulsar.Exclusive}
	cons, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	pSend(t, ctx, p, payloads("c", 5)...)
	got := pReceive(t, ctx, cons, 5, false)
	if err := cons.AckCumulative(got[2]); err != nil {
		t.Fatal(err)
	}
	// Ack receipts are asynchronous; the close below flushes them.
	cons.Close()
	again := pConsumer(t, c, opts)
	m := pReceive(t, ctx, again, 1, true)[0]
	if string(m.Payload()) != "c-03" {
		t.Fatalf("after a cumulative ack of c-02 the next message is %q, want c-03", m.Payload())
	}
}

func seek(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	cons := pConsumer(t, c, pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "seek", Type: pulsar.Exclusive})
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	ids := pSend(t, ctx, p, payloads("s", 3)...)
	pReceive(t, ctx, cons, 3, true)
	if err := cons.Seek(ids[0]); err != nil {
		t.Fatalf("seek by id: %v", err)
	}
	// The broker rewinds to the given entry; pulsar-client-go then skips
	// that id (a consumer's seek id is exclusive in v0.19), so s-01 is next.
	again := pReceive(t, ctx, cons, 2, true)
	if string(again[0].Payload()) != "s-01" {
		t.Fatalf("after seeking to s-00's id got %q, want s-01", again[0].Payload())
	}
	// Publish times are whole milliseconds: make the next message strictly
	// later than everything before mid.
	mid := again[1].PublishTime().Add(time.Millisecond)
	for time.Now().Before(mid) {
		time.Sleep(time.Millisecond)
	}
	pSend(t, ctx, p, payloads("late", 1)...)
	pReceive(t, ctx, cons, 1, true)
	if err := cons.SeekByTime(mid); err != nil {
		t.Fatalf("seek by time: %v", err)
	}
	if m := pReceive(t, ctx, cons, 1, true)[0]; string(m.Payload()) != "late-00" {
		t.Fatalf("after seeking to a time before late-00 got %q", m.Payload())
	}
}

func readers(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	ids := pSend(t, ctx, p, payloads("r", 3)...)
	read := func(start pulsar.MessageID, inclusive bool) []string {
		r, err := c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: start, StartMessageIDInclusive: inclusive})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.HasNext() {
			m, err := r.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(m.Payload()))
		}
		return out
	}
	if got := read(pulsar.EarliestMessageID(), false); fmt.Sprint(got) != "[r-00 r-01 r-02]" {
		t.Fatalf("from earliest: %v", got)
	}
	if got := read(pulsar.LatestMessageID(), false); len(got) != 0 {
		t.Fatalf("from latest: %v", got)
	}
	if got := read(ids[1], true); fmt.Sprint(got) != "[r-01 r-02]" {
		t.Fatalf("from r-01 inclusive: %v", got)
	}
	if got := read(ids[1], false); fmt.Sprint(got) != "[r-02]" {
		t.Fatalf("from r-01 exclusive: %v", got)
	}
}

func delayedNotEarly(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	cons := pConsumer(t, c, pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "d", Type: pulsar.Shared})
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	sent := time.Now()
	pSend(t, ctx, p, &pulsar.ProducerMessage{Payload: []byte("later"), DeliverAfter: time.Second},
		&pulsar.ProducerMessage{Payload: []byte("now")})
	first := pReceive(t, ctx, cons, 1, true)[0]
	if string(first.Payload()) != "now" {
		t.Fatalf("the undelayed message should come first, got %q", first.Payload())
	}
	pReceive(t, ctx, cons, 1, true)
	// deliverAt travels in whole milliseconds.
	if waited := time.Since(sent); waited < time.Second-time.Millisecond {
		t.Fatalf("a message delayed 1s arrived after %v", waited)
	}
}

func batchIndexAck(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	opts := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "bi", Type: pulsar.Shared, EnableBatchIndexAcknowledgment: true}
	cons, err := c.Subscribe(opts)
	if err != nil {
		t.Fatal(err)
	}
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, BatchingMaxPublishDelay: time.Second, BatchingMaxMessages: 4})
	done := make(chan error, 4)
	for _, m := range payloads("b", 4) {
		p.SendAsync(ctx, m, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) { done <- err })
	}
	if err := p.FlushWithCtx(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	got := pReceive(t, ctx, cons, 4, false)
	cons.Ack(got[0])
	cons.Ack(got[2])
	cons.Close()
	again := pConsumer(t, c, opts)
	redelivered := pReceive(t, ctx, again, 2, true)
	if string(redelivered[0].Payload()) != "b-01" || string(redelivered[1].Payload()) != "b-03" {
		t.Fatalf("redelivered %q, %q; want b-01, b-03", redelivered[0].Payload(), redelivered[1].Payload())
	}
}

func partitionedPerKeyOrder(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 4)
	cons := pConsumer(t, c, pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "o", Type: pulsar.Failover})
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic})
	var msgs []*pulsar.ProducerMessage
	for i := 0; i < 25; i++ {
		for k := 0; k < 4; k++ {
			msgs = append(msgs, &pulsar.ProducerMessage{Key: fmt.Sprintf("k%d", k), Payload: []byte(fmt.Sprint(i))})
		}
	}
	pSend(t, ctx, p, msgs...)
	next := map[string]int{}
	for _, m := range pReceive(t, ctx, cons, len(msgs), true) {
		var seq int
		fmt.Sscan(string(m.Payload()), &seq)
		if seq != next[m.Key()] {
			t.Fatalf("key %s: got %d, want %d", m.Key(), seq, next[m.Key()])
		}
		next[m.Key()]++
	}
}

func regexSubscription(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	a := h.Topic(t, 0)
	b := a + "-second" // same namespace, same prefix
	cons := pConsumer(t, c, pulsar.ConsumerOptions{TopicsPattern: a + ".*", SubscriptionName: "rx",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, AutoDiscoveryPeriod: 200 * time.Millisecond})
	pSend(t, ctx, pProducer(t, c, pulsar.ProducerOptions{Topic: a}), &pulsar.ProducerMessage{Payload: []byte("from-a")})
	pSend(t, ctx, pProducer(t, c, pulsar.ProducerOptions{Topic: b}), &pulsar.ProducerMessage{Payload: []byte("from-b")})
	seen := map[string]bool{}
	for len(seen) < 2 {
		seen[string(pReceive(t, ctx, cons, 1, true)[0].Payload())] = true
	}
}

type schemaV1 struct {
	Name string `json:"name"`
}

func schemaMismatch(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	jsonSchema := pulsar.NewJSONSchema(`{"type":"record","name":"V1","fields":[{"name":"name","type":"string"}]}`, nil)
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, Schema: jsonSchema})
	pSend(t, ctx, p, &pulsar.ProducerMessage{Value: &schemaV1{Name: "x"}})
	other, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, Schema: pulsar.NewInt64Schema(nil)})
	if err == nil {
		other.Close()
		t.Fatal("a producer with an incompatible schema (INT64 over JSON) was accepted")
	}
}

func transactions(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	c := h.Client(t)
	topic := h.Topic(t, 0)
	cons := pConsumer(t, c, pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "tx", Type: pulsar.Exclusive})
	p := pProducer(t, c, pulsar.ProducerOptions{Topic: topic, DisableBatching: true, SendTimeout: 0})
	for _, commit := range []bool{false, true} {
		txn, err := c.NewTransaction(time.Minute)
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		if _, err := p.Send(ctx, &pulsar.ProducerMessage{Transaction: txn, Payload: []byte(fmt.Sprintf("commit=%v", commit))}); err != nil {
			t.Fatalf("send in transaction: %v", err)
		}
		nothingWithin(t, cons, 300*time.Millisecond, "a message of an open transaction was visible")
		if commit {
			err = txn.Commit(ctx)
		} else {
			err = txn.Abort(ctx)
		}
		if err != nil {
			t.Fatalf("end transaction: %v", err)
		}
	}
	m := pReceive(t, ctx, cons, 1, true)[0]
	if string(m.Payload()) != "commit=true" {
		t.Fatalf("got %q: the aborted message was delivered, or the committed one was not first", m.Payload())
	}
}

func tokenAuth(t *testing.T, h PulsarHarness) {
	ctx := ctxFor(t)
	good, topic := h.TokenClient(t, true)
	p := pProducer(t, good, pulsar.ProducerOptions{Topic: topic})
	pSend(t, ctx, p, &pulsar.ProducerMessage{Payload: []byte("authorized")})
	bad, topic := h.TokenClient(t, false)
	if p, err := bad.CreateProducer(pulsar.ProducerOptions{Topic: topic}); err == nil {
		p.Close()
		t.Fatal("a client with a wrong token created a producer")
	}
}

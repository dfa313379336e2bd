package pulsarfake

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// Transaction state of a stored entry.
const (
	txnNone    uint8 = iota
	txnOpen          // written in a transaction that is not committed yet
	txnAborted       // the transaction was aborted: never delivered
)

// entry is one stored SEND: the client's headers and payload verbatim.
type entry struct {
	id        uint64
	data      []byte
	numMsgs   int32
	batched   bool
	publish   uint64 // ms
	deliverAt int64  // ms, 0 = now
	key       string // Key_Shared routing key
	txn       txnID
	txnState  uint8
}

// topic is one stored topic: a non-partitioned topic or one partition. Its
// mutex guards the log, the subscriptions and their consumers.
type topic struct {
	s      *Server
	name   topicName
	ledger uint64

	mu         sync.Mutex
	entries    []entry
	first      uint64 // id of entries[0]; == next when empty
	next       uint64 // id of the next entry
	bytes      int64
	openTxn    int       // entries in state txnOpen
	terminated bool      // admin terminate: producers are refused
	created    time.Time // the stats' topicCreationTimeStamp
	subs       map[string]*subscription
	producers  map[*producer]struct{}
	deleted    bool

	timer   clock.Timer
	timerAt int64 // ms of the scheduled delayed-delivery wake-up, 0 = none

	msgsIn, bytesIn, msgsOut int64
	lastPublish              time.Time

	lastSeq map[string]int64 // producer name -> highest persisted sequence id (dedup.go)
}

func newTopic(s *Server, name topicName, ledger uint64) *topic {
	return &topic{
		s:         s,
		name:      name,
		ledger:    ledger,
		created:   s.opts.clock.Now(),
		subs:      map[string]*subscription{},
		producers: map[*producer]struct{}{},
	}
}

// entryAt returns the stored entry with id, or nil if it was trimmed or
// does not exist yet.
func (t *topic) entryAt(id uint64) *entry {
	if id < t.first || id >= t.next {
		return nil
	}
	return &t.entries[id-t.first]
}

// readLimit is the first entry id dispatch may not pass: the first entry
// of an open transaction, or the end of the log.
func (t *topic) readLimit() uint64 {
	if t.openTxn == 0 {
		return t.next
	}
	for i := range t.entries {
		if t.entries[i].txnState == txnOpen {
			return t.entries[i].id
		}
	}
	return t.next
}

// position maps a client message id to an entry id of this topic. The
// protocol's "earliest" (-1,-1) maps to the first entry, "latest" and ids
// of later ledgers to the end.
func (t *topic) position(ledger, entryID uint64) uint64 {
	switch {
	case ledger == math.MaxUint64 || int64(ledger) < 0:
		return t.first
	case ledger == math.MaxInt64 && entryID == math.MaxInt64:
		return t.next
	case ledger < t.ledger:
		return 0
	case ledger > t.ledger:
		return t.next
	case int64(entryID) < 0:
		return 0
	}
	return entryID
}

// appendEntry stores a SEND and hands it to the subscriptions. It returns
// the entry id. With a data dir the entry is logged before it returns, with
// producer's sequence id when deduplication tracks it (producer != "").
func (t *topic) appendEntry(data []byte, m *wire.Meta, txn txnID, producer string, seq int64) uint64 {
	e := entry{
		data:      data,
		numMsgs:   max(m.NumMessages, 1),
		batched:   m.Batched,
		publish:   m.PublishTime,
		deliverAt: m.DeliverAt,
		key:       m.StickyKey(),
		txn:       txn,
	}
	if !txn.isZero() {
		e.txnState = txnOpen
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e.id = t.next
	t.next++
	t.msgsIn += int64(e.numMsgs)
	t.bytesIn += int64(len(data))
	t.lastPublish = t.s.opts.clock.Now()
	if !t.name.Persistent {
		// Non-persistent: hand the message to whoever can take it now and
		// forget it.
		for _, sub := range t.subs {
			sub.dispatchTransient(&e)
		}
		t.first = t.next
		return e.id
	}
	if e.txnState == txnOpen {
		t.openTxn++
	}
	t.entries = append(t.entries, e)
	t.bytes += int64(len(data))
	if t.s.p != nil {
		t.logEntryLocked(&e, producer, seq)
	}
	t.trimLocked()
	if e.txnState == txnNone {
		t.dispatchAllLocked()
	}
	return e.id
}

// trimLocked enforces the retention bounds, oldest entries first.
func (t *topic) trimLocked() {
	maxEntries, maxBytes := t.s.opts.retentionEntries, t.s.opts.retentionBytes
	drop := 0
	bytes := t.bytes
	for drop < len(t.entries)-1 &&
		(maxEntries > 0 && len(t.entries)-drop > maxEntries || maxBytes > 0 && bytes > maxBytes) {
		bytes -= int64(len(t.entries[drop].data))
		if t.entries[drop].txnState == txnOpen {
			t.openTxn--
		}
		drop++
	}
	if drop == 0 {
		return
	}
	clear(t.entries[:drop])
	t.entries = t.entries[drop:]
	t.first += uint64(drop)
	t.bytes = bytes
	for _, sub := range t.subs {
		sub.trimmed()
	}
}

func (t *topic) dispatchAllLocked() {
	for _, sub := range t.subs {
		if len(sub.consumers) > 0 {
			sub.dispatch()
		}
	}
}

// lastMessageID answers GET_LAST_MESSAGE_ID: the last readable entry, with
// the batch index of its last message.
func (t *topic) lastMessageIDLocked() *wire.MessageIdData {
	limit := t.readLimit()
	id := &wire.MessageIdData{LedgerId: proto.Uint64(t.ledger), EntryId: proto.Uint64(math.MaxUint64)}
	if limit == 0 {
		return id
	}
	id.EntryId = proto.Uint64(limit - 1)
	if t.name.Partition >= 0 {
		id.Partition = proto.Int32(int32(t.name.Partition))
	}
	if e := t.entryAt(limit - 1); e != nil && e.batched {
		id.BatchIndex = proto.Int32(e.numMsgs - 1)
	}
	return id
}

// ------------------------------------------------- delayed delivery ---

// wakeAtLocked makes sure dispatch runs again at ms.
func (t *topic) wakeAtLocked(ms int64) {
	if t.timer != nil && t.timerAt <= ms {
		return
	}
	t.stopTimerLocked()
	d := time.UnixMilli(ms).Sub(t.s.opts.clock.Now())
	t.timerAt = ms
	t.timer = t.s.opts.clock.AfterFunc(max(d, 0), t.onTimer)
}

func (t *topic) stopTimerLocked() {
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.timerAt = 0
}

func (t *topic) onTimer() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.timer, t.timerAt = nil, 0
	if t.deleted {
		return
	}
	now := t.s.opts.clock.Now().UnixMilli()
	for _, sub := range t.subs {
		sub.releaseDelayed(now)
	}
	t.dispatchAllLocked()
}

// ------------------------------------------------- producers/consumers ---

func (t *topic) removeProducer(p *producer) {
	t.mu.Lock()
	delete(t.producers, p)
	t.mu.Unlock()
	t.s.producerGone(t, p)
}

// removeConsumer detaches a consumer; its unacknowledged entries go back to
// the subscription. notify tells the client with CLOSE_CONSUMER (a broker-
// side close).
func (t *topic) removeConsumer(cs *consumer, notify bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeConsumerLocked(cs, notify, false)
}

// removeConsumerLocked is removeConsumer with the lock held; keepSub keeps
// a non-durable subscription that lost its last consumer (seek, unsubscribe).
func (t *topic) removeConsumerLocked(cs *consumer, notify, keepSub bool) {
	sub := cs.sub
	if !sub.detach(cs) {
		return
	}
	cs.conn.forgetConsumer(cs)
	if notify {
		cs.conn.send(&wire.BaseCommand{Type: wire.BaseCommand_CLOSE_CONSUMER.Enum(), CloseConsumer: &wire.CommandCloseConsumer{
			ConsumerId: proto.Uint64(cs.id), RequestId: proto.Uint64(noRequestID)}})
	}
	if !sub.durable && len(sub.consumers) == 0 && !keepSub {
		delete(t.subs, sub.name)
		return
	}
	sub.dispatch()
}

// closeClients makes every producer and consumer of the topic reconnect,
// the way a topic unload does.
func (t *topic) closeClients() {
	t.mu.Lock()
	prods := make([]*producer, 0, len(t.producers))
	for p := range t.producers {
		prods = append(prods, p)
	}
	t.producers = map[*producer]struct{}{}
	var cons []*consumer
	for _, sub := range t.subs {
		cons = append(cons, sub.consumers...)
	}
	for _, cs := range cons {
		t.removeConsumerLocked(cs, true, false)
	}
	t.mu.Unlock()
	for _, p := range prods {
		p.conn.forgetProducer(p)
		p.conn.send(&wire.BaseCommand{Type: wire.BaseCommand_CLOSE_PRODUCER.Enum(), CloseProducer: &wire.CommandCloseProducer{
			ProducerId: proto.Uint64(p.id), RequestId: proto.Uint64(noRequestID)}})
		t.s.producerGone(t, p)
	}
}

// delete drops the topic's data and disconnects its clients.
func (t *topic) delete() {
	t.closeClients()
	t.mu.Lock()
	t.deleted = true
	t.stopTimerLocked()
	t.entries = nil
	t.first = t.next
	t.subs = map[string]*subscription{}
	t.mu.Unlock()
}

// subscriptionNames lists the subscriptions, sorted.
func (t *topic) subscriptionNames() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.subs))
	for n := range t.subs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// findEntryByTime returns the first entry published at or after ms.
func (t *topic) findEntryByTimeLocked(ms uint64) uint64 {
	i := sort.Search(len(t.entries), func(i int) bool { return t.entries[i].publish >= ms })
	return t.first + uint64(i)
}

package pulsarfake

import (
	"container/heap"
	"slices"
	"sort"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// SubscriptionType is a subscription's type.
type SubscriptionType = wire.CommandSubscribe_SubType

// Subscription types.
const (
	Exclusive = wire.CommandSubscribe_Exclusive
	Shared    = wire.CommandSubscribe_Shared
	Failover  = wire.CommandSubscribe_Failover
	KeyShared = wire.CommandSubscribe_Key_Shared
)

// subscription is a cursor over a topic plus its consumers. All fields are
// guarded by the topic's mutex.
//
// Entries below ackFloor are acknowledged; above it, acked holds the
// individually acknowledged entries and partial the batch entries with only
// some messages acknowledged (bit set = not acknowledged yet, the client's
// convention). readPos is the next entry never dispatched; replay holds
// entries to dispatch again (nacked, from closed consumers, delayed ones
// that became due), sorted.
type subscription struct {
	t       *topic
	name    string
	typ     SubscriptionType
	durable bool
	props   map[string]string

	ackFloor     uint64
	acked        map[uint64]struct{}
	partial      map[uint64][]int64
	readPos      uint64
	replay       []uint64
	redeliveries map[uint64]uint32
	pending      map[uint64]*consumer
	delayed      delayHeap

	consumers []*consumer
	rr        int
	active    *consumer   // Exclusive and Failover
	ring      []ringPoint // Key_Shared auto-split
}

func newSubscription(t *topic, name string, typ SubscriptionType, durable bool, start uint64) *subscription {
	return &subscription{
		t:            t,
		name:         name,
		typ:          typ,
		durable:      durable,
		ackFloor:     start,
		readPos:      start,
		acked:        map[uint64]struct{}{},
		partial:      map[uint64][]int64{},
		redeliveries: map[uint64]uint32{},
		pending:      map[uint64]*consumer{},
	}
}

func (s *subscription) singleActive() bool { return s.typ == Exclusive || s.typ == Failover }

// isAcked reports whether entry id needs no delivery any more.
func (s *subscription) isAcked(id uint64) bool {
	if id < s.ackFloor {
		return true
	}
	_, ok := s.acked[id]
	return ok
}

// --------------------------------------------------------------- dispatch ---

// dispatch sends what the consumers have permits for.
func (s *subscription) dispatch() {
	if len(s.consumers) == 0 {
		return
	}
	if s.singleActive() {
		s.dispatchActive()
		return
	}
	if !s.anyPermits() {
		return
	}
	s.dispatchReplay()
	s.dispatchNew()
}

// dispatchActive feeds the one active consumer of an Exclusive or Failover
// subscription in order.
func (s *subscription) dispatchActive() {
	c := s.active
	if c == nil {
		return
	}
	t := s.t
	limit := t.readLimit()
	for c.permits > 0 && s.readPos < limit {
		id := s.readPos
		s.readPos++
		e := t.entryAt(id)
		if e == nil || s.isAcked(id) || e.txnState == txnAborted {
			continue
		}
		s.deliver(c, e)
	}
}

// dispatchReplay sends replayed entries first, oldest first.
func (s *subscription) dispatchReplay() {
	if len(s.replay) == 0 {
		return
	}
	kept := s.replay[:0]
	blocked := false
	for _, id := range s.replay {
		e := s.t.entryAt(id)
		if e == nil || s.isAcked(id) || s.pending[id] != nil || e.txnState == txnAborted {
			continue
		}
		if blocked {
			kept = append(kept, id)
			continue
		}
		c := s.pick(e)
		if c == nil {
			kept = append(kept, id)
			blocked = !s.anyPermits() || s.typ != KeyShared
			continue
		}
		s.deliver(c, e)
	}
	clear(s.replay[len(kept):])
	s.replay = kept
}

// dispatchNew reads on from the read position for Shared and Key_Shared
// consumers; entries not yet due for delayed delivery are parked.
func (s *subscription) dispatchNew() {
	t := s.t
	limit := t.readLimit()
	var now int64
	for s.readPos < limit && s.anyPermits() {
		id := s.readPos
		e := t.entryAt(id)
		if e == nil || s.isAcked(id) || e.txnState == txnAborted {
			s.readPos++
			continue
		}
		if e.deliverAt > 0 {
			if now == 0 {
				now = t.s.opts.clock.Now().UnixMilli()
			}
			if e.deliverAt > now {
				heap.Push(&s.delayed, delayed{at: e.deliverAt, id: id})
				t.wakeAtLocked(e.deliverAt)
				s.readPos++
				continue
			}
		}
		c := s.pick(e)
		if c == nil {
			if s.typ != KeyShared {
				break
			}
			// The key's consumer is full: keep the entry for later and let
			// other keys through, as the Key_Shared dispatcher does.
			s.readPos++
			s.addReplay(id)
			if len(s.replay) > 10000 {
				break
			}
			continue
		}
		s.readPos++
		s.deliver(c, e)
	}
}

// dispatchTransient offers a non-persistent message: delivered if a
// consumer has permits now, otherwise dropped.
func (s *subscription) dispatchTransient(e *entry) {
	if len(s.consumers) == 0 {
		return
	}
	var c *consumer
	if s.singleActive() {
		if s.active != nil && s.active.permits > 0 {
			c = s.active
		}
	} else {
		c = s.pick(e)
	}
	if c == nil {
		return
	}
	c.permits -= int64(e.numMsgs)
	s.t.msgsOut += int64(e.numMsgs)
	h := wire.MessageHeader{ConsumerID: c.id, LedgerID: s.t.ledger, EntryID: e.id, Partition: int32(s.t.name.Partition)}
	c.conn.writeMessage(&h, e.data)
}

func (s *subscription) deliver(c *consumer, e *entry) {
	s.pending[e.id] = c
	c.unacked++
	c.permits -= int64(e.numMsgs)
	c.msgsOut += int64(e.numMsgs)
	s.t.msgsOut += int64(e.numMsgs)
	h := wire.MessageHeader{
		ConsumerID:      c.id,
		LedgerID:        s.t.ledger,
		EntryID:         e.id,
		Partition:       int32(s.t.name.Partition),
		RedeliveryCount: s.redeliveries[e.id],
		AckSet:          s.partial[e.id],
	}
	c.conn.writeMessage(&h, e.data)
}

func (s *subscription) anyPermits() bool {
	for _, c := range s.consumers {
		if c.permits > 0 {
			return true
		}
	}
	return false
}

// pick chooses the consumer for e on a Shared or Key_Shared subscription,
// or nil if the one it must go to has no permits.
func (s *subscription) pick(e *entry) *consumer {
	if s.typ == KeyShared {
		c := s.keyConsumer(e.key)
		if c == nil || c.permits <= 0 {
			return nil
		}
		if c.joinPos > 0 {
			if s.ackFloor >= c.joinPos {
				c.joinPos = 0
			} else if e.id >= c.joinPos {
				return nil
			}
		}
		return c
	}
	// Shared: round robin over the consumers of the best priority level
	// that still have permits.
	best := int32(1 << 30)
	for _, c := range s.consumers {
		if c.permits > 0 && c.priority < best {
			best = c.priority
		}
	}
	n := len(s.consumers)
	for i := 0; i < n; i++ {
		c := s.consumers[(s.rr+i)%n]
		if c.permits > 0 && c.priority == best {
			s.rr = (s.rr + i + 1) % n
			return c
		}
	}
	return nil
}

// --------------------------------------------------------------- Key_Shared ---

type ringPoint struct {
	hash uint32
	c    *consumer
}

const ringPointsPerConsumer = 100

func (s *subscription) rebuildRing() {
	s.ring = s.ring[:0]
	for _, c := range s.consumers {
		if len(c.ranges) > 0 {
			continue
		}
		for i := 0; i < ringPointsPerConsumer; i++ {
			s.ring = append(s.ring, ringPoint{hash: stickyHash(c.name + strconv.Itoa(i)), c: c})
		}
	}
	sort.Slice(s.ring, func(i, j int) bool { return s.ring[i].hash < s.ring[j].hash })
}

// keyConsumer maps a key to its consumer: by the hash ranges of sticky
// consumers, else on the consistent-hash ring of auto-split ones.
func (s *subscription) keyConsumer(key string) *consumer {
	if key == "" {
		key = "NONE_KEY"
	}
	h := stickyHash(key)
	slot := int32(h % 65536)
	for _, c := range s.consumers {
		for _, r := range c.ranges {
			if slot >= r[0] && slot <= r[1] {
				return c
			}
		}
	}
	if len(s.ring) == 0 {
		return nil
	}
	i := sort.Search(len(s.ring), func(i int) bool { return s.ring[i].hash >= h })
	if i == len(s.ring) {
		i = 0
	}
	return s.ring[i].c
}

// stickyHash is Murmur3 32-bit (seed 0) masked to 31 bits, the broker's
// sticky-key hash.
func stickyHash(key string) uint32 { return murmur3(key) & 0x7fffffff }

func murmur3(key string) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h uint32
	n := len(key)
	i := 0
	for ; i+4 <= n; i += 4 {
		k := uint32(key[i]) | uint32(key[i+1])<<8 | uint32(key[i+2])<<16 | uint32(key[i+3])<<24
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	var k uint32
	switch n - i {
	case 3:
		k ^= uint32(key[i+2]) << 16
		fallthrough
	case 2:
		k ^= uint32(key[i+1]) << 8
		fallthrough
	case 1:
		k ^= uint32(key[i])
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// --------------------------------------------------------------- consumers ---

// attach adds a consumer; for single-active types it re-elects the active
// consumer.
func (s *subscription) attach(c *consumer) {
	s.consumers = append(s.consumers, c)
	s.membershipChanged()
}

// detach removes a consumer and gives its unacknowledged entries back. It
// reports whether c was attached.
func (s *subscription) detach(c *consumer) bool {
	i := slices.Index(s.consumers, c)
	if i < 0 {
		return false
	}
	s.consumers = slices.Delete(s.consumers, i, i+1)
	if s.singleActive() {
		for id, pc := range s.pending {
			if pc == c {
				delete(s.pending, id)
			}
		}
	} else {
		for id, pc := range s.pending {
			if pc == c {
				delete(s.pending, id)
				s.redeliveries[id]++
				s.addReplay(id)
			}
		}
	}
	c.unacked = 0
	s.membershipChanged()
	return true
}

func (s *subscription) membershipChanged() {
	switch s.typ {
	case KeyShared:
		s.rebuildRing()
	case Exclusive, Failover:
		s.electActive()
	}
	if s.rr >= len(s.consumers) {
		s.rr = 0
	}
}

// electActive picks the active consumer: the best priority level, then by
// name; on a partitioned topic the partition index spreads partitions over
// the consumers. A change of active consumer rewinds the cursor so the new
// one gets everything unacknowledged.
func (s *subscription) electActive() {
	var next *consumer
	if len(s.consumers) > 0 {
		sorted := slices.Clone(s.consumers)
		sort.SliceStable(sorted, func(i, j int) bool {
			if sorted[i].priority != sorted[j].priority {
				return sorted[i].priority < sorted[j].priority
			}
			return sorted[i].name < sorted[j].name
		})
		top := 0
		for top < len(sorted) && sorted[top].priority == sorted[0].priority {
			top++
		}
		idx := 0
		if p := s.t.name.Partition; p > 0 {
			idx = p % top
		}
		next = sorted[idx]
	}
	if next == s.active {
		return
	}
	s.active = next
	s.rewind()
	if s.typ == Failover {
		for _, c := range s.consumers {
			if c.flowed {
				c.notifyActive(c == next)
			}
		}
	}
}

// rewind makes every unacknowledged entry deliverable again, in order.
func (s *subscription) rewind() {
	for id, c := range s.pending {
		c.unacked--
		delete(s.pending, id)
	}
	s.replay = s.replay[:0]
	s.readPos = s.ackFloor
}

func (s *subscription) addReplay(id uint64) {
	i, found := slices.BinarySearch(s.replay, id)
	if !found {
		s.replay = slices.Insert(s.replay, i, id)
	}
}

// redeliver handles REDELIVER_UNACKNOWLEDGED_MESSAGES from c.
func (s *subscription) redeliver(c *consumer, ids []*wire.MessageIdData) {
	if s.singleActive() {
		// Single-active dispatchers cannot redeliver single entries without
		// breaking order: they rewind, and counts stay as they are.
		if c == s.active {
			s.rewind()
		}
		s.dispatch()
		return
	}
	back := func(id uint64) {
		delete(s.pending, id)
		c.unacked--
		s.redeliveries[id]++
		s.addReplay(id)
	}
	if len(ids) == 0 {
		for id, pc := range s.pending {
			if pc == c {
				back(id)
			}
		}
	} else {
		for _, m := range ids {
			if m.GetLedgerId() != s.t.ledger {
				continue
			}
			if pc := s.pending[m.GetEntryId()]; pc == c {
				back(m.GetEntryId())
			}
		}
	}
	s.dispatch()
}

// releaseDelayed moves delayed entries that are due to the replay list.
func (s *subscription) releaseDelayed(now int64) {
	for len(s.delayed) > 0 && s.delayed[0].at <= now {
		d := heap.Pop(&s.delayed).(delayed)
		s.addReplay(d.id)
	}
	if len(s.delayed) > 0 {
		s.t.wakeAtLocked(s.delayed[0].at)
	}
}

// --------------------------------------------------------------- acks ---

func (s *subscription) ackOne(id uint64) {
	if id < s.ackFloor {
		return
	}
	if c := s.pending[id]; c != nil {
		c.unacked--
		delete(s.pending, id)
	}
	delete(s.partial, id)
	delete(s.redeliveries, id)
	s.acked[id] = struct{}{}
	s.advanceFloor()
}

// ackUpTo acknowledges every entry up to and including id.
func (s *subscription) ackUpTo(id uint64) {
	if id+1 <= s.ackFloor {
		return
	}
	for pid, c := range s.pending {
		if pid <= id {
			c.unacked--
			delete(s.pending, pid)
		}
	}
	for k := range s.acked {
		if k <= id {
			delete(s.acked, k)
		}
	}
	for k := range s.partial {
		if k <= id {
			delete(s.partial, k)
		}
	}
	for k := range s.redeliveries {
		if k <= id {
			delete(s.redeliveries, k)
		}
	}
	s.ackFloor = id + 1
	s.readPos = max(s.readPos, s.ackFloor)
	s.advanceFloor()
}

// ackPartial records a batch-index acknowledgement; ackSet has a bit set
// for every message of the batch that is still unacknowledged.
func (s *subscription) ackPartial(id uint64, ackSet []int64) {
	if s.isAcked(id) {
		return
	}
	cur, ok := s.partial[id]
	if !ok {
		cur = slices.Clone(ackSet)
	} else {
		for i := range cur {
			if i < len(ackSet) {
				cur[i] &= ackSet[i]
			}
		}
	}
	if e := s.t.entryAt(id); e != nil {
		// Bits beyond the batch do not count.
		n := int(e.numMsgs)
		for i := range cur {
			lo := i * 64
			if lo >= n {
				cur[i] = 0
			} else if n-lo < 64 {
				cur[i] &= int64(uint64(1)<<uint(n-lo) - 1)
			}
		}
	}
	for _, w := range cur {
		if w != 0 {
			s.partial[id] = cur
			return
		}
	}
	s.ackOne(id)
}

func (s *subscription) advanceFloor() {
	t := s.t
	for {
		if s.ackFloor < t.first {
			s.ackFloor = t.first
			continue
		}
		if _, ok := s.acked[s.ackFloor]; ok {
			delete(s.acked, s.ackFloor)
			s.ackFloor++
			continue
		}
		if e := t.entryAt(s.ackFloor); e != nil && e.txnState == txnAborted {
			s.ackFloor++
			continue
		}
		break
	}
	s.readPos = max(s.readPos, s.ackFloor)
}

// trimmed forgets state about entries retention dropped.
func (s *subscription) trimmed() {
	first := s.t.first
	if s.ackFloor >= first {
		return
	}
	for id, c := range s.pending {
		if id < first {
			c.unacked--
			delete(s.pending, id)
		}
	}
	for k := range s.acked {
		if k < first {
			delete(s.acked, k)
		}
	}
	s.ackFloor = first
	s.advanceFloor()
}

// reset moves the cursor to entry id: everything before it counts as
// acknowledged, everything from it on will be delivered again.
func (s *subscription) reset(id uint64) {
	s.ackFloor = max(id, s.t.first)
	clear(s.acked)
	clear(s.partial)
	clear(s.redeliveries)
	for pid, c := range s.pending {
		c.unacked--
		delete(s.pending, pid)
	}
	s.replay = s.replay[:0]
	s.delayed = s.delayed[:0]
	s.readPos = s.ackFloor
	s.advanceFloor()
}

// backlog counts unacknowledged messages (not entries); a partially
// acknowledged batch counts its remaining messages.
func (s *subscription) backlog() (msgs, entries int64) {
	t := s.t
	for id := max(s.ackFloor, t.first); id < t.next; id++ {
		if s.isAcked(id) {
			continue
		}
		e := t.entryAt(id)
		if e == nil || e.txnState != txnNone {
			continue
		}
		entries++
		if set, ok := s.partial[id]; ok {
			for _, w := range set {
				msgs += int64(popcount(uint64(w)))
			}
			continue
		}
		msgs += int64(e.numMsgs)
	}
	return msgs, entries
}

func popcount(x uint64) int {
	n := 0
	for x != 0 {
		x &= x - 1
		n++
	}
	return n
}

// markDelete is the last entry of the acknowledged prefix, for
// GET_LAST_MESSAGE_ID.
func (s *subscription) markDelete() *wire.MessageIdData {
	return &wire.MessageIdData{LedgerId: proto.Uint64(s.t.ledger), EntryId: proto.Uint64(s.ackFloor - 1)}
}

// --------------------------------------------------------------- delays ---

type delayed struct {
	at int64
	id uint64
}

type delayHeap []delayed

func (h delayHeap) Len() int { return len(h) }
func (h delayHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].id < h[j].id
}
func (h delayHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)   { *h = append(*h, x.(delayed)) }
func (h *delayHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

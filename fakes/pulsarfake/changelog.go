package pulsarfake

import (
	"encoding/binary"
	"encoding/json"
	"errors"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// Records of the change log (persist.go). A stored entry is binary, as it
// is written for every SEND:
//
//	'E' flags uvarint(ledger) uvarint(id) uvarint(len) topic uvarint(len) producer varint(seq) data
//
// flags bit 0: written in a transaction (invisible until its "txn" record).
// producer is set when deduplication tracks the SEND's sequence id.
// Everything else is a JSON change. Each record names the topic's ledger,
// so records of a deleted topic never touch a newer one of the same name,
// and each is idempotent: replaying the log over a snapshot that already
// holds some of its changes gives the same state.

const (
	recEntry = 'E'
	flagTxn  = 1
)

// Kinds of JSON changes.
const (
	chTopic    = "topic"    // Topic created with Ledger
	chDelTopic = "deltopic" // Topic with Ledger deleted
	chSub      = "sub"      // Cursor: a durable subscription created, or its cursor set
	chUnsub    = "unsub"    // Sub deleted
	chAck      = "ack"      // Acks applied to Sub
	chTxn      = "txn"      // entries IDs committed (Commit) or aborted
	chTenant   = "tenant"   // Name's TenantInfo, nil = deleted
	chNS       = "ns"       // namespace Name, Present or deleted
	chPart     = "part"     // partitioned topic Name has Partitions, 0 = deleted
	chDedup    = "dedup"    // topic Name's deduplication policy, nil = removed
	chSchema   = "schema"   // topic Name's schema versions, nil = deleted
	chPolicy   = "policy"   // scope Name's Policy set to Value; nil = removed, no Policy = all removed
)

type change struct {
	Kind       string          `json:"k"`
	Topic      string          `json:"t,omitempty"`
	Ledger     uint64          `json:"l,omitempty"`
	Sub        string          `json:"s,omitempty"`
	Cursor     *snapSub        `json:"c,omitempty"`
	Cumulative bool            `json:"cum,omitempty"`
	Acks       []ackRec        `json:"a,omitempty"`
	IDs        []uint64        `json:"ids,omitempty"`
	Commit     bool            `json:"commit,omitempty"`
	Name       string          `json:"n,omitempty"`
	Tenant     *TenantInfo     `json:"tenant,omitempty"`
	Present    bool            `json:"p,omitempty"`
	Partitions int             `json:"parts,omitempty"`
	Dedup      *bool           `json:"dedup,omitempty"`
	Schemas    [][]byte        `json:"schemas,omitempty"`
	Policy     string          `json:"pol,omitempty"`
	Value      json.RawMessage `json:"v,omitempty"`
}

// ackRec is one acknowledged message id: an entry and, for a batch-index
// ack, the bits of the messages still unacknowledged.
type ackRec struct {
	Entry  uint64  `json:"e"`
	AckSet []int64 `json:"set,omitempty"`
}

// ------------------------------------------------------------- writing ---

func (p *persister) appendChange(c *change) {
	b, err := json.Marshal(c)
	if err != nil {
		p.s.log.Error("pulsarfake: persisting a change", "err", err)
		return
	}
	p.append(b)
}

// logLocked writes a server-level change; s.mu is held.
func (s *Server) logLocked(c change) {
	if s.p != nil {
		s.p.appendChange(&c)
	}
}

// logged reports whether changes to t are written to the data dir.
func (t *topic) logged() bool { return t.s.p != nil && t.name.Persistent }

// logEntryLocked writes a stored SEND; t.mu is held.
func (t *topic) logEntryLocked(e *entry, producer string, seq int64) {
	buf := make([]byte, 0, 2+3*binary.MaxVarintLen64+len(t.name.Full)+len(producer)+10+len(e.data))
	var flags byte
	if e.txnState == txnOpen {
		flags |= flagTxn
	}
	buf = append(buf, recEntry, flags)
	buf = binary.AppendUvarint(buf, t.ledger)
	buf = binary.AppendUvarint(buf, e.id)
	buf = binary.AppendUvarint(buf, uint64(len(t.name.Full)))
	buf = append(buf, t.name.Full...)
	buf = binary.AppendUvarint(buf, uint64(len(producer)))
	buf = append(buf, producer...)
	buf = binary.AppendVarint(buf, seq)
	buf = append(buf, e.data...)
	t.s.p.append(buf)
}

// logSubLocked writes a durable subscription's cursor; t.mu is held.
func (t *topic) logSubLocked(sub *subscription) {
	if !t.logged() || !sub.durable {
		return
	}
	ss := sub.snap()
	t.s.p.appendChange(&change{Kind: chSub, Topic: t.name.Full, Ledger: t.ledger, Cursor: &ss})
}

// logUnsubLocked writes the deletion of a durable subscription.
func (t *topic) logUnsubLocked(sub *subscription) {
	if !t.logged() || !sub.durable {
		return
	}
	t.s.p.appendChange(&change{Kind: chUnsub, Topic: t.name.Full, Ledger: t.ledger, Sub: sub.name})
}

// logAckLocked writes an ACK applied to a durable subscription.
func (sub *subscription) logAckLocked(typ wire.CommandAck_AckType, ids []*wire.MessageIdData) {
	t := sub.t
	if !t.logged() || !sub.durable {
		return
	}
	c := change{Kind: chAck, Topic: t.name.Full, Ledger: t.ledger, Sub: sub.name, Cumulative: typ == wire.CommandAck_Cumulative}
	for _, m := range ids {
		if m.GetLedgerId() == t.ledger {
			c.Acks = append(c.Acks, ackRec{Entry: m.GetEntryId(), AckSet: m.AckSet})
		}
	}
	if len(c.Acks) > 0 {
		t.s.p.appendChange(&c)
	}
}

func (s *Server) logTopicLocked(kind string, t *topic) {
	if t.logged() {
		s.p.appendChange(&change{Kind: kind, Topic: t.name.Full, Ledger: t.ledger})
	}
}

func (s *Server) logSchemaLocked(base string) {
	if s.p == nil {
		return
	}
	c := change{Kind: chSchema, Name: base}
	if l := s.schemas[base]; l != nil {
		c.Schemas = l.encode()
	}
	s.p.appendChange(&c)
}

// ------------------------------------------------------------- replay ---

// errBadRecord marks a record that passed its CRC but does not decode; it
// is skipped, not a failed start.
var errBadRecord = errors.New("undecodable record")

// replayRecord applies one log record during New.
func (s *Server) replayRecord(rec []byte) error {
	var err error
	if len(rec) > 0 && rec[0] == recEntry {
		err = s.replayEntry(rec[1:])
	} else {
		var c change
		if err = json.Unmarshal(rec, &c); err == nil {
			s.replayChange(&c)
		}
	}
	if err != nil {
		s.log.Warn("pulsarfake: skipping a log record", "err", err)
	}
	return nil
}

// replayTopic is the topic a record is about, nil if it is gone.
func (s *Server) replayTopic(full string, ledger uint64) *topic {
	if t := s.topics[full]; t != nil && t.ledger == ledger {
		return t
	}
	return nil
}

func (s *Server) replayEntry(rec []byte) error {
	if len(rec) < 1 {
		return errBadRecord
	}
	flags, r := rec[0], rec[1:]
	var ledger, id uint64
	var name, producer string
	var seq int64
	ok := true
	next := func() uint64 {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			ok = false
			return 0
		}
		r = r[n:]
		return v
	}
	str := func() string {
		n := next()
		if !ok || n > uint64(len(r)) {
			ok = false
			return ""
		}
		v := string(r[:n])
		r = r[n:]
		return v
	}
	ledger, id, name, producer = next(), next(), str(), str()
	if ok {
		v, n := binary.Varint(r)
		ok = n > 0
		if ok {
			seq, r = v, r[n:]
		}
	}
	if !ok {
		return errBadRecord
	}
	t := s.replayTopic(name, ledger)
	if t == nil || id < t.next {
		return nil // deleted since, or in the snapshot already
	}
	if len(t.entries) == 0 {
		t.first, t.next = id, id
	}
	for t.next < id { // cannot happen; keep the log contiguous anyway
		t.entries = append(t.entries, storedEntry(t.next, nil))
		t.next++
	}
	e := storedEntry(id, append([]byte(nil), r...))
	if flags&flagTxn != 0 {
		e.txnState = txnOpen
		t.openTxn++
	}
	t.entries = append(t.entries, e)
	t.bytes += int64(len(e.data))
	t.next++
	t.trimLocked()
	if producer != "" {
		if t.lastSeq == nil {
			t.lastSeq = map[string]int64{}
		}
		if last, ok := t.lastSeq[producer]; !ok || seq > last {
			t.lastSeq[producer] = seq
		}
	}
	return nil
}

func (s *Server) replayChange(c *change) {
	switch c.Kind {
	case chTopic, chDelTopic:
		s.replayTopicChange(c)
	case chSub, chUnsub, chAck, chTxn:
		if t := s.replayTopic(c.Topic, c.Ledger); t != nil {
			t.replayChange(c)
		}
	case chTenant:
		if c.Tenant == nil {
			delete(s.tenants, c.Name)
		} else {
			s.tenants[c.Name] = c.Tenant
		}
	case chNS:
		if c.Present {
			s.namespaces[c.Name] = true
		} else {
			delete(s.namespaces, c.Name)
		}
	case chPart:
		if c.Partitions > 0 {
			s.partitioned[c.Name] = c.Partitions
		} else {
			delete(s.partitioned, c.Name)
		}
	case chDedup:
		if c.Dedup == nil {
			delete(s.dedupPolicy, c.Name)
		} else {
			if s.dedupPolicy == nil {
				s.dedupPolicy = map[string]bool{}
			}
			s.dedupPolicy[c.Name] = *c.Dedup
		}
		s.updateDedupAnyLocked()
	case chPolicy:
		s.policies.apply(c)
	case chSchema:
		if c.Schemas == nil {
			delete(s.schemas, c.Name)
		} else {
			s.schemas[c.Name] = decodeSchemas(c.Schemas)
		}
	}
}

func (s *Server) replayTopicChange(c *change) {
	name, err := parseTopic(c.Topic)
	if err != nil {
		s.log.Error("pulsarfake: data dir: skipping a change to a topic the broker would refuse", "topic", c.Topic, "error", err)
		return
	}
	old := s.topics[name.Full]
	if c.Kind == chDelTopic {
		if old != nil && old.ledger == c.Ledger {
			delete(s.topics, name.Full)
		}
		return
	}
	if old == nil || old.ledger != c.Ledger {
		s.topics[name.Full] = newTopic(s, name, c.Ledger)
	}
	s.nextLedger = max(s.nextLedger, c.Ledger+1)
}

func (t *topic) replayChange(c *change) {
	switch c.Kind {
	case chSub:
		if c.Cursor != nil {
			t.restoreSub(c.Cursor)
		}
	case chUnsub:
		delete(t.subs, c.Sub)
	case chAck:
		sub := t.subs[c.Sub]
		if sub == nil {
			return
		}
		typ := wire.CommandAck_Individual
		if c.Cumulative {
			typ = wire.CommandAck_Cumulative
		}
		ids := make([]*wire.MessageIdData, len(c.Acks))
		for i, a := range c.Acks {
			ids[i] = &wire.MessageIdData{LedgerId: proto.Uint64(t.ledger), EntryId: proto.Uint64(a.Entry), AckSet: a.AckSet}
		}
		sub.applyAck(typ, ids)
	case chTxn:
		state := txnAborted
		if c.Commit {
			state = txnNone
		}
		for _, id := range c.IDs {
			if e := t.entryAt(id); e != nil && e.txnState == txnOpen {
				e.txnState = state
				t.openTxn--
			}
		}
		for _, sub := range t.subs {
			sub.advanceFloor()
		}
	}
}

// finishReplay aborts the transactions the log left open: their
// coordinator is gone, as after a broker restart.
func (s *Server) finishReplay() {
	for _, t := range s.topics {
		if t.openTxn == 0 {
			continue
		}
		for i := range t.entries {
			if t.entries[i].txnState == txnOpen {
				t.entries[i].txnState = txnAborted
			}
		}
		t.openTxn = 0
		for _, sub := range t.subs {
			sub.advanceFloor()
		}
	}
}

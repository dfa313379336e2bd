package pulsarfake

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"github.com/brokerkit/brokerkit/internal/datadir"
	"google.golang.org/protobuf/proto"
)

// The data directory holds a gob snapshot and a log of the changes made
// since (changelog.go). The snapshot keeps topics with their entries,
// durable subscriptions with their cursors, partitioned metadata, schemas,
// tenants, namespaces and deduplication state. Readers, connections and
// open transactions are not persisted, as they would not survive a broker
// restart either.
//
// The log is split in generations, pulsarfake-changes-<gen>.log. A
// compaction switches appends to the next generation first, then captures
// the state and writes the snapshot naming that generation, then removes the
// older logs: appends never wait for a snapshot, and a crash at any point
// leaves a snapshot plus the logs that complete it. Replaying a record the
// snapshot already holds changes nothing.

const snapshotFile = "pulsarfake.gob"
const snapshotVersion = 1

const logPrefix, logSuffix = "pulsarfake-changes-", ".log"

func logName(gen uint64) string { return logPrefix + strconv.FormatUint(gen, 10) + logSuffix }

type snapshot struct {
	Version     int
	LogGen      uint64 // the first log generation not folded into this snapshot
	NextLedger  uint64
	ProducerSeq uint64
	Tenants     map[string]*TenantInfo
	Namespaces  []string
	Partitioned map[string]int
	Schemas     map[string][][]byte // encoded wire.Schema per version
	Topics      []snapTopic
	Dedup       map[string]bool                       // deduplicationEnabled topic policies
	Policies    map[string]map[string]json.RawMessage // namespace and topic policies by scope
}

type snapTopic struct {
	Name    string
	Ledger  uint64
	First   uint64
	Next    uint64
	Entries [][]byte // nil = aborted transaction
	Open    []uint64 // entries of transactions still open
	Subs    []snapSub
	LastSeq map[string]int64 // deduplication state per producer name
}

type snapSub struct {
	Name         string             `json:"n"`
	Type         int32              `json:"t,omitempty"`
	AckFloor     uint64             `json:"f,omitempty"`
	Acked        []uint64           `json:"a,omitempty"`
	Partial      map[uint64][]int64 `json:"p,omitempty"`
	Redeliveries map[uint64]uint32  `json:"r,omitempty"`
	Props        map[string]string  `json:"props,omitempty"`
}

// snap copies the cursor; the topic's mutex must be held.
func (sub *subscription) snap() snapSub {
	ss := snapSub{Name: sub.name, Type: int32(sub.typ), AckFloor: sub.ackFloor,
		Redeliveries: maps.Clone(sub.redeliveries), Props: sub.props}
	if len(sub.partial) > 0 {
		ss.Partial = make(map[uint64][]int64, len(sub.partial))
		for k, v := range sub.partial {
			ss.Partial[k] = slices.Clone(v) // ackPartial narrows the set in place
		}
	}
	for id := range sub.acked {
		ss.Acked = append(ss.Acked, id)
	}
	slices.Sort(ss.Acked)
	return ss
}

// restoreSub creates or overwrites a durable subscription from ss.
func (t *topic) restoreSub(ss *snapSub) {
	sub := t.subs[ss.Name]
	if sub == nil {
		sub = newSubscription(t, ss.Name, SubscriptionType(ss.Type), true, ss.AckFloor)
		t.subs[ss.Name] = sub
	}
	sub.typ = SubscriptionType(ss.Type)
	sub.ackFloor, sub.readPos = ss.AckFloor, ss.AckFloor
	clear(sub.acked)
	for _, id := range ss.Acked {
		sub.acked[id] = struct{}{}
	}
	clear(sub.partial)
	for k, v := range ss.Partial {
		sub.partial[k] = slices.Clone(v)
	}
	clear(sub.redeliveries)
	maps.Copy(sub.redeliveries, ss.Redeliveries)
	sub.props = ss.Props
	sub.advanceFloor()
}

func (s *Server) snapshot() *snapshot {
	s.mu.Lock()
	snap := &snapshot{
		Version:     snapshotVersion,
		NextLedger:  s.nextLedger,
		ProducerSeq: s.producerSeq.Load(),
		Tenants:     maps.Clone(s.tenants),
		Partitioned: maps.Clone(s.partitioned),
		Schemas:     map[string][][]byte{},
		Dedup:       maps.Clone(s.dedupPolicy),
	}
	for ns := range s.namespaces {
		snap.Namespaces = append(snap.Namespaces, ns)
	}
	snap.Policies = s.policies.all()
	for base, log := range s.schemas {
		snap.Schemas[base] = log.encode()
	}
	topics := make([]*topic, 0, len(s.topics))
	for _, t := range s.topics {
		topics = append(topics, t)
	}
	s.mu.Unlock()
	for _, t := range topics {
		if !t.name.Persistent {
			continue
		}
		t.mu.Lock()
		st := snapTopic{Name: t.name.Full, Ledger: t.ledger, First: t.first, Next: t.next, LastSeq: maps.Clone(t.lastSeq)}
		for _, e := range t.entries {
			switch e.txnState {
			case txnNone:
				st.Entries = append(st.Entries, e.data)
			case txnOpen:
				// Kept: the commit may come in the log after this snapshot.
				st.Entries = append(st.Entries, e.data)
				st.Open = append(st.Open, e.id)
			default:
				st.Entries = append(st.Entries, nil)
			}
		}
		for _, sub := range t.subs {
			if sub.durable {
				st.Subs = append(st.Subs, sub.snap())
			}
		}
		snap.Topics = append(snap.Topics, st)
		t.mu.Unlock()
	}
	return snap
}

func (l *schemaLog) encode() [][]byte {
	out := make([][]byte, 0, len(l.versions))
	for _, v := range l.versions {
		b, _ := proto.Marshal(v)
		out = append(out, b)
	}
	return out
}

func decodeSchemas(versions [][]byte) *schemaLog {
	log := &schemaLog{}
	for _, b := range versions {
		sc := &wire.Schema{}
		if proto.Unmarshal(b, sc) == nil {
			log.versions = append(log.versions, sc)
		}
	}
	return log
}

// ------------------------------------------------------------ persister ---

// persister is the write-through side of WithDataDir.
type persister struct {
	s         *Server
	dir       *datadir.Dir
	sync      bool
	compactAt int64

	mu       sync.Mutex // guards the fields below
	log      *datadir.Log
	gen      uint64   // generation of log
	stale    []uint64 // older generations still on disk
	snapSize int64
	closed   bool

	compacting atomic.Bool
	compactMu  sync.Mutex // one compaction at a time
}

// openDataDir locks the data directory, loads the snapshot and replays the
// logs after it.
func (s *Server) openDataDir() error {
	d, err := datadir.Open(s.opts.dataDir)
	if err != nil {
		return fmt.Errorf("pulsarfake: data dir: %w", err)
	}
	p := &persister{s: s, dir: d, sync: s.opts.syncWrites, compactAt: s.opts.compactAt}
	if err := p.open(); err != nil {
		_ = d.Close()
		return err
	}
	s.dir, s.p = d, p
	s.policies.logged = func(c change) { p.appendChange(&c) }
	if len(p.stale) > 0 {
		// Fold the replayed generations into a snapshot now, so at most two
		// logs are ever on disk.
		if err := p.compact(false); err != nil {
			s.log.Error("pulsarfake: writing a snapshot", "err", err)
		}
	}
	return nil
}

func (p *persister) open() error {
	gen, size, err := p.s.loadSnapshot(p.dir)
	if err != nil {
		return err
	}
	p.snapSize = size
	gens, err := logGens(p.dir.Path())
	if err != nil {
		return fmt.Errorf("pulsarfake: data dir: %w", err)
	}
	for _, g := range gens {
		if g < gen {
			_ = p.dir.Remove(logName(g)) // folded into the snapshot already
			continue
		}
		l, err := p.dir.OpenLog(logName(g), p.sync, p.s.replayRecord)
		if err != nil {
			if p.log != nil {
				_ = p.log.Close()
			}
			return fmt.Errorf("pulsarfake: replaying %s: %w", logName(g), err)
		}
		if p.log != nil {
			_ = p.log.Close()
			p.stale = append(p.stale, p.gen)
		}
		p.log, p.gen = l, g
	}
	p.s.finishReplay()
	if p.log == nil {
		l, err := p.dir.OpenLog(logName(gen), p.sync, nil)
		if err != nil {
			return fmt.Errorf("pulsarfake: data dir: %w", err)
		}
		p.log, p.gen = l, gen
	}
	return nil
}

// logGens lists the log generations in dir, oldest first.
func logGens(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var gens []uint64
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, logPrefix) || !strings.HasSuffix(n, logSuffix) {
			continue
		}
		if g, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(n, logPrefix), logSuffix), 10, 64); err == nil {
			gens = append(gens, g)
		}
	}
	slices.Sort(gens)
	return gens, nil
}

// append writes one record before the change is answered, and starts a
// compaction in the background when the log has grown past compactAt and
// twice the last snapshot.
func (p *persister) append(rec []byte) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	err := p.log.Append(rec)
	size, limit := p.log.Size(), max(p.compactAt, 2*p.snapSize)
	p.mu.Unlock()
	if err != nil {
		p.s.log.Error("pulsarfake: persisting a change", "err", err)
		return
	}
	if size > limit && p.compacting.CompareAndSwap(false, true) {
		go func() {
			defer p.compacting.Store(false)
			if err := p.compact(false); err != nil {
				p.s.log.Error("pulsarfake: writing a snapshot", "err", err)
			}
		}()
	}
}

// compact switches to a new log generation, writes a snapshot naming it and
// removes the older logs. final (Close) writes no new log: later changes
// are dropped.
func (p *persister) compact(final bool) error {
	p.compactMu.Lock()
	defer p.compactMu.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	old, folded, next := p.log, append(slices.Clone(p.stale), p.gen), p.gen+1
	if final {
		p.closed = true
	} else {
		l, err := p.dir.OpenLog(logName(next), p.sync, nil)
		if err != nil {
			p.mu.Unlock()
			return err
		}
		p.log, p.gen, p.stale = l, next, folded
	}
	p.mu.Unlock()
	closeErr := old.Close()
	snap := p.s.snapshot()
	snap.LogGen = next
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(snap); err != nil {
		return errors.Join(closeErr, err)
	}
	if err := p.dir.WriteFile(snapshotFile, buf.Bytes()); err != nil {
		return errors.Join(closeErr, err) // the old logs stay and are replayed at start
	}
	var err error
	for _, g := range folded {
		err = errors.Join(err, p.dir.Remove(logName(g)))
	}
	p.mu.Lock()
	p.snapSize = int64(buf.Len())
	if !final {
		p.stale = nil
	}
	p.mu.Unlock()
	return errors.Join(closeErr, err)
}

// abandon closes the log without a snapshot, as a crash would leave it.
func (p *persister) abandon() {
	p.compactMu.Lock()
	defer p.compactMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		_ = p.log.Close()
	}
}

// abandonDataDir releases the data directory without a snapshot.
func (s *Server) abandonDataDir() {
	if s.p != nil {
		s.p.abandon()
		_ = s.dir.Close()
	}
}

// close compacts the log into the snapshot and releases the directory.
func (p *persister) close() error {
	err := p.compact(true)
	if err != nil {
		err = fmt.Errorf("pulsarfake: saving state: %w", err)
	}
	return errors.Join(err, p.dir.Close())
}

// loadSnapshot reads the snapshot, if there is one, into an empty server.
// It returns the first log generation to replay and the snapshot's size.
func (s *Server) loadSnapshot(d *datadir.Dir) (gen uint64, size int64, err error) {
	data, err := d.ReadFile(snapshotFile)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("pulsarfake: loading state: %w", err)
	}
	where := filepath.Join(d.Path(), snapshotFile)
	var snap snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&snap); err != nil {
		return 0, 0, fmt.Errorf("pulsarfake: loading state from %s: %w", where, err)
	}
	if snap.Version != snapshotVersion {
		return 0, 0, fmt.Errorf("pulsarfake: state in %s has version %d, want %d", where, snap.Version, snapshotVersion)
	}
	s.restore(&snap)
	return snap.LogGen, int64(len(data)), nil
}

func (s *Server) restore(snap *snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextLedger = max(s.nextLedger, snap.NextLedger)
	s.producerSeq.Store(max(s.producerSeq.Load(), snap.ProducerSeq))
	maps.Copy(s.tenants, snap.Tenants)
	for _, ns := range snap.Namespaces {
		s.namespaces[ns] = true
	}
	maps.Copy(s.partitioned, snap.Partitioned)
	if len(snap.Dedup) > 0 {
		s.dedupPolicy = maps.Clone(snap.Dedup)
		s.updateDedupAnyLocked()
	}
	for base, versions := range snap.Schemas {
		s.schemas[base] = decodeSchemas(versions)
	}
	if snap.Policies != nil {
		s.policies.replace(snap.Policies)
	}
	for i := range snap.Topics {
		st := &snap.Topics[i]
		name, err := parseTopic(st.Name)
		if err != nil {
			s.log.Error("pulsarfake: data dir: skipping a topic the broker would refuse", "topic", st.Name, "error", err)
			continue
		}
		t := newTopic(s, name, st.Ledger)
		t.first, t.next = st.First, st.First
		t.lastSeq = st.LastSeq
		for _, data := range st.Entries {
			t.entries = append(t.entries, storedEntry(t.next, data))
			t.bytes += int64(len(data))
			t.next++
		}
		t.next = max(t.next, st.Next)
		if len(t.entries) == 0 {
			t.first = t.next
		}
		for _, id := range st.Open {
			if e := t.entryAt(id); e != nil {
				e.txnState = txnOpen
				t.openTxn++
			}
		}
		for j := range st.Subs {
			t.restoreSub(&st.Subs[j])
		}
		s.topics[name.Full] = t
	}
}

// storedEntry rebuilds an entry from its stored bytes; nil is an aborted
// (or never committed) transaction's entry.
func storedEntry(id uint64, data []byte) entry {
	e := entry{id: id, data: data, numMsgs: 1}
	if data == nil {
		e.txnState = txnAborted
	} else if m, err := wire.ParseHeaders(data); err == nil {
		e.numMsgs, e.batched = max(m.NumMessages, 1), m.Batched
		e.publish, e.deliverAt, e.key = m.PublishTime, m.DeliverAt, m.StickyKey()
	}
	return e
}

// reload replaces the in-memory state with the saved snapshot (Restart).
func (s *Server) reload() error {
	s.mu.Lock()
	old := s.topics
	s.topics = map[string]*topic{}
	s.partitioned = map[string]int{}
	s.schemas = map[string]*schemaLog{}
	s.mu.Unlock()
	for _, t := range old {
		t.mu.Lock()
		t.deleted = true
		t.stopTimerLocked()
		t.mu.Unlock()
	}
	_, _, err := s.loadSnapshot(s.dir)
	s.finishReplay()
	return err
}

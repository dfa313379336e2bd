package pulsarfake

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"github.com/brokerkit/brokerkit/internal/datadir"
	"google.golang.org/protobuf/proto"
)

// The data directory holds one gob snapshot, written on Close (and by
// Restart) and read by New. It keeps topics with their entries, durable
// subscriptions with their cursors, partitioned metadata, schemas, tenants
// and namespaces. Readers, connections and open transactions are not
// persisted, as they would not survive a broker restart either.

const snapshotFile = "pulsarfake.gob"
const snapshotVersion = 1

type snapshot struct {
	Version     int
	NextLedger  uint64
	ProducerSeq uint64
	Tenants     map[string]*TenantInfo
	Namespaces  []string
	Partitioned map[string]int
	Schemas     map[string][][]byte // encoded wire.Schema per version
	Topics      []snapTopic
	Dedup       map[string]bool // deduplicationEnabled topic policies
}

type snapTopic struct {
	Name    string
	Ledger  uint64
	First   uint64
	Next    uint64
	Entries [][]byte // nil = aborted or unfinished transaction
	Subs    []snapSub
	LastSeq map[string]int64 // deduplication state per producer name
}

type snapSub struct {
	Name         string
	Type         int32
	AckFloor     uint64
	Acked        []uint64
	Partial      map[uint64][]int64
	Redeliveries map[uint64]uint32
	Props        map[string]string
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
	for base, log := range s.schemas {
		for _, v := range log.versions {
			b, _ := proto.Marshal(v)
			snap.Schemas[base] = append(snap.Schemas[base], b)
		}
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
			if e.txnState == txnNone {
				st.Entries = append(st.Entries, e.data)
			} else {
				st.Entries = append(st.Entries, nil)
			}
		}
		for _, sub := range t.subs {
			if !sub.durable {
				continue
			}
			ss := snapSub{Name: sub.name, Type: int32(sub.typ), AckFloor: sub.ackFloor,
				Partial: maps.Clone(sub.partial), Redeliveries: maps.Clone(sub.redeliveries), Props: sub.props}
			for id := range sub.acked {
				ss.Acked = append(ss.Acked, id)
			}
			st.Subs = append(st.Subs, ss)
		}
		snap.Topics = append(snap.Topics, st)
		t.mu.Unlock()
	}
	return snap
}

// openDataDir locks the data directory against a second process.
func (s *Server) openDataDir() error {
	d, err := datadir.Open(s.opts.dataDir)
	if err != nil {
		return fmt.Errorf("pulsarfake: data dir: %w", err)
	}
	s.dir = d
	return nil
}

// save replaces the snapshot atomically and durably.
func (s *Server) save() error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s.snapshot()); err != nil {
		return fmt.Errorf("pulsarfake: saving state: %w", err)
	}
	if err := s.dir.WriteFile(snapshotFile, buf.Bytes()); err != nil {
		return fmt.Errorf("pulsarfake: saving state: %w", err)
	}
	return nil
}

// load reads the snapshot, if there is one, into an empty server.
func (s *Server) load() error {
	data, err := s.dir.ReadFile(snapshotFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pulsarfake: loading state: %w", err)
	}
	where := filepath.Join(s.dir.Path(), snapshotFile)
	var snap snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&snap); err != nil {
		return fmt.Errorf("pulsarfake: loading state from %s: %w", where, err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("pulsarfake: state in %s has version %d, want %d", where, snap.Version, snapshotVersion)
	}
	s.restore(&snap)
	return nil
}

func (s *Server) restore(snap *snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextLedger = max(s.nextLedger, snap.NextLedger)
	s.producerSeq.Store(max(s.producerSeq.Load(), snap.ProducerSeq))
	for k, v := range snap.Tenants {
		s.tenants[k] = v
	}
	for _, ns := range snap.Namespaces {
		s.namespaces[ns] = true
	}
	for k, v := range snap.Partitioned {
		s.partitioned[k] = v
	}
	if len(snap.Dedup) > 0 {
		s.dedupPolicy = maps.Clone(snap.Dedup)
		s.updateDedupAnyLocked()
	}
	for base, versions := range snap.Schemas {
		log := &schemaLog{}
		for _, b := range versions {
			sc := &wire.Schema{}
			if proto.Unmarshal(b, sc) == nil {
				log.versions = append(log.versions, sc)
			}
		}
		s.schemas[base] = log
	}
	for _, st := range snap.Topics {
		name, err := parseTopic(st.Name)
		if err != nil {
			continue
		}
		t := newTopic(s, name, st.Ledger)
		t.first, t.next = st.First, st.First
		t.lastSeq = st.LastSeq
		for _, data := range st.Entries {
			e := entry{id: t.next, data: data, numMsgs: 1}
			if data == nil {
				e.txnState = txnAborted
			} else if m, err := wire.ParseHeaders(data); err == nil {
				e.numMsgs, e.batched = max(m.NumMessages, 1), m.Batched
				e.publish, e.deliverAt, e.key = m.PublishTime, m.DeliverAt, m.StickyKey()
			}
			t.entries = append(t.entries, e)
			t.bytes += int64(len(data))
			t.next++
		}
		t.next = max(t.next, st.Next)
		if len(t.entries) == 0 {
			t.first = t.next
		}
		for _, ss := range st.Subs {
			sub := newSubscription(t, ss.Name, SubscriptionType(ss.Type), true, ss.AckFloor)
			for _, id := range ss.Acked {
				sub.acked[id] = struct{}{}
			}
			for k, v := range ss.Partial {
				sub.partial[k] = v
			}
			for k, v := range ss.Redeliveries {
				sub.redeliveries[k] = v
			}
			sub.props = ss.Props
			sub.advanceFloor()
			t.subs[ss.Name] = sub
		}
		s.topics[name.Full] = t
	}
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
	return s.load()
}

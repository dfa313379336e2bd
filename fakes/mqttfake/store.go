package mqttfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage"

	"github.com/brokerkit/brokerkit/internal/datadir"
)

// The WithDataDir store (brokerkit's one persistence contract, through
// internal/datadir): the directory is locked against a second process; every
// change to the durable state (retained messages, persistent sessions,
// their subscriptions and queued QoS 1/2 messages) is appended to a log as
// it happens, folded into a snapshot when the log grows past compactAt and
// on Close and Restart. New replays snapshot then log; a torn tail left by
// a crash is cut off.

const (
	logFile          = "mqttfake.log"
	defaultCompactAt = 4 << 20
)

// record is one logged change.
type record struct {
	Op     string                `json:"op"`
	Client string                `json:"c,omitempty"`
	Topic  string                `json:"t,omitempty"` // retained topic or subscription filter
	ID     uint16                `json:"id,omitempty"`
	Msg    *storage.Message      `json:"m,omitempty"`
	Cl     *storage.Client       `json:"cl,omitempty"`
	Sub    *storage.Subscription `json:"s,omitempty"`
}

// Record operations.
const (
	recRetain     = "retain"
	recUnretain   = "unretain"
	recClient     = "client"
	recDropClient = "dropclient" // the session and everything in it
	recSub        = "sub"
	recUnsub      = "unsub"
	recQueue      = "queue"
	recDequeue    = "dequeue"
)

// state is the durable state, keyed for updates.
type state struct {
	retained map[string]storage.Message      // topic
	clients  map[string]storage.Client       // client ID
	subs     map[string]storage.Subscription // client ID \x00 filter
	inflight map[string]storage.Message      // client ID \x00 packet ID
}

func subsKey(client, filter string) string { return client + "\x00" + filter }
func inflightKey(client string, id uint16) string {
	return client + "\x00" + strconv.Itoa(int(id))
}

func newState(snap *snapshot) *state {
	st := &state{
		retained: map[string]storage.Message{},
		clients:  map[string]storage.Client{},
		subs:     map[string]storage.Subscription{},
		inflight: map[string]storage.Message{},
	}
	if snap == nil {
		return st
	}
	for _, m := range snap.Retained {
		st.retained[m.TopicName] = m
	}
	for _, c := range snap.Clients {
		st.clients[c.ID] = c
	}
	for _, s := range snap.Subscriptions {
		st.subs[subsKey(s.Client, s.Filter)] = s
	}
	for _, m := range snap.Inflight {
		st.inflight[inflightKey(m.Client, m.PacketID)] = m
	}
	return st
}

func (st *state) apply(r record) error {
	switch r.Op {
	case recRetain:
		if r.Msg == nil {
			return errors.New("retain without message")
		}
		st.retained[r.Msg.TopicName] = *r.Msg
	case recUnretain:
		delete(st.retained, r.Topic)
	case recClient:
		if r.Cl == nil {
			return errors.New("client without data")
		}
		st.clients[r.Cl.ID] = *r.Cl
	case recDropClient:
		delete(st.clients, r.Client)
		for k, s := range st.subs {
			if s.Client == r.Client {
				delete(st.subs, k)
			}
		}
		for k, m := range st.inflight {
			if m.Client == r.Client {
				delete(st.inflight, k)
			}
		}
	case recSub:
		if r.Sub == nil {
			return errors.New("sub without data")
		}
		st.subs[subsKey(r.Sub.Client, r.Sub.Filter)] = *r.Sub
	case recUnsub:
		delete(st.subs, subsKey(r.Client, r.Topic))
	case recQueue:
		if r.Msg == nil {
			return errors.New("queue without message")
		}
		st.inflight[inflightKey(r.Msg.Client, r.Msg.PacketID)] = *r.Msg
	case recDequeue:
		delete(st.inflight, inflightKey(r.Client, r.ID))
	default:
		return fmt.Errorf("unknown record %q", r.Op)
	}
	return nil
}

// snapshot lists the state in a stable order.
func (st *state) snapshot() *snapshot {
	snap := &snapshot{Version: 1}
	for _, m := range st.retained {
		snap.Retained = append(snap.Retained, m)
	}
	sort.Slice(snap.Retained, func(i, j int) bool { return snap.Retained[i].TopicName < snap.Retained[j].TopicName })
	for _, c := range st.clients {
		snap.Clients = append(snap.Clients, c)
	}
	sort.Slice(snap.Clients, func(i, j int) bool { return snap.Clients[i].ID < snap.Clients[j].ID })
	for _, s := range st.subs {
		snap.Subscriptions = append(snap.Subscriptions, s)
	}
	sort.Slice(snap.Subscriptions, func(i, j int) bool {
		a, b := snap.Subscriptions[i], snap.Subscriptions[j]
		return subsKey(a.Client, a.Filter) < subsKey(b.Client, b.Filter)
	})
	for _, m := range st.inflight {
		snap.Inflight = append(snap.Inflight, m)
	}
	sort.Slice(snap.Inflight, func(i, j int) bool {
		a, b := snap.Inflight[i], snap.Inflight[j]
		if a.Client != b.Client {
			return a.Client < b.Client
		}
		if a.Created != b.Created {
			return a.Created < b.Created
		}
		return int16(a.PacketID-b.PacketID) < 0
	})
	return snap
}

// store is an open WithDataDir directory.
type store struct {
	log       *slog.Logger
	compactAt int64

	mu     sync.Mutex
	dir    *datadir.Dir
	wal    *datadir.Log
	st     *state
	closed bool
}

// openStore locks dir and loads its state.
func openStore(dir string, sync bool, compactAt int64, log *slog.Logger) (*store, *snapshot, error) {
	d, err := datadir.Open(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("mqttfake: data dir: %w", err)
	}
	snap, err := loadSnapshot(d, log)
	if err != nil {
		_ = d.Close()
		return nil, nil, err
	}
	st := newState(snap)
	wal, err := d.OpenLog(logFile, sync, func(b []byte) error {
		var r record
		err := json.Unmarshal(b, &r)
		if err == nil {
			err = st.apply(r)
		}
		if err != nil { // one bad record never stops a start
			log.Error("mqttfake: data dir: skipping a bad record", "file", logFile, "error", err)
		}
		return nil
	})
	if err != nil {
		_ = d.Close()
		return nil, nil, fmt.Errorf("mqttfake: replay %s: %w", logFile, err)
	}
	st.dropInvalid(log)
	if compactAt <= 0 {
		compactAt = defaultCompactAt
	}
	s := &store{log: log, compactAt: compactAt, dir: d, wal: wal, st: st}
	return s, st.snapshot(), nil
}

// write applies and logs one change. A failed write is logged: the broker
// keeps serving, as a broker with a full disk would until it is noticed.
func (s *store) write(r record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if err := s.st.apply(r); err != nil {
		s.log.Error("mqttfake: data dir", "error", err)
		return
	}
	b, err := json.Marshal(r)
	if err == nil {
		err = s.wal.Append(b)
	}
	if err == nil && s.wal.Size() >= s.compactAt {
		err = s.compactLocked()
	}
	if err != nil {
		s.log.Error("mqttfake: data dir write failed", "error", err)
	}
}

// compactLocked writes the state as the snapshot and empties the log.
func (s *store) compactLocked() error {
	b, err := json.Marshal(s.st.snapshot())
	if err != nil {
		return err
	}
	if err := s.dir.WriteFile(snapshotFile, b); err != nil {
		return err
	}
	return s.wal.Truncate()
}

// reset replaces the state with what a stopped broker held (Close and
// Restart capture it once every connection has ended) and compacts.
func (s *store) reset(snap *snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.st = newState(snap)
	if err := s.compactLocked(); err != nil {
		return fmt.Errorf("mqttfake: save state: %w", err)
	}
	return nil
}

// close releases the log and the lock.
func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.wal.Close()
	if cerr := s.dir.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadSnapshot reads the snapshot item by item: an item that does not
// decode is skipped with a logged error; a file that is not a snapshot at
// all is moved aside (kept for a human, never overwritten) and the fake
// starts from the log alone.
func loadSnapshot(d *datadir.Dir, log *slog.Logger) (*snapshot, error) {
	b, err := d.ReadFile(snapshotFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mqttfake: load state: %w", err)
	}
	var raw struct {
		Version       int               `json:"version"`
		Retained      []json.RawMessage `json:"retained"`
		Clients       []json.RawMessage `json:"clients"`
		Subscriptions []json.RawMessage `json:"subscriptions"`
		Inflight      []json.RawMessage `json:"inflight"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		aside := snapshotFile + ".corrupt-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		rerr := os.Rename(filepath.Join(d.Path(), snapshotFile), filepath.Join(d.Path(), aside))
		log.Error("mqttfake: data dir: unreadable snapshot moved aside", "file", snapshotFile,
			"moved_to", aside, "error", err, "rename_error", rerr)
		return nil, nil
	}
	snap := &snapshot{Version: raw.Version}
	bad := func(kind string, err error) {
		log.Error("mqttfake: data dir: skipping a bad "+kind, "file", snapshotFile, "error", err)
	}
	for _, m := range raw.Retained {
		var v storage.Message
		if err := json.Unmarshal(m, &v); err != nil {
			bad("retained message", err)
			continue
		}
		snap.Retained = append(snap.Retained, v)
	}
	for _, m := range raw.Clients {
		var v storage.Client
		if err := json.Unmarshal(m, &v); err != nil {
			bad("session", err)
			continue
		}
		snap.Clients = append(snap.Clients, v)
	}
	for _, m := range raw.Subscriptions {
		var v storage.Subscription
		if err := json.Unmarshal(m, &v); err != nil {
			bad("subscription", err)
			continue
		}
		snap.Subscriptions = append(snap.Subscriptions, v)
	}
	for _, m := range raw.Inflight {
		var v storage.Message
		if err := json.Unmarshal(m, &v); err != nil {
			bad("queued message", err)
			continue
		}
		snap.Inflight = append(snap.Inflight, v)
	}
	return snap, nil
}

// validString is an MQTT UTF-8 string: valid UTF-8 without U+0000.
func validString(s string) bool {
	return len(s) <= 65535 && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// validTopic is a name a client could have published to.
func validTopic(t string) bool {
	return t != "" && validString(t) && mqtt.IsValidFilter(t, true)
}

// dropInvalid removes what a broker could never have stored (a topic with
// wildcards or invalid UTF-8, a session without an ID, a subscription or
// queued message of no session), each with a logged error, so that mochi
// is only ever handed state a client could have made.
func (st *state) dropInvalid(log *slog.Logger) {
	drop := func(kind, key, why string) {
		log.Error("mqttfake: data dir: skipping a bad "+kind, "key", key, "reason", why)
	}
	for k, m := range st.retained {
		if !validTopic(m.TopicName) {
			drop("retained message", k, "invalid topic name")
			delete(st.retained, k)
		}
	}
	for k, c := range st.clients {
		if c.ID == "" || !validString(c.ID) {
			drop("session", k, "invalid client ID")
			delete(st.clients, k)
		}
	}
	for k, sub := range st.subs {
		if _, ok := st.clients[sub.Client]; !ok {
			drop("subscription", k, "no such session")
			delete(st.subs, k)
		} else if !validString(sub.Filter) || !mqtt.IsValidFilter(sub.Filter, false) {
			drop("subscription", k, "invalid topic filter")
			delete(st.subs, k)
		}
	}
	for k, m := range st.inflight {
		if _, ok := st.clients[m.Client]; !ok {
			drop("queued message", k, "no such session")
			delete(st.inflight, k)
		} else if !validTopic(m.TopicName) {
			drop("queued message", k, "invalid topic name")
			delete(st.inflight, k)
		}
	}
}

package pulsarfake

import "math"

// Message deduplication, as the broker's MessageDeduplication does it: per
// topic and producer name, the highest sequence id persisted. A producer
// learns it in PRODUCER_SUCCESS (last_sequence_id) and resumes after it; a
// SEND whose sequence ids are all at or below it is a duplicate — answered
// with a receipt for message id -1:-1 and not stored. Off by default, as
// brokerDeduplicationEnabled is; switched per topic with the admin policy
// "deduplicationEnabled" or for the broker with WithDeduplication.

// WithDeduplication sets the broker default for message deduplication
// (Pulsar's brokerDeduplicationEnabled, default false).
func WithDeduplication(on bool) Option { return func(o *options) { o.dedup = on } }

// dupEntry is the entry id of a duplicate's receipt (-1 on the wire).
const dupEntry = math.MaxUint64

// dedupEnabled reports whether topic base has deduplication on: its own
// policy if set, else the broker default. It runs for every SEND, so when
// nothing turns deduplication on it costs one atomic load, not the server
// lock.
func (s *Server) dedupEnabled(base string) bool {
	if !s.dedupAny.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if on, ok := s.dedupPolicy[base]; ok {
		return on
	}
	return s.opts.dedup
}

// setDedupPolicy sets (or, with nil, removes) a topic's policy.
func (s *Server) setDedupPolicy(base string, on *bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on == nil {
		delete(s.dedupPolicy, base)
	} else {
		if s.dedupPolicy == nil {
			s.dedupPolicy = map[string]bool{}
		}
		s.dedupPolicy[base] = *on
	}
	s.updateDedupAnyLocked()
	s.logLocked(change{Kind: chDedup, Name: base, Dedup: on})
}

// updateDedupAnyLocked records whether any topic can have deduplication on;
// s.mu must be held.
func (s *Server) updateDedupAnyLocked() {
	on := s.opts.dedup
	for _, p := range s.dedupPolicy {
		on = on || p
	}
	s.dedupAny.Store(on)
}

// lastSequence is the highest sequence id persisted for producer name, or
// -1 when deduplication is off or the name has sent nothing.
func (t *topic) lastSequence(name string) int64 {
	if !t.s.dedupEnabled(t.name.Base) {
		return -1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq, ok := t.lastSeq[name]; ok {
		return seq
	}
	return -1
}

// admitSequence reports whether a SEND carrying sequence ids up to highest
// is new, and records it; tracked says deduplication is on for the topic.
// With deduplication off everything is new.
func (t *topic) admitSequence(name string, highest int64) (admit, tracked bool) {
	if !t.s.dedupEnabled(t.name.Base) {
		return true, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.lastSeq[name]; ok && highest <= last {
		return false, true
	}
	if t.lastSeq == nil {
		t.lastSeq = map[string]int64{}
	}
	t.lastSeq[name] = highest
	return true, true
}

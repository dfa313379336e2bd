package pulsarfake

import (
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
)

// adminTopicRoutes registers the topic routes of one domain (persistent or
// non-persistent).
func (s *Server) adminTopicRoutes(h func(string, func(*http.Request) (any, error)), domain string) {
	ns := "/admin/v2/" + domain + "/{tenant}/{ns}"
	tp := ns + "/{topic}"
	sub := tp + "/subscription/{sub}"
	// on binds a handler that takes the parsed topic name.
	on := func(pattern string, f func(*http.Request, topicName) (any, error)) {
		h(pattern, func(r *http.Request) (any, error) {
			name, err := parseTopic(domain + "://" + namespaceParam(r) + "/" + param(r, "topic"))
			if err != nil {
				return nil, herr(http.StatusPreconditionFailed, "%v", err)
			}
			return f(r, name)
		})
	}
	persistent := domain == "persistent"
	h("GET "+ns, func(r *http.Request) (any, error) { return s.adminListTopics(r, persistent) })
	h("GET "+ns+"/partitioned", func(r *http.Request) (any, error) { return s.adminListPartitioned(r, persistent) })

	on("PUT "+tp, s.adminCreateTopic)
	on("DELETE "+tp, func(r *http.Request, n topicName) (any, error) { return nil, s.adminDeleteTopic(r, n, false) })
	on("GET "+tp+"/partitions", s.adminGetPartitions)
	on("PUT "+tp+"/partitions", s.adminCreatePartitioned)
	on("POST "+tp+"/partitions", s.adminUpdatePartitions)
	on("DELETE "+tp+"/partitions", func(r *http.Request, n topicName) (any, error) { return nil, s.adminDeleteTopic(r, n, true) })
	on("GET "+tp+"/stats", func(r *http.Request, n topicName) (any, error) { return s.topicStats(n, statsOptionsOf(r)) })
	on("GET "+tp+"/partitioned-stats", func(r *http.Request, n topicName) (any, error) {
		return s.partitionedStats(n, boolParam(r, "perPartition"), statsOptionsOf(r))
	})
	on("GET "+tp+"/deduplicationEnabled", s.adminGetDedup)
	on("POST "+tp+"/deduplicationEnabled", s.adminSetDedup)
	on("DELETE "+tp+"/deduplicationEnabled", func(_ *http.Request, n topicName) (any, error) {
		s.setDedupPolicy(n.Base, nil)
		return nil, nil
	})
	on("PUT "+tp+"/unload", s.adminUnload)
	on("GET "+tp+"/lastMessageId", s.adminLastMessageID)
	s.adminTopicPolicyRoutes(on, tp)
	s.adminTopicPermissionRoutes(on, tp)
	s.adminMessageRoutes(on, tp)

	on("GET "+tp+"/subscriptions", s.adminSubscriptionNames)
	on("PUT "+sub, s.adminCreateSubscription)
	on("DELETE "+sub, s.adminDeleteSubscription)
	on("POST "+sub+"/resetcursor", func(r *http.Request, n topicName) (any, error) {
		id := &restMessageID{}
		if err := decodeBody(r, id); err != nil {
			return nil, err
		}
		return nil, s.resetCursor(r, n, cursorTarget{id: id}, true)
	})
	on("POST "+sub+"/resetcursor/{timestamp}", func(r *http.Request, n topicName) (any, error) {
		ts, err := strconv.ParseInt(param(r, "timestamp"), 10, 64)
		if err != nil {
			return nil, herr(http.StatusBadRequest, "invalid timestamp %q", param(r, "timestamp"))
		}
		return nil, s.resetCursor(r, n, cursorTarget{time: ts}, true)
	})
	on("POST "+sub+"/skip_all", func(r *http.Request, n topicName) (any, error) {
		return nil, s.resetCursor(r, n, cursorTarget{end: true}, false)
	})
}

func (s *Server) adminListTopics(r *http.Request, persistent bool) (any, error) {
	ns := namespaceParam(r)
	if err := s.needNamespace(ns); err != nil {
		return nil, err
	}
	return nonNil(s.topicsIn(ns, persistent, !persistent)), nil
}

func (s *Server) adminListPartitioned(r *http.Request, persistent bool) (any, error) {
	ns := namespaceParam(r)
	if err := s.needNamespace(ns); err != nil {
		return nil, err
	}
	s.mu.Lock()
	out := []string{}
	for base := range s.partitioned {
		if n, _ := parseTopic(base); n.Namespace == ns && n.Persistent == persistent {
			out = append(out, base)
		}
	}
	s.mu.Unlock()
	sort.Strings(out)
	return out, nil
}

func (s *Server) adminCreateTopic(r *http.Request, name topicName) (any, error) {
	if err := s.needNamespace(name.Namespace); err != nil {
		return nil, err
	}
	var props map[string]string
	if err := decodeBody(r, &props); err != nil {
		return nil, err
	}
	if err := s.CreateTopic(name.Full, 0); err != nil {
		return nil, herr(http.StatusConflict, "This topic already exists")
	}
	s.setCreateProperties(name, props)
	return nil, nil
}

func (s *Server) adminGetPartitions(_ *http.Request, name topicName) (any, error) {
	return map[string]int{"partitions": s.partitionsOf(name)}, nil
}

func (s *Server) adminCreatePartitioned(r *http.Request, name topicName) (any, error) {
	n, props, err := readPartitionsAndProperties(r)
	if err != nil {
		return nil, err
	}
	if err := s.needNamespace(name.Namespace); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, herr(http.StatusNotAcceptable, "Number of partitions should be more than 0")
	}
	if err := s.checkMaxPartitions(n); err != nil {
		return nil, err
	}
	if err := s.CreateTopic(name.Full, n); err != nil {
		return nil, herr(http.StatusConflict, "This topic already exists")
	}
	s.setCreateProperties(name, props)
	return nil, nil
}

func (s *Server) adminUpdatePartitions(r *http.Request, name topicName) (any, error) {
	n, err := readPartitions(r)
	if err != nil {
		return nil, err
	}
	if err := s.checkMaxPartitions(n); err != nil {
		return nil, err
	}
	return nil, s.updatePartitions(name, n)
}

func (s *Server) adminGetDedup(_ *http.Request, name topicName) (any, error) {
	s.mu.Lock()
	on, ok := s.dedupPolicy[name.Base]
	s.mu.Unlock()
	if !ok {
		return nil, nil // no topic policy: null, as the broker answers
	}
	return on, nil
}

func (s *Server) adminSetDedup(r *http.Request, name topicName) (any, error) {
	var on bool
	if err := json.NewDecoder(r.Body).Decode(&on); err != nil {
		return nil, herr(http.StatusBadRequest, "Invalid deduplication setting: %v", err)
	}
	s.setDedupPolicy(name.Base, &on)
	return nil, nil
}

func (s *Server) adminUnload(_ *http.Request, name topicName) (any, error) {
	if err := s.UnloadTopic(name.Full); err != nil {
		return nil, herr(http.StatusNotFound, "Topic not found")
	}
	return nil, nil
}

func (s *Server) adminLastMessageID(_ *http.Request, name topicName) (any, error) {
	t := s.existingTopic(name.Full)
	if t == nil {
		return nil, herr(http.StatusNotFound, "Topic not found")
	}
	t.mu.Lock()
	id := t.lastMessageIDLocked()
	t.mu.Unlock()
	return restMessageID{LedgerID: int64(id.GetLedgerId()), EntryID: int64(id.GetEntryId()), PartitionIndex: int(id.GetPartition())}, nil
}

func (s *Server) checkMaxPartitions(n int) error {
	if max := s.opts.maxPartitions; max > 0 && n > max {
		return herr(http.StatusNotAcceptable, "Number of partitions should be less than or equal to %d", max)
	}
	return nil
}

// readPartitions reads the count the broker reads as a Java int: a body that
// is not one (too large, not a number) is a 400.
func readPartitions(r *http.Request) (int, error) {
	n, _, err := readPartitionsAndProperties(r)
	return n, err
}

// readPartitionsAndProperties also reads the properties a create with
// metadata ({"partitions": n, "properties": {...}}) carries.
func readPartitionsAndProperties(r *http.Request) (int, map[string]string, error) {
	var raw json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return 0, nil, err
	}
	var n int32
	if err := json.Unmarshal(raw, &n); err == nil {
		return int(n), nil, nil
	}
	var obj struct {
		Partitions int32             `json:"partitions"`
		Properties map[string]string `json:"properties"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return 0, nil, herr(http.StatusBadRequest, "invalid partitions: %s", raw)
	}
	return int(obj.Partitions), obj.Properties, nil
}

func (s *Server) updatePartitions(name topicName, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.partitioned[name.Full]
	if !ok {
		return herr(http.StatusNotFound, "Partitioned topic does not exist")
	}
	if n <= cur {
		return herr(http.StatusConflict, "Number of partitions can only be increased")
	}
	s.setPartitionsLocked(name.Full, n)
	for i := cur; i < n; i++ {
		pn, _ := parseTopic(partitionName(name.Full, i))
		s.createTopicLocked(pn)
	}
	return nil
}

func (s *Server) adminDeleteTopic(r *http.Request, name topicName, partitioned bool) error {
	s.mu.Lock()
	_, isPart := s.partitioned[name.Full]
	exists := isPart || s.topics[name.Full] != nil
	s.mu.Unlock()
	if !exists || partitioned != isPart {
		if partitioned {
			return herr(http.StatusNotFound, "Partitioned topic does not exist")
		}
		return herr(http.StatusNotFound, "Topic not found")
	}
	if !boolParam(r, "force") {
		topics, _ := s.resolve(name.Full)
		for _, t := range topics {
			t.mu.Lock()
			busy := len(t.producers) > 0
			for _, sub := range t.subs {
				busy = busy || len(sub.consumers) > 0
			}
			t.mu.Unlock()
			if busy {
				return herr(http.StatusPreconditionFailed, "Topic has active producers/subscriptions")
			}
		}
	}
	if err := s.DeleteTopic(name.Full); err != nil {
		return err
	}
	s.policies.dropScope(name.Full) // the broker deletes a topic's policies with it
	return nil
}

// restMessageID is the admin API's message id.
type restMessageID struct {
	LedgerID       int64 `json:"ledgerId"`
	EntryID        int64 `json:"entryId"`
	PartitionIndex int   `json:"partitionIndex"`
}

func (s *Server) adminSubscriptionNames(_ *http.Request, name topicName) (any, error) {
	topics, err := s.resolve(name.Full)
	if err != nil {
		return nil, herr(http.StatusNotFound, "Topic not found")
	}
	seen := map[string]bool{}
	for _, t := range topics {
		for _, n := range t.subscriptionNames() {
			seen[n] = true
		}
	}
	out := []string{}
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// subscriptionTopics resolves the topics of a subscription call; create
// auto-creates a missing topic when the broker would.
func (s *Server) subscriptionTopics(name topicName, create bool) ([]*topic, error) {
	topics, err := s.resolve(name.Full)
	if err == nil {
		return topics, nil
	}
	if create && s.opts.autoCreate {
		if t, terr := s.topicFor(name, true); terr == nil {
			return []*topic{t}, nil
		}
	}
	return nil, herr(http.StatusNotFound, "Topic not found")
}

func (s *Server) adminCreateSubscription(r *http.Request, name topicName) (any, error) {
	topics, err := s.subscriptionTopics(name, true)
	if err != nil {
		return nil, err
	}
	sub := param(r, "sub")
	id := restMessageID{LedgerID: math.MaxInt64, EntryID: math.MaxInt64}
	if err := decodeBody(r, &id); err != nil {
		return nil, err
	}
	for _, t := range topics {
		t.mu.Lock()
		if t.subs[sub] != nil {
			t.mu.Unlock()
			return nil, herr(http.StatusConflict, "Subscription already exists for topic")
		}
		start := min(max(t.position(uint64(id.LedgerID), uint64(id.EntryID)), t.first), t.next)
		t.subs[sub] = newSubscription(t, sub, Exclusive, true, start)
		t.logSubLocked(t.subs[sub])
		t.mu.Unlock()
	}
	return nil, nil
}

func (s *Server) adminDeleteSubscription(r *http.Request, name topicName) (any, error) {
	topics, err := s.subscriptionTopics(name, false)
	if err != nil {
		return nil, err
	}
	sub := param(r, "sub")
	found := false
	for _, t := range topics {
		t.mu.Lock()
		sb := t.subs[sub]
		if sb != nil {
			found = true
			if len(sb.consumers) > 0 && !boolParam(r, "force") {
				t.mu.Unlock()
				return nil, herr(http.StatusPreconditionFailed, "Subscription has active connected consumers")
			}
			for len(sb.consumers) > 0 {
				t.removeConsumerLocked(sb.consumers[0], true, true)
			}
			delete(t.subs, sub)
			t.logUnsubLocked(sb)
		}
		t.mu.Unlock()
	}
	if !found {
		return nil, herr(http.StatusNotFound, "Subscription not found")
	}
	return nil, nil
}

// cursorTarget is where resetcursor or skip_all moves a subscription: a
// message id, a publish time, or the end.
type cursorTarget struct {
	id   *restMessageID
	time int64
	end  bool
}

// position is the entry the cursor moves to on t; ok is false when the id
// names another partition.
func (c cursorTarget) position(t *topic) (pos uint64, ok bool) {
	switch {
	case c.end:
		return t.next, true
	case c.id != nil:
		if c.id.PartitionIndex >= 0 && t.name.Partition >= 0 && c.id.PartitionIndex != t.name.Partition {
			return 0, false
		}
		return min(t.position(uint64(c.id.LedgerID), uint64(c.id.EntryID)), t.next), true
	default:
		return t.findEntryByTimeLocked(uint64(c.time)), true
	}
}

// resetCursor moves the subscription's cursor; disconnect closes its
// consumers so they resubscribe from there (resetcursor does, skip_all
// does not).
func (s *Server) resetCursor(r *http.Request, name topicName, to cursorTarget, disconnect bool) error {
	topics, err := s.subscriptionTopics(name, false)
	if err != nil {
		return err
	}
	sub := param(r, "sub")
	found := false
	for _, t := range topics {
		t.mu.Lock()
		if sb := t.subs[sub]; sb != nil {
			found = true
			if pos, ok := to.position(t); ok {
				sb.reset(pos)
				t.logSubLocked(sb)
				for disconnect && len(sb.consumers) > 0 {
					t.removeConsumerLocked(sb.consumers[0], true, true)
				}
			}
		}
		t.mu.Unlock()
	}
	if !found {
		return herr(http.StatusNotFound, "Subscription not found")
	}
	return nil
}

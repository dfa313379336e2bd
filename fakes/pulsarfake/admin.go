package pulsarfake

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
)

// The admin REST subset lives under /admin/v2 at the paths pulsaradmin
// uses: clusters, tenants, namespaces, topics (partitioned and not),
// subscriptions, stats and schemas, plus the HTTP lookup under
// /lookup/v2. Errors are {"reason": ...} with the broker's status codes.

func (s *Server) startAdmin() error {
	ln, err := net.Listen("tcp", s.opts.adminAddr)
	if err != nil {
		return fmt.Errorf("pulsarfake: admin listen %s: %w", s.opts.adminAddr, err)
	}
	s.adminLn = ln
	s.adminURL = "http://" + advertise(ln.Addr())
	s.adminSrv = &http.Server{Handler: http.HandlerFunc(s.serveAdmin), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.adminSrv.Serve(ln)
	}()
	return nil
}

type httpError struct {
	status int
	reason string
}

func (e *httpError) Error() string { return e.reason }

func herr(status int, format string, args ...any) *httpError {
	return &httpError{status: status, reason: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

// adminRequest is one parsed request.
type adminRequest struct {
	r    *http.Request
	segs []string // path segments after the API prefix, unescaped
}

func (a *adminRequest) decode(v any) error {
	body, err := io.ReadAll(io.LimitReader(a.r.Body, 16<<20))
	if err != nil {
		return herr(http.StatusBadRequest, "reading body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return herr(http.StatusBadRequest, "invalid body: %v", err)
	}
	return nil
}

func (a *adminRequest) boolParam(name string) bool {
	b, _ := strconv.ParseBool(a.r.URL.Query().Get(name))
	return b
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if s.serveOAuth2(w, r) { // the issuer needs no token to hand one out
		return
	}
	if err := s.adminAuth(r); err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"reason": "Authentication required"})
		return
	}
	path := r.URL.EscapedPath()
	var prefix string
	for _, p := range []string{"/admin/v2/", "/lookup/v2/topic/"} {
		if strings.HasPrefix(path, p) {
			prefix = p
		}
	}
	if prefix == "" {
		writeJSON(w, http.StatusNotFound, map[string]string{"reason": "Not found"})
		return
	}
	raw := strings.Split(strings.Trim(strings.TrimPrefix(path, prefix), "/"), "/")
	segs := make([]string, len(raw))
	for i, p := range raw {
		// Names arrive escaped once by the HTTP layer and once more by
		// pulsaradmin; the broker decodes both.
		u, err := url.PathUnescape(p)
		if err == nil {
			if u2, err := url.PathUnescape(u); err == nil {
				u = u2
			}
			p = u
		}
		segs[i] = p
	}
	req := &adminRequest{r: r, segs: segs}
	var (
		out any
		err error
	)
	if prefix == "/lookup/v2/topic/" {
		out, err = s.adminLookup(req)
	} else {
		out, err = s.routeAdmin(req)
	}
	var he *httpError
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, map[string]string{"reason": he.reason})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"reason": err.Error()})
	case out == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) adminAuth(r *http.Request) error {
	if !s.opts.authRequired {
		return nil
	}
	if user, password, ok := r.BasicAuth(); ok {
		_, err := s.authenticate("basic", []byte(user+":"+password))
		return err
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return errors.New("no credentials")
	}
	_, err := s.authenticate("token", []byte(tok))
	return err
}

func (s *Server) routeAdmin(a *adminRequest) (any, error) {
	segs, m := a.segs, a.r.Method
	switch {
	case segs[0] == "clusters" && len(segs) == 1 && m == http.MethodGet:
		return []string{s.opts.clusterName}, nil
	case segs[0] == "brokers" && m == http.MethodGet:
		return []string{s.advertised}, nil
	case segs[0] == "tenants":
		return s.adminTenants(a)
	case segs[0] == "namespaces":
		return s.adminNamespaces(a)
	case segs[0] == "schemas" && len(segs) >= 5 && segs[4] == "schema":
		return s.adminSchema(a)
	case (segs[0] == "persistent" || segs[0] == "non-persistent") && len(segs) >= 3:
		return s.adminTopics(a)
	}
	return nil, herr(http.StatusNotFound, "Not found: %s %s", m, a.r.URL.Path)
}

// ------------------------------------------------------------- tenants ---

func (s *Server) adminTenants(a *adminRequest) (any, error) {
	segs, m := a.segs, a.r.Method
	if len(segs) == 1 && m == http.MethodGet {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := make([]string, 0, len(s.tenants))
		for t := range s.tenants {
			out = append(out, t)
		}
		sort.Strings(out)
		return out, nil
	}
	if len(segs) != 2 {
		return nil, herr(http.StatusNotFound, "Not found")
	}
	name := segs[1]
	switch m {
	case http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		if t := s.tenants[name]; t != nil {
			return t, nil
		}
		return nil, herr(http.StatusNotFound, "Tenant does not exist")
	case http.MethodPut, http.MethodPost:
		info := &TenantInfo{}
		if err := a.decode(info); err != nil {
			return nil, err
		}
		if info.AdminRoles == nil {
			info.AdminRoles = []string{}
		}
		if info.AllowedClusters == nil {
			info.AllowedClusters = []string{s.opts.clusterName}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		_, exists := s.tenants[name]
		if m == http.MethodPut && exists {
			return nil, herr(http.StatusConflict, "Tenant already exists")
		}
		if m == http.MethodPost && !exists {
			return nil, herr(http.StatusNotFound, "Tenant does not exist")
		}
		s.tenants[name] = info
		return nil, nil
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.tenants[name]; !ok {
			return nil, herr(http.StatusNotFound, "Tenant does not exist")
		}
		for ns := range s.namespaces {
			if strings.HasPrefix(ns, name+"/") {
				if !a.boolParam("force") {
					return nil, herr(http.StatusConflict, "The tenant still has active namespaces")
				}
				delete(s.namespaces, ns)
			}
		}
		delete(s.tenants, name)
		return nil, nil
	}
	return nil, herr(http.StatusMethodNotAllowed, "Method not allowed")
}

// ---------------------------------------------------------- namespaces ---

func (s *Server) adminNamespaces(a *adminRequest) (any, error) {
	segs, m := a.segs, a.r.Method
	switch {
	case len(segs) == 2 && m == http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.tenants[segs[1]] == nil {
			return nil, herr(http.StatusNotFound, "Tenant does not exist")
		}
		out := []string{}
		for ns := range s.namespaces {
			if strings.HasPrefix(ns, segs[1]+"/") {
				out = append(out, ns)
			}
		}
		sort.Strings(out)
		return out, nil
	case len(segs) == 4 && segs[3] == "topics" && m == http.MethodGet:
		ns := segs[1] + "/" + segs[2]
		if err := s.needNamespace(ns); err != nil {
			return nil, err
		}
		mode := a.r.URL.Query().Get("mode")
		var topics []string
		switch mode {
		case "NON_PERSISTENT":
			topics = s.topicsIn(ns, false, true)
		case "ALL":
			topics = s.topicsIn(ns, true, true)
		default:
			topics = s.topicsIn(ns, true, false)
		}
		return nonNil(topics), nil
	case len(segs) == 3:
		ns := segs[1] + "/" + segs[2]
		switch m {
		case http.MethodGet:
			if err := s.needNamespace(ns); err != nil {
				return nil, err
			}
			return map[string]any{"bundles": map[string]any{"numBundles": 4}}, nil
		case http.MethodPut:
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.tenants[segs[1]] == nil {
				return nil, herr(http.StatusNotFound, "Tenant does not exist")
			}
			if s.namespaces[ns] {
				return nil, herr(http.StatusConflict, "Namespace already exists")
			}
			s.namespaces[ns] = true
			return nil, nil
		case http.MethodDelete:
			if err := s.needNamespace(ns); err != nil {
				return nil, err
			}
			topics := s.topicsIn(ns, true, true)
			if len(topics) > 0 && !a.boolParam("force") {
				return nil, herr(http.StatusConflict, "Cannot delete non empty namespace")
			}
			for _, t := range topics {
				s.DeleteTopic(t)
			}
			s.mu.Lock()
			delete(s.namespaces, ns)
			s.mu.Unlock()
			return nil, nil
		}
	}
	return nil, herr(http.StatusNotFound, "Not found")
}

func (s *Server) needNamespace(ns string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.namespaces[ns] {
		return herr(http.StatusNotFound, "Namespace does not exist")
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// -------------------------------------------------------------- topics ---

func (s *Server) adminTopics(a *adminRequest) (any, error) {
	segs, m := a.segs, a.r.Method
	domain := segs[0]
	ns := segs[1] + "/" + segs[2]
	if len(segs) == 3 || len(segs) == 4 && segs[3] == "partitioned" {
		if m != http.MethodGet {
			return nil, herr(http.StatusMethodNotAllowed, "Method not allowed")
		}
		if err := s.needNamespace(ns); err != nil {
			return nil, err
		}
		persistent := domain == "persistent"
		if len(segs) == 4 {
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
		return nonNil(s.topicsIn(ns, persistent, !persistent)), nil
	}
	name, err := parseTopic(domain + "://" + ns + "/" + segs[3])
	if err != nil {
		return nil, herr(http.StatusPreconditionFailed, "%v", err)
	}
	rest := segs[4:]
	op := ""
	if len(rest) > 0 {
		op = rest[0]
	}
	switch {
	case op == "" && m == http.MethodPut:
		if err := s.needNamespace(ns); err != nil {
			return nil, err
		}
		if err := s.CreateTopic(name.Full, 0); err != nil {
			return nil, herr(http.StatusConflict, "This topic already exists")
		}
		return nil, nil
	case op == "" && m == http.MethodDelete:
		return nil, s.adminDeleteTopic(a, name, false)
	case op == "partitions" && m == http.MethodGet:
		return map[string]int{"partitions": s.partitionsOf(name)}, nil
	case op == "partitions" && (m == http.MethodPut || m == http.MethodPost):
		n, err := readPartitions(a)
		if err != nil {
			return nil, err
		}
		if m == http.MethodPut {
			if err := s.needNamespace(ns); err != nil {
				return nil, err
			}
			if n <= 0 {
				return nil, herr(http.StatusNotAcceptable, "Number of partitions should be more than 0")
			}
			if err := s.CreateTopic(name.Full, n); err != nil {
				return nil, herr(http.StatusConflict, "This topic already exists")
			}
			return nil, nil
		}
		return nil, s.updatePartitions(name, n)
	case op == "partitions" && m == http.MethodDelete:
		return nil, s.adminDeleteTopic(a, name, true)
	case op == "subscriptions" && m == http.MethodGet:
		return s.adminSubscriptionNames(name)
	case op == "subscription" && len(rest) >= 2:
		return s.adminSubscription(a, name, rest[1], rest[2:])
	case op == "stats" && m == http.MethodGet:
		return s.topicStats(name)
	case op == "partitioned-stats" && m == http.MethodGet:
		return s.partitionedStats(name, a.boolParam("perPartition"))
	case op == "deduplicationEnabled" && m == http.MethodPost:
		var on bool
		if err := json.NewDecoder(a.r.Body).Decode(&on); err != nil {
			return nil, herr(http.StatusBadRequest, "Invalid deduplication setting: %v", err)
		}
		s.setDedupPolicy(name.Base, &on)
		return nil, nil
	case op == "deduplicationEnabled" && m == http.MethodDelete:
		s.setDedupPolicy(name.Base, nil)
		return nil, nil
	case op == "deduplicationEnabled" && m == http.MethodGet:
		s.mu.Lock()
		on, ok := s.dedupPolicy[name.Base]
		s.mu.Unlock()
		if !ok {
			return nil, nil // no topic policy: null, as the broker answers
		}
		return on, nil
	case op == "unload" && m == http.MethodPut:
		if err := s.UnloadTopic(name.Full); err != nil {
			return nil, herr(http.StatusNotFound, "Topic not found")
		}
		return nil, nil
	case op == "lastMessageId" && m == http.MethodGet:
		t := s.existingTopic(name.Full)
		if t == nil {
			return nil, herr(http.StatusNotFound, "Topic not found")
		}
		t.mu.Lock()
		id := t.lastMessageIDLocked()
		t.mu.Unlock()
		return restMessageID{LedgerID: int64(id.GetLedgerId()), EntryID: int64(id.GetEntryId()), PartitionIndex: int(id.GetPartition())}, nil
	}
	return nil, herr(http.StatusNotFound, "Not found")
}

func readPartitions(a *adminRequest) (int, error) {
	var raw json.RawMessage
	if err := a.decode(&raw); err != nil {
		return 0, err
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var obj struct {
		Partitions int `json:"partitions"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return 0, herr(http.StatusBadRequest, "invalid partitions: %s", raw)
	}
	return obj.Partitions, nil
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
	s.partitioned[name.Full] = n
	for i := cur; i < n; i++ {
		pn, _ := parseTopic(partitionName(name.Full, i))
		s.createTopicLocked(pn)
	}
	return nil
}

func (s *Server) adminDeleteTopic(a *adminRequest, name topicName, partitioned bool) error {
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
	if !a.boolParam("force") {
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
	return s.DeleteTopic(name.Full)
}

// restMessageID is the admin API's message id.
type restMessageID struct {
	LedgerID       int64 `json:"ledgerId"`
	EntryID        int64 `json:"entryId"`
	PartitionIndex int   `json:"partitionIndex"`
}

func (s *Server) adminSubscriptionNames(name topicName) (any, error) {
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

func (s *Server) adminSubscription(a *adminRequest, name topicName, sub string, rest []string) (any, error) {
	m := a.r.Method
	topics, err := s.resolve(name.Full)
	if err != nil {
		if m == http.MethodPut && s.opts.autoCreate {
			t, terr := s.topicFor(name, true)
			if terr != nil {
				return nil, herr(http.StatusNotFound, "Topic not found")
			}
			topics = []*topic{t}
		} else {
			return nil, herr(http.StatusNotFound, "Topic not found")
		}
	}
	switch {
	case len(rest) == 0 && m == http.MethodPut:
		id := restMessageID{LedgerID: math.MaxInt64, EntryID: math.MaxInt64}
		if err := a.decode(&id); err != nil {
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
			t.mu.Unlock()
		}
		return nil, nil
	case len(rest) == 0 && m == http.MethodDelete:
		found := false
		for _, t := range topics {
			t.mu.Lock()
			sb := t.subs[sub]
			if sb != nil {
				found = true
				if len(sb.consumers) > 0 && !a.boolParam("force") {
					t.mu.Unlock()
					return nil, herr(http.StatusPreconditionFailed, "Subscription has active connected consumers")
				}
				for len(sb.consumers) > 0 {
					t.removeConsumerLocked(sb.consumers[0], true, true)
				}
				delete(t.subs, sub)
			}
			t.mu.Unlock()
		}
		if !found {
			return nil, herr(http.StatusNotFound, "Subscription not found")
		}
		return nil, nil
	case len(rest) >= 1 && (rest[0] == "resetcursor" || rest[0] == "skip_all") && m == http.MethodPost:
		var ts int64 = -1
		var id *restMessageID
		switch {
		case rest[0] == "skip_all":
		case len(rest) == 2:
			v, err := strconv.ParseInt(rest[1], 10, 64)
			if err != nil {
				return nil, herr(http.StatusBadRequest, "invalid timestamp %q", rest[1])
			}
			ts = v
		default:
			id = &restMessageID{}
			if err := a.decode(id); err != nil {
				return nil, err
			}
		}
		found := false
		for _, t := range topics {
			t.mu.Lock()
			sb := t.subs[sub]
			if sb != nil {
				found = true
				var pos uint64
				switch {
				case rest[0] == "skip_all":
					pos = t.next
				case id != nil:
					if id.PartitionIndex >= 0 && t.name.Partition >= 0 && id.PartitionIndex != t.name.Partition {
						t.mu.Unlock()
						continue
					}
					pos = min(t.position(uint64(id.LedgerID), uint64(id.EntryID)), t.next)
				default:
					pos = t.findEntryByTimeLocked(uint64(ts))
				}
				sb.reset(pos)
				if rest[0] == "resetcursor" {
					for len(sb.consumers) > 0 {
						t.removeConsumerLocked(sb.consumers[0], true, true)
					}
				}
			}
			t.mu.Unlock()
		}
		if !found {
			return nil, herr(http.StatusNotFound, "Subscription not found")
		}
		return nil, nil
	}
	return nil, herr(http.StatusNotFound, "Not found")
}

// ----------------------------------------------------------------- stats ---

type restTopicStats struct {
	MsgRateIn              float64                      `json:"msgRateIn"`
	MsgRateOut             float64                      `json:"msgRateOut"`
	MsgThroughputIn        float64                      `json:"msgThroughputIn"`
	MsgThroughputOut       float64                      `json:"msgThroughputOut"`
	MsgInCounter           int64                        `json:"msgInCounter"`
	BytesInCounter         int64                        `json:"bytesInCounter"`
	MsgOutCounter          int64                        `json:"msgOutCounter"`
	AverageMsgSize         float64                      `json:"averageMsgSize"`
	StorageSize            int64                        `json:"storageSize"`
	BacklogSize            int64                        `json:"backlogSize"`
	Publishers             []restPublisherStats         `json:"publishers"`
	Subscriptions          map[string]restSubscriptionS `json:"subscriptions"`
	Replication            map[string]any               `json:"replication"`
	DeduplicationStatus    string                       `json:"deduplicationStatus"`
	LastPublishTimestamp   int64                        `json:"lastPublishTimestamp,omitempty"`
	Metadata               *struct{ Partitions int }    `json:"metadata,omitempty"`
	Partitions             map[string]*restTopicStats   `json:"partitions,omitempty"`
	TopicCreationTimeStamp int64                        `json:"topicCreationTimeStamp,omitempty"`
}

type restPublisherStats struct {
	AccessMode     string            `json:"accessMode"`
	ProducerID     uint64            `json:"producerId"`
	ProducerName   string            `json:"producerName"`
	Address        string            `json:"address"`
	ConnectedSince string            `json:"connectedSince"`
	ClientVersion  string            `json:"clientVersion"`
	Metadata       map[string]string `json:"metadata"`
}

type restSubscriptionS struct {
	MsgBacklog         int64               `json:"msgBacklog"`
	MsgBacklogNoDelay  int64               `json:"msgBacklogNoDelayed"`
	MsgDelayed         int64               `json:"msgDelayed"`
	UnackedMessages    int64               `json:"unackedMessages"`
	Type               string              `json:"type"`
	ActiveConsumerName string              `json:"activeConsumerName,omitempty"`
	MsgOutCounter      int64               `json:"msgOutCounter"`
	IsDurable          bool                `json:"isDurable"`
	Consumers          []restConsumerStats `json:"consumers"`
}

type restConsumerStats struct {
	ConsumerName     string            `json:"consumerName"`
	AvailablePermits int64             `json:"availablePermits"`
	UnackedMessages  int               `json:"unackedMessages"`
	MsgOutCounter    int64             `json:"msgOutCounter"`
	Address          string            `json:"address"`
	ConnectedSince   string            `json:"connectedSince"`
	ClientVersion    string            `json:"clientVersion"`
	Metadata         map[string]string `json:"metadata"`
}

func subTypeName(t SubscriptionType) string {
	if t == KeyShared {
		return "Key_Shared"
	}
	return t.String()
}

func (t *topic) stats() *restTopicStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &restTopicStats{
		MsgInCounter:        t.msgsIn,
		BytesInCounter:      t.bytesIn,
		MsgOutCounter:       t.msgsOut,
		StorageSize:         t.bytes,
		Publishers:          []restPublisherStats{},
		Subscriptions:       map[string]restSubscriptionS{},
		Replication:         map[string]any{},
		DeduplicationStatus: "Disabled",
	}
	if t.msgsIn > 0 {
		st.AverageMsgSize = float64(t.bytesIn) / float64(t.msgsIn)
	}
	if !t.lastPublish.IsZero() {
		st.LastPublishTimestamp = t.lastPublish.UnixMilli()
	}
	for p := range t.producers {
		st.Publishers = append(st.Publishers, restPublisherStats{
			AccessMode: p.accessMode.String(), ProducerID: p.id, ProducerName: p.name, Address: p.conn.remote,
			ConnectedSince: p.since.UTC().Format(time.RFC3339), ClientVersion: p.conn.clientVersion, Metadata: p.metadata})
	}
	sort.Slice(st.Publishers, func(i, j int) bool { return st.Publishers[i].ProducerName < st.Publishers[j].ProducerName })
	for name, sub := range t.subs {
		msgs, _ := sub.backlog()
		ss := restSubscriptionS{
			MsgBacklog: msgs, MsgBacklogNoDelay: msgs - int64(len(sub.delayed)), MsgDelayed: int64(len(sub.delayed)),
			Type: subTypeName(sub.typ), IsDurable: sub.durable, Consumers: []restConsumerStats{},
		}
		if sub.active != nil {
			ss.ActiveConsumerName = sub.active.name
		}
		for _, c := range sub.consumers {
			ss.UnackedMessages += int64(c.unacked)
			ss.MsgOutCounter += c.msgsOut
			ss.Consumers = append(ss.Consumers, restConsumerStats{
				ConsumerName: c.name, AvailablePermits: c.permits, UnackedMessages: c.unacked, MsgOutCounter: c.msgsOut,
				Address: c.conn.remote, ConnectedSince: c.since.UTC().Format(time.RFC3339), ClientVersion: c.conn.clientVersion,
				Metadata: c.metadata})
		}
		st.Subscriptions[name] = ss
		st.BacklogSize += msgs
	}
	return st
}

func (s *Server) topicStats(name topicName) (any, error) {
	t := s.existingTopic(name.Full)
	if t == nil {
		return nil, herr(http.StatusNotFound, "Topic not found")
	}
	return t.stats(), nil
}

func (s *Server) partitionedStats(name topicName, perPartition bool) (any, error) {
	n := s.partitionsOf(name)
	if n == 0 {
		return nil, herr(http.StatusNotFound, "Partitioned Topic not found")
	}
	topics, err := s.resolve(name.Full)
	if err != nil {
		return nil, herr(http.StatusNotFound, "Partitioned Topic not found")
	}
	agg := &restTopicStats{Publishers: []restPublisherStats{}, Subscriptions: map[string]restSubscriptionS{},
		Replication: map[string]any{}, DeduplicationStatus: "Disabled", Metadata: &struct{ Partitions int }{n}}
	if perPartition {
		agg.Partitions = map[string]*restTopicStats{}
	}
	for _, t := range topics {
		st := t.stats()
		agg.MsgInCounter += st.MsgInCounter
		agg.BytesInCounter += st.BytesInCounter
		agg.MsgOutCounter += st.MsgOutCounter
		agg.StorageSize += st.StorageSize
		agg.BacklogSize += st.BacklogSize
		agg.Publishers = append(agg.Publishers, st.Publishers...)
		agg.LastPublishTimestamp = max(agg.LastPublishTimestamp, st.LastPublishTimestamp)
		for sn, ss := range st.Subscriptions {
			cur, ok := agg.Subscriptions[sn]
			if !ok {
				cur = ss
			} else {
				cur.MsgBacklog += ss.MsgBacklog
				cur.MsgBacklogNoDelay += ss.MsgBacklogNoDelay
				cur.MsgDelayed += ss.MsgDelayed
				cur.UnackedMessages += ss.UnackedMessages
				cur.MsgOutCounter += ss.MsgOutCounter
				cur.Consumers = append(cur.Consumers, ss.Consumers...)
			}
			agg.Subscriptions[sn] = cur
		}
		if perPartition {
			agg.Partitions[t.name.Full] = st
		}
	}
	if agg.MsgInCounter > 0 {
		agg.AverageMsgSize = float64(agg.BytesInCounter) / float64(agg.MsgInCounter)
	}
	return agg, nil
}

// ---------------------------------------------------------------- lookup ---

func (s *Server) adminLookup(a *adminRequest) (any, error) {
	if a.r.Method != http.MethodGet || len(a.segs) != 4 {
		return nil, herr(http.StatusNotFound, "Not found")
	}
	if _, err := parseTopic(a.segs[0] + "://" + a.segs[1] + "/" + a.segs[2] + "/" + a.segs[3]); err != nil {
		return nil, herr(http.StatusPreconditionFailed, "%v", err)
	}
	return map[string]string{"brokerUrl": s.serviceURL, "brokerUrlTls": "", "httpUrl": s.adminURL, "httpUrlTls": ""}, nil
}

// ---------------------------------------------------------------- schemas ---

var schemaTypeNames = map[wire.Schema_Type]string{
	wire.Schema_None: "NONE", wire.Schema_String: "STRING", wire.Schema_Json: "JSON", wire.Schema_Protobuf: "PROTOBUF",
	wire.Schema_Avro: "AVRO", wire.Schema_Bool: "BOOLEAN", wire.Schema_Int8: "INT8", wire.Schema_Int16: "INT16",
	wire.Schema_Int32: "INT32", wire.Schema_Int64: "INT64", wire.Schema_Float: "FLOAT", wire.Schema_Double: "DOUBLE",
	wire.Schema_Date: "DATE", wire.Schema_Time: "TIME", wire.Schema_Timestamp: "TIMESTAMP",
	wire.Schema_KeyValue: "KEY_VALUE", wire.Schema_Instant: "INSTANT", wire.Schema_LocalDate: "LOCAL_DATE",
	wire.Schema_LocalTime: "LOCAL_TIME", wire.Schema_LocalDateTime: "LOCAL_DATE_TIME",
	wire.Schema_ProtobufNative: "PROTOBUF_NATIVE",
}

func (s *Server) adminSchema(a *adminRequest) (any, error) {
	segs, m := a.segs, a.r.Method
	name, err := parseTopic("persistent://" + segs[1] + "/" + segs[2] + "/" + segs[3])
	if err != nil {
		return nil, herr(http.StatusPreconditionFailed, "%v", err)
	}
	switch m {
	case http.MethodGet:
		s.mu.Lock()
		defer s.mu.Unlock()
		log := s.schemas[name.Base]
		if log == nil || len(log.versions) == 0 {
			return nil, herr(http.StatusNotFound, "Schema not found")
		}
		v := len(log.versions) - 1
		if len(segs) == 6 {
			n, err := strconv.Atoi(segs[5])
			if err != nil || n < 0 || n >= len(log.versions) {
				return nil, herr(http.StatusNotFound, "Schema not found")
			}
			v = n
		}
		sc := log.versions[v]
		return map[string]any{"version": v, "type": schemaTypeNames[sc.GetType()], "timestamp": 0,
			"data": string(sc.GetSchemaData()), "properties": kvMap(sc.Properties)}, nil
	case http.MethodPost:
		var payload struct {
			Type       string            `json:"type"`
			Schema     string            `json:"schema"`
			Properties map[string]string `json:"properties"`
		}
		if err := a.decode(&payload); err != nil {
			return nil, err
		}
		typ := wire.Schema_None
		found := false
		for k, v := range schemaTypeNames {
			if v == strings.ToUpper(payload.Type) {
				typ, found = k, true
			}
		}
		if !found {
			return nil, herr(http.StatusBadRequest, "unknown schema type %q", payload.Type)
		}
		sc := &wire.Schema{Name: &name.Local, Type: &typ, SchemaData: []byte(payload.Schema)}
		for k, v := range payload.Properties {
			sc.Properties = append(sc.Properties, &wire.KeyValue{Key: &k, Value: &v})
		}
		s.mu.Lock()
		ver, err := s.addSchemaLocked(name.Base, sc)
		s.mu.Unlock()
		if err != nil {
			return nil, herr(http.StatusConflict, "%v", err)
		}
		return map[string]int64{"version": int64(binary.BigEndian.Uint64(ver))}, nil
	case http.MethodDelete:
		s.mu.Lock()
		delete(s.schemas, name.Base)
		s.mu.Unlock()
		return map[string]int64{"version": 0}, nil
	}
	return nil, herr(http.StatusMethodNotAllowed, "Method not allowed")
}

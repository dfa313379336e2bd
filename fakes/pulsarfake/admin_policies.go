package pulsarfake

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Namespace and topic policies as the admin API sets them. Each policy is
// kept as the JSON it was given and answered back verbatim; an unset
// policy answers 204 (the broker's null) or the broker's default. The few
// policies the fake enforces are read through the typed getters at the
// end of this file.

// policyStore maps a scope ("tenant/ns" or a topic's base name) to its
// policies by name.
type policyStore struct {
	mu sync.Mutex
	m  map[string]map[string]json.RawMessage
	// logged writes a change to the data directory (WithDataDir); it is
	// called with mu held, so the log keeps the order of the changes.
	logged func(change)
}

func (p *policyStore) log(scope, name string, v json.RawMessage) {
	if p.logged != nil {
		p.logged(change{Kind: chPolicy, Name: scope, Policy: name, Value: v})
	}
}

// all copies every policy (the data directory's snapshot).
func (p *policyStore) all() map[string]map[string]json.RawMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]map[string]json.RawMessage, len(p.m))
	for scope, m := range p.m {
		out[scope] = maps.Clone(m)
	}
	return out
}

// replace sets every policy at once (loading a snapshot).
func (p *policyStore) replace(m map[string]map[string]json.RawMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m = m
}

// apply replays a logged change: a set, a removal (nil value) or, without
// a policy name, a dropped scope.
func (p *policyStore) apply(c *change) {
	switch {
	case c.Policy == "":
		p.dropScope(c.Name)
	case c.Value == nil:
		p.del(c.Name, c.Policy)
	default:
		p.set(c.Name, c.Policy, c.Value)
	}
}

func (p *policyStore) get(scope, name string) (json.RawMessage, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[scope][name]
	return v, ok
}

func (p *policyStore) set(scope, name string, v json.RawMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]map[string]json.RawMessage{}
	}
	if p.m[scope] == nil {
		p.m[scope] = map[string]json.RawMessage{}
	}
	p.m[scope][name] = v
	p.log(scope, name, v)
}

func (p *policyStore) del(scope, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[scope][name]; ok {
		delete(p.m[scope], name)
		p.log(scope, name, nil)
	}
}

// withPrefix answers the policies of scope whose name starts with prefix,
// keyed by the rest of the name.
func (p *policyStore) withPrefix(scope, prefix string) map[string]json.RawMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]json.RawMessage{}
	for k, v := range p.m[scope] {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}

// delPrefix forgets the policies of scope whose name starts with prefix.
func (p *policyStore) delPrefix(scope, prefix string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.m[scope] {
		if strings.HasPrefix(k, prefix) {
			delete(p.m[scope], k)
			p.log(scope, k, nil)
		}
	}
}

// dropScope forgets every policy of a deleted namespace or topic.
func (p *policyStore) dropScope(scope string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[scope]; ok {
		delete(p.m, scope)
		p.log(scope, "", nil)
	}
}

// policy describes one /<name> route: the method that sets it, what GET
// answers when it is unset (nil: 204) and the broker's validation.
type policy struct {
	name  string
	set   string
	unset any
	check func(json.RawMessage) error
}

// nsPolicies are the namespace policies under /admin/v2/namespaces/{t}/{ns}.
var nsPolicies = []policy{
	{name: "messageTTL", set: "POST", check: nonNegative("Invalid value for message TTL, message TTL must >= 0")},
	{name: "retention", set: "POST"},
	{name: "maxTopicsPerNamespace", set: "POST", check: nonNegative("maxTopicsPerNamespace must be 0 or more")},
	{name: "autoTopicCreation", set: "POST", check: checkAutoTopicCreation},
	{name: "autoSubscriptionCreation", set: "POST"},
	{name: "persistence", set: "POST", check: checkPersistence},
	{name: "persistence/bookieAffinity", set: "POST"},
	{name: "compactionThreshold", set: "PUT", unset: -1, check: nonNegative("compactionThreshold must be 0 or more")},
	{name: "offloadThreshold", set: "PUT", unset: -1},
	{name: "offloadThresholdInSeconds", set: "PUT", unset: -1, check: nonNegative("Invalid value for offloadThresholdInSecond")},
	{name: "offloadDeletionLagMs", set: "PUT", unset: -1},
	{name: "subscriptionExpirationTime", set: "POST", check: nonNegative("Invalid value for subscription expiration time")},
	{name: "maxProducersPerTopic", set: "POST", check: nonNegative("maxProducersPerTopic must be 0 or more")},
	{name: "maxConsumersPerTopic", set: "POST", check: nonNegative("maxConsumersPerTopic must be 0 or more")},
	{name: "maxConsumersPerSubscription", set: "POST", check: nonNegative("maxConsumersPerSubscription must be 0 or more")},
	{name: "schemaCompatibilityStrategy", set: "PUT", unset: "UNDEFINED"},
	{name: "schemaValidationEnforced", set: "POST", unset: false},
	{name: "inactiveTopicPolicies", set: "POST"},
	{name: "deduplication", set: "POST"},
	{name: "dispatchRate", set: "POST"},
	{name: "subscriptionDispatchRate", set: "POST"},
	{name: "replicatorDispatchRate", set: "POST"},
	{name: "subscribeRate", set: "POST"},
	{name: "publishRate", set: "POST"},
	{name: "properties", set: "PUT", unset: map[string]string{}},
}

// topicPolicies are the topic policies under /admin/v2/persistent/{t}/{ns}/{topic}.
var topicPolicies = []policy{
	{name: "retention", set: "POST"},
	{name: "maxProducers", set: "POST", check: nonNegative("maxProducers must be 0 or more")},
	{name: "maxConsumers", set: "POST", check: nonNegative("maxConsumers must be 0 or more")},
	{name: "maxUnackedMessagesOnConsumer", set: "POST", check: nonNegative("maxUnackedNum must be 0 or more")},
	{name: "maxUnackedMessagesOnSubscription", set: "POST", check: nonNegative("maxUnackedNum must be 0 or more")},
	{name: "maxConsumersPerSubscription", set: "POST", check: nonNegative("Invalid value for maxConsumersPerSubscription")},
	{name: "persistence", set: "POST", check: checkPersistence},
	{name: "publishRate", set: "POST"},
	{name: "dispatchRate", set: "POST"},
	{name: "subscriptionDispatchRate", set: "POST"},
	{name: "subscribeRate", set: "POST"},
	{name: "replicatorDispatchRate", set: "POST"},
	{name: "delayedDelivery", set: "POST"},
	{name: "deduplicationSnapshotInterval", set: "POST"},
	{name: "maxMessageSize", set: "POST", check: nonNegative("topic message size must be 0 or more")},
	{name: "maxSubscriptionsPerTopic", set: "POST", check: nonNegative("maxSubscriptionsPerTopic must be 0 or more")},
	{name: "autoSubscriptionCreation", set: "POST"},
	{name: "schemaValidationEnforced", set: "POST"},
	{name: "offloadPolicies", set: "POST"},
	{name: "inactiveTopicPolicies", set: "POST"},
	{name: "compactionThreshold", set: "POST", check: nonNegative("compactionThreshold must be 0 or more")},
	{name: "schemaCompatibilityStrategy", set: "PUT"},
	{name: "replication", set: "POST"},
}

func nonNegative(reason string) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return herr(http.StatusBadRequest, "invalid value %s", raw)
		}
		if n < 0 {
			return herr(http.StatusPreconditionFailed, "%s", reason)
		}
		return nil
	}
}

// checkAutoTopicCreation is the broker's ValidateResult of
// AutoTopicCreationOverride.
func checkAutoTopicCreation(raw json.RawMessage) error {
	var c struct {
		Allow      bool   `json:"allowAutoTopicCreation"`
		Type       string `json:"topicType"`
		Partitions *int   `json:"defaultNumPartitions"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return herr(http.StatusBadRequest, "invalid autoTopicCreation: %v", err)
	}
	bad := func(detail string) error {
		return herr(http.StatusNotAcceptable, "Invalid configuration for autoTopicCreationOverride. the detail is %s", detail)
	}
	switch {
	case !c.Allow:
		return nil
	case c.Type == "partitioned" && c.Partitions == nil:
		return bad("[defaultNumPartitions] cannot be null when the type is partitioned.")
	case c.Type == "partitioned" && *c.Partitions < 1:
		return bad("[defaultNumPartitions] cannot be less than 1 for partition type.")
	case c.Type == "non-partitioned" && c.Partitions != nil:
		return bad("[defaultNumPartitions] is not allowed to be set when the type is non-partition.")
	case c.Type != "partitioned" && c.Type != "non-partitioned":
		return bad("[topicType] is invalid.")
	}
	return nil
}

func checkPersistence(raw json.RawMessage) error {
	var p struct {
		Ensemble int `json:"bookkeeperEnsemble"`
		Write    int `json:"bookkeeperWriteQuorum"`
		Ack      int `json:"bookkeeperAckQuorum"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return herr(http.StatusBadRequest, "invalid persistence: %v", err)
	}
	if p.Ensemble < p.Write || p.Write < p.Ack {
		return herr(http.StatusPreconditionFailed,
			"Bookkeeper Ensemble (%d) >= WriteQuorum (%d) >= AckQuoru (%d)", p.Ensemble, p.Write, p.Ack)
	}
	return nil
}

// readRaw reads a policy body as JSON.
func readRaw(r *http.Request) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, herr(http.StatusBadRequest, "Request body is empty")
	}
	return raw, nil
}

// needNamespaceOf answers the broker's 404s for a policy call: the tenant
// first, then the namespace.
func (s *Server) needNamespaceOf(r *http.Request) (string, error) {
	s.mu.Lock()
	tenant := s.tenants[param(r, "tenant")] != nil
	s.mu.Unlock()
	if !tenant {
		return "", herr(http.StatusNotFound, "Tenant does not exist")
	}
	ns := namespaceParam(r)
	return ns, s.needNamespace(ns)
}

// adminPolicyRoutes registers the namespace policy routes.
func (s *Server) adminPolicyRoutes(h func(string, func(*http.Request) (any, error))) {
	base := "/admin/v2/namespaces/{tenant}/{ns}/"
	for _, p := range nsPolicies {
		h("GET "+base+p.name, func(r *http.Request) (any, error) {
			ns, err := s.needNamespaceOf(r)
			if err != nil {
				return nil, err
			}
			return s.policyValue(ns, p), nil
		})
		h(p.set+" "+base+p.name, func(r *http.Request) (any, error) {
			ns, err := s.needNamespaceOf(r)
			if err != nil {
				return nil, err
			}
			return nil, s.setPolicy(r, ns, p)
		})
		h("DELETE "+base+p.name, func(r *http.Request) (any, error) {
			ns, err := s.needNamespaceOf(r)
			if err != nil {
				return nil, err
			}
			s.policies.del(ns, p.name)
			return nil, nil
		})
	}
	s.adminNamespaceExtraRoutes(h, base)
}

// policyValue is what GET answers for p in scope.
func (s *Server) policyValue(scope string, p policy) any {
	if v, ok := s.policies.get(scope, p.name); ok {
		return v
	}
	return p.unset
}

func (s *Server) setPolicy(r *http.Request, scope string, p policy) error {
	raw, err := readRaw(r)
	if err != nil {
		return err
	}
	if p.check != nil {
		if err := p.check(raw); err != nil {
			return err
		}
	}
	s.policies.set(scope, p.name, raw)
	return nil
}

// adminNamespaceExtraRoutes are the namespace policies keyed by a second
// name: backlog quotas by type, permissions by role, subscription
// permissions by subscription, properties by key.
func (s *Server) adminNamespaceExtraRoutes(h func(string, func(*http.Request) (any, error)), base string) {
	ns := func(f func(*http.Request, string) (any, error)) func(*http.Request) (any, error) {
		return func(r *http.Request) (any, error) {
			n, err := s.needNamespaceOf(r)
			if err != nil {
				return nil, err
			}
			return f(r, n)
		}
	}
	h("GET "+base+"backlogQuotaMap", ns(func(_ *http.Request, n string) (any, error) {
		return s.policies.withPrefix(n, "backlogQuota:"), nil
	}))
	h("POST "+base+"backlogQuota", ns(func(r *http.Request, n string) (any, error) {
		return nil, s.setBacklogQuota(r, n)
	}))
	h("DELETE "+base+"backlogQuota", ns(func(r *http.Request, n string) (any, error) {
		s.policies.del(n, "backlogQuota:"+backlogQuotaType(r))
		return nil, nil
	}))
	h("GET "+base+"permissions", ns(func(_ *http.Request, n string) (any, error) {
		return s.policies.withPrefix(n, "permission:"), nil
	}))
	h("POST "+base+"permissions/{role}", ns(func(r *http.Request, n string) (any, error) {
		raw, err := readActions(r)
		if err != nil {
			return nil, err
		}
		s.policies.set(n, "permission:"+param(r, "role"), raw)
		return nil, nil
	}))
	h("DELETE "+base+"permissions/{role}", ns(func(r *http.Request, n string) (any, error) {
		s.policies.del(n, "permission:"+param(r, "role"))
		return nil, nil
	}))
	h("GET "+base+"permissions/subscription", ns(func(_ *http.Request, n string) (any, error) {
		return s.policies.withPrefix(n, "subPermission:"), nil
	}))
	h("POST "+base+"permissions/subscription/{sub}", ns(func(r *http.Request, n string) (any, error) {
		var roles []string
		if err := decodeBody(r, &roles); err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(nonNil(roles))
		s.policies.set(n, "subPermission:"+param(r, "sub"), raw)
		return nil, nil
	}))
	h("DELETE "+base+"permissions/{sub}/{role}", ns(func(r *http.Request, n string) (any, error) {
		return nil, s.revokeSubPermission(n, param(r, "sub"), param(r, "role"))
	}))
	h("PUT "+base+"property/{key}/{value}", ns(func(r *http.Request, n string) (any, error) {
		return nil, s.editProperties(n, func(m map[string]string) { m[param(r, "key")] = param(r, "value") })
	}))
	h("GET "+base+"property/{key}", ns(func(r *http.Request, n string) (any, error) {
		m := s.properties(n)
		if v, ok := m[param(r, "key")]; ok {
			return v, nil
		}
		return nil, nil
	}))
	h("DELETE "+base+"property/{key}", ns(func(r *http.Request, n string) (any, error) {
		return nil, s.editProperties(n, func(m map[string]string) { delete(m, param(r, "key")) })
	}))
}

func validAuthAction(a string) bool {
	switch a {
	case "produce", "consume", "functions", "sources", "sinks", "packages":
		return true
	}
	return false
}

// backlogQuotaType is the query's type; the broker's default is
// destination_storage.
func backlogQuotaType(r *http.Request) string {
	if t := r.URL.Query().Get("backlogQuotaType"); t != "" {
		return t
	}
	return "destination_storage"
}

func (s *Server) setBacklogQuota(r *http.Request, scope string) error {
	typ := backlogQuotaType(r)
	if typ != "destination_storage" && typ != "message_age" {
		return herr(http.StatusBadRequest, "Invalid backlog quota type %q", typ)
	}
	raw, err := readRaw(r)
	if err != nil {
		return err
	}
	// The broker's BacklogQuotaImpl: "limit" is the deprecated name of
	// limitSize, and Jackson reads numbers given as strings.
	var in struct {
		Limit     *json.Number `json:"limit"`
		LimitSize *json.Number `json:"limitSize"`
		LimitTime json.Number  `json:"limitTime"`
		Policy    string       `json:"policy"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return herr(http.StatusBadRequest, "invalid backlog quota: %v", err)
	}
	switch in.Policy {
	case "producer_request_hold", "producer_exception", "consumer_backlog_eviction":
	default:
		return herr(http.StatusBadRequest, "Invalid backlog quota policy %q", in.Policy)
	}
	size := in.LimitSize
	if size == nil {
		size = in.Limit
	}
	q := backlogQuota{Policy: in.Policy}
	if size != nil {
		q.LimitSize, err = size.Int64()
	}
	if in.LimitTime != "" && err == nil {
		q.LimitTime, err = in.LimitTime.Int64()
	}
	if err != nil {
		return herr(http.StatusBadRequest, "invalid backlog quota: %v", err)
	}
	q.Limit = q.LimitSize
	raw, _ = json.Marshal(q)
	s.policies.set(scope, "backlogQuota:"+typ, raw)
	return nil
}

func (s *Server) revokeSubPermission(ns, sub, role string) error {
	raw, ok := s.policies.get(ns, "subPermission:"+sub)
	var roles []string
	if ok {
		json.Unmarshal(raw, &roles)
	}
	out := []string{}
	for _, r := range roles {
		if r != role {
			out = append(out, r)
		}
	}
	if len(out) == len(roles) {
		return herr(http.StatusPreconditionFailed, "Subscription %s does not have permission for role %s", sub, role)
	}
	raw, _ = json.Marshal(out)
	s.policies.set(ns, "subPermission:"+sub, raw)
	return nil
}

func (s *Server) properties(scope string) map[string]string {
	m := map[string]string{}
	if raw, ok := s.policies.get(scope, "properties"); ok {
		json.Unmarshal(raw, &m)
	}
	return m
}

func (s *Server) editProperties(scope string, edit func(map[string]string)) error {
	m := s.properties(scope)
	edit(m)
	raw, _ := json.Marshal(m)
	s.policies.set(scope, "properties", raw)
	return nil
}

// ----------------------------------------------------------- topic level ---

// adminTopicPolicyRoutes registers the topic policy routes of a domain.
func (s *Server) adminTopicPolicyRoutes(on func(string, func(*http.Request, topicName) (any, error)), tp string) {
	for _, p := range topicPolicies {
		on("GET "+tp+"/"+p.name, func(r *http.Request, n topicName) (any, error) {
			if err := s.needTopicOrPartitioned(n); err != nil {
				return nil, err
			}
			if v, ok := s.policies.get(n.Base, p.name); ok {
				return v, nil
			}
			if boolParam(r, "applied") {
				return s.appliedTopicPolicy(n, p.name), nil
			}
			return nil, nil
		})
		on(p.set+" "+tp+"/"+p.name, func(r *http.Request, n topicName) (any, error) {
			if err := s.needTopicOrPartitioned(n); err != nil {
				return nil, err
			}
			return nil, s.setPolicy(r, n.Base, p)
		})
		on("DELETE "+tp+"/"+p.name, func(_ *http.Request, n topicName) (any, error) {
			if err := s.needTopicOrPartitioned(n); err != nil {
				return nil, err
			}
			s.policies.del(n.Base, p.name)
			return nil, nil
		})
	}
	on("GET "+tp+"/messageTTL", func(r *http.Request, n topicName) (any, error) {
		if err := s.needTopicOrPartitioned(n); err != nil {
			return nil, err
		}
		if v, ok := s.policies.get(n.Base, "messageTTL"); ok {
			return v, nil
		}
		if boolParam(r, "applied") {
			return s.appliedTopicPolicy(n, "messageTTL"), nil
		}
		return nil, nil
	})
	on("POST "+tp+"/messageTTL", func(r *http.Request, n topicName) (any, error) {
		if err := s.needTopicOrPartitioned(n); err != nil {
			return nil, err
		}
		ttl, err := strconv.Atoi(r.URL.Query().Get("messageTTL"))
		if err != nil || ttl < 0 {
			return nil, herr(http.StatusPreconditionFailed, "Invalid value for message TTL, message TTL must >= 0")
		}
		s.policies.set(n.Base, "messageTTL", json.RawMessage(strconv.Itoa(ttl)))
		return nil, nil
	})
	on("DELETE "+tp+"/messageTTL", func(_ *http.Request, n topicName) (any, error) {
		if err := s.needTopicOrPartitioned(n); err != nil {
			return nil, err
		}
		s.policies.del(n.Base, "messageTTL")
		return nil, nil
	})
	s.adminTopicExtraRoutes(on, tp)
}

// appliedTopicPolicy is the namespace's value of a topic policy, which
// applied=true falls back to.
func (s *Server) appliedTopicPolicy(n topicName, name string) any {
	nsName := map[string]string{"maxProducers": "maxProducersPerTopic", "maxConsumers": "maxConsumersPerTopic"}[name]
	if nsName == "" {
		nsName = name
	}
	if v, ok := s.policies.get(n.Namespace, nsName); ok {
		return v
	}
	return nil
}

// adminTopicExtraRoutes are the topic's properties and backlog quotas.
func (s *Server) adminTopicExtraRoutes(on func(string, func(*http.Request, topicName) (any, error)), tp string) {
	need := func(f func(*http.Request, topicName) (any, error)) func(*http.Request, topicName) (any, error) {
		return func(r *http.Request, n topicName) (any, error) {
			if err := s.needTopicOrPartitioned(n); err != nil {
				return nil, err
			}
			return f(r, n)
		}
	}
	on("GET "+tp+"/properties", need(func(_ *http.Request, n topicName) (any, error) { return s.properties(n.Base), nil }))
	on("PUT "+tp+"/properties", need(func(r *http.Request, n topicName) (any, error) {
		var add map[string]string
		if err := decodeBody(r, &add); err != nil {
			return nil, err
		}
		return nil, s.editProperties(n.Base, func(m map[string]string) {
			for k, v := range add {
				m[k] = v
			}
		})
	}))
	on("DELETE "+tp+"/properties", need(func(r *http.Request, n topicName) (any, error) {
		return nil, s.editProperties(n.Base, func(m map[string]string) { delete(m, r.URL.Query().Get("key")) })
	}))
	on("GET "+tp+"/backlogQuotaMap", need(func(r *http.Request, n topicName) (any, error) {
		m := s.policies.withPrefix(n.Base, "backlogQuota:")
		if len(m) == 0 && boolParam(r, "applied") {
			return s.policies.withPrefix(n.Namespace, "backlogQuota:"), nil
		}
		if len(m) == 0 {
			return nil, nil
		}
		return m, nil
	}))
	on("POST "+tp+"/backlogQuota", need(func(r *http.Request, n topicName) (any, error) {
		return nil, s.setBacklogQuota(r, n.Base)
	}))
	on("DELETE "+tp+"/backlogQuota", need(func(r *http.Request, n topicName) (any, error) {
		s.policies.del(n.Base, "backlogQuota:"+backlogQuotaType(r))
		return nil, nil
	}))
}

// setCreateProperties keeps the properties a topic was created with.
func (s *Server) setCreateProperties(name topicName, props map[string]string) {
	if len(props) > 0 {
		s.editProperties(name.Full, func(m map[string]string) {
			for k, v := range props {
				m[k] = v
			}
		})
	}
}

// needTopicOrPartitioned is the broker's 404 for a policy of a topic that
// does not exist.
func (s *Server) needTopicOrPartitioned(n topicName) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.partitioned[n.Base]; ok || s.topics[n.Full] != nil {
		return nil
	}
	return herr(http.StatusNotFound, "Topic not found")
}

// ---------------------------------------------------- enforced policies ---

// backlogQuota is the broker's BacklogQuota.
type backlogQuota struct {
	Limit     int64  `json:"limit"` // deprecated, = limitSize
	LimitSize int64  `json:"limitSize"`
	LimitTime int64  `json:"limitTime"`
	Policy    string `json:"policy"`
}

// intPolicy is the effective integer policy for a topic: the topic's own,
// else the namespace's; ok is false when neither is set.
func (s *Server) intPolicy(n topicName, topicName, nsName string) (v int64, ok bool) {
	raw, found := s.policies.get(n.Base, topicName)
	if !found {
		raw, found = s.policies.get(n.Namespace, nsName)
	}
	if !found || json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	return v, true
}

// effectiveBacklogQuota is the destination_storage quota of a topic, or nil.
func (s *Server) effectiveBacklogQuota(n topicName) *backlogQuota {
	raw, ok := s.policies.get(n.Base, "backlogQuota:destination_storage")
	if !ok {
		raw, ok = s.policies.get(n.Namespace, "backlogQuota:destination_storage")
	}
	if !ok {
		return nil
	}
	q := &backlogQuota{}
	if json.Unmarshal(raw, q) != nil || q.LimitSize <= 0 {
		return nil
	}
	return q
}

// autoTopicCreationAllowed is the namespace's override of the broker's
// allowAutoTopicCreation; ok is false without an override.
func (s *Server) autoTopicCreationAllowed(ns string) (allow, ok bool) {
	raw, found := s.policies.get(ns, "autoTopicCreation")
	if !found {
		return false, false
	}
	var c struct {
		Allow bool `json:"allowAutoTopicCreation"`
	}
	json.Unmarshal(raw, &c)
	return c.Allow, true
}

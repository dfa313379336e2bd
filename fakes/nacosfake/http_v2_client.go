package nacosfake

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The /v2/ns/client endpoints (ClientInfoControllerV2). A Nacos naming
// client is a gRPC connection of the naming module (its id is the
// connection id) or an HTTP ip:port#ephemeral client: the owner of the
// instances it registered, or a v1 list caller subscribed for UDP pushes
// (clientIP:udpPort#true). Seeded instances belong to no client.

// udpClientID is the ip:port client a UDP subscription belongs to.
func udpClientID(sub *udpSub) string { return sub.addr.String() + "#true" }

// udpSubsOfLocked returns svc's live UDP subscriptions of client id.
func (s *Server) udpSubsOfLocked(svc *service, id string) []*udpSub {
	s.pruneUDPSubsLocked(svc)
	var out []*udpSub
	for _, sub := range svc.udpSubs {
		if udpClientID(sub) == id {
			out = append(out, sub)
		}
	}
	return out
}

// namingClientLocked reports whether id is a live naming client.
func (s *Server) namingClientLocked(id string) (c *conn, ok bool) {
	if c := s.conns[id]; c != nil {
		return c, c.isSetUp() && c.labels["module"] == "naming"
	}
	if !strings.Contains(id, "#") || strings.HasPrefix(id, "seed:") {
		return nil, false
	}
	for _, svc := range s.services {
		if len(svc.owners[id]) > 0 || len(s.udpSubsOfLocked(svc, id)) > 0 {
			return nil, true
		}
	}
	return nil, false
}

// namingClientsLocked lists every naming client id, sorted.
func (s *Server) namingClientsLocked() []string {
	ids := map[string]bool{}
	for id := range s.conns {
		if _, ok := s.namingClientLocked(id); ok {
			ids[id] = true
		}
	}
	for _, svc := range s.services {
		for owner, insts := range svc.owners {
			if len(insts) > 0 && s.conns[owner] == nil && strings.Contains(owner, "#") && !strings.HasPrefix(owner, "seed:") {
				ids[owner] = true
			}
		}
		s.pruneUDPSubsLocked(svc)
		for _, sub := range svc.udpSubs {
			ids[udpClientID(sub)] = true
		}
	}
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func httpV2ListClients(s *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) {
	s.mu.Lock()
	ids := s.namingClientsLocked()
	s.mu.Unlock()
	writeSuccess(w, ids)
}

// v2Client reads the required clientId of a live client, else answers.
func (s *Server) v2ClientLocked(w http.ResponseWriter, q url.Values) (string, *conn, bool) {
	if v2Missing(w, q, "clientId") {
		return "", nil, false
	}
	id := q.Get("clientId")
	c, ok := s.namingClientLocked(id)
	if !ok {
		v2Error(w, http.StatusNotFound, 20004, "clientId [ "+id+" ] not exist")
	}
	return id, c, ok
}

// The client detail in ClientInfoControllerV2's key order.
type v2ConnClient struct {
	ClientID        string `json:"clientId"`
	Ephemeral       bool   `json:"ephemeral"`
	LastUpdatedTime int64  `json:"lastUpdatedTime"`
	ClientType      string `json:"clientType"`
	ConnectType     string `json:"connectType"`
	AppName         string `json:"appName"`
	Version         string `json:"version"`
	ClientIP        string `json:"clientIp"`
	ClientPort      string `json:"clientPort"`
}

type v2IPPortClient struct {
	ClientID        string `json:"clientId"`
	Ephemeral       bool   `json:"ephemeral"`
	LastUpdatedTime int64  `json:"lastUpdatedTime"`
	ClientType      string `json:"clientType"`
	ClientIP        string `json:"clientIp"`
	ClientPort      string `json:"clientPort"`
}

// httpV2GetClient describes a client. lastUpdatedTime is the last beat of
// an HTTP client and now for a connection (which Nacos refreshes on every
// request, health checks included).
func httpV2GetClient(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, c, ok := s.v2ClientLocked(w, q)
	if !ok {
		return
	}
	if c != nil {
		app := c.labels["AppName"]
		if app == "" {
			app = "-"
		}
		writeSuccess(w, v2ConnClient{id, true, s.now().UnixMilli(), "connection", "GRPC", app, c.clientVersion, c.clientIP,
			id[strings.LastIndexByte(id, '_')+1:]})
		return
	}
	addr, eph, _ := strings.Cut(id, "#")
	var last int64
	for _, svc := range s.services {
		for _, in := range svc.owners[id] {
			last = max(last, in.LastBeat.UnixMilli())
		}
		for _, sub := range s.udpSubsOfLocked(svc, id) {
			last = max(last, sub.expires.Add(-udpSubTTL).UnixMilli())
		}
	}
	i := strings.LastIndexByte(addr, ':')
	writeSuccess(w, v2IPPortClient{id, eph == "true", last, "ipPort", addr[:i], addr[i+1:]})
}

type v2PublishedInstance struct {
	IP      string `json:"ip"`
	Port    int    `json:"port"`
	Cluster string `json:"cluster"`
}

// sortedServicesLocked lists the services in key order.
func (s *Server) sortedServicesLocked() []*service {
	out := make([]*service, 0, len(s.services))
	for _, svc := range s.services {
		out = append(out, svc)
	}
	slices.SortFunc(out, func(a, b *service) int {
		return strings.Compare(a.key.ns+"/"+a.key.grouped(), b.key.ns+"/"+b.key.grouped())
	})
	return out
}

func httpV2ClientPublished(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _, ok := s.v2ClientLocked(w, q)
	if !ok {
		return
	}
	type item struct {
		Namespace          string              `json:"namespace"`
		Group              string              `json:"group"`
		ServiceName        string              `json:"serviceName"`
		RegisteredInstance v2PublishedInstance `json:"registeredInstance"`
	}
	out := []item{}
	for _, svc := range s.sortedServicesLocked() {
		for _, in := range svc.owners[id] {
			out = append(out, item{svc.key.ns, svc.key.group, svc.key.name, v2PublishedInstance{in.IP, in.Port, in.Cluster}})
		}
	}
	writeSuccess(w, out)
}

// httpV2ClientSubscribed lists a connection's subscriptions; the gRPC
// subscriber's agent is its client version, its address the client IP.
func httpV2ClientSubscribed(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, c, ok := s.v2ClientLocked(w, q)
	if !ok {
		return
	}
	type info struct {
		App   string `json:"app"`
		Agent string `json:"agent"`
		Addr  string `json:"addr"`
	}
	type item struct {
		Namespace      string `json:"namespace"`
		Group          string `json:"group"`
		ServiceName    string `json:"serviceName"`
		SubscriberInfo info   `json:"subscriberInfo"`
	}
	out := []item{}
	for _, svc := range s.sortedServicesLocked() {
		if _, ok := svc.subs[id]; ok && c != nil {
			out = append(out, item{svc.key.ns, svc.key.group, svc.key.name, info{"unknown", c.clientVersion, c.clientIP}})
		}
		if subs := s.udpSubsOfLocked(svc, id); len(subs) > 0 {
			// The fake keeps neither the caller's app nor its User-Agent.
			out = append(out, item{svc.key.ns, svc.key.group, svc.key.name, info{"", "", subs[0].addr.String()}})
		}
	}
	writeSuccess(w, out)
}

// httpV2ServicePublishers lists the clients publishing the instance at ip
// and port. Nacos 2.x compares both with the request's values as given, so
// without ip and port nothing matches.
func httpV2ServicePublishers(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, port, ok := v2ClientServiceParams(w, q)
	if !ok {
		return
	}
	type item struct {
		v2PublishedInstance
		ClientID string `json:"clientId"`
	}
	out := []item{}
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[k]; svc != nil && q.Has("ip") && port != nil {
		for _, id := range s.namingClientsLocked() {
			for _, in := range svc.owners[id] {
				if in.IP == q.Get("ip") && in.Port == *port {
					out = append(out, item{v2PublishedInstance{in.IP, in.Port, in.Cluster}, id})
				}
			}
		}
	}
	writeSuccess(w, out)
}

// httpV2ServiceSubscribers lists the subscribers of a service, gRPC ones
// (port 0, as Nacos records them) then UDP ones, filtered by ip and port
// when given.
func httpV2ServiceSubscribers(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, port, ok := v2ClientServiceParams(w, q)
	if !ok {
		return
	}
	type item struct {
		ClientID string `json:"clientId"`
		IP       string `json:"ip"`
		Port     int    `json:"port"`
	}
	out := []item{}
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[k]; svc != nil {
		ids := make([]string, 0, len(svc.subs))
		for id := range svc.subs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if c := s.conns[id]; c != nil {
				out = append(out, item{id, c.clientIP, 0})
			}
		}
		s.pruneUDPSubsLocked(svc)
		udp := map[string]item{}
		for _, sub := range svc.udpSubs {
			udp[udpClientID(sub)] = item{udpClientID(sub), sub.addr.IP.String(), sub.addr.Port}
		}
		for _, id := range slices.Sorted(maps.Keys(udp)) {
			out = append(out, udp[id])
		}
		out = slices.DeleteFunc(out, func(it item) bool {
			return q.Has("ip") && q.Get("ip") != it.IP || port != nil && *port != it.Port
		})
	}
	writeSuccess(w, out)
}

// v2ClientServiceParams reads serviceName (required), groupName,
// namespaceId, ephemeral and an optional port.
func v2ClientServiceParams(w http.ResponseWriter, q url.Values) (svcKey, *int, bool) {
	if v2Missing(w, q, "serviceName") {
		return svcKey{}, nil, false
	}
	if _, ok := v2Param(w, q, "ephemeral", "bool", true); !ok {
		return svcKey{}, nil, false
	}
	p, ok := v2Param(w, q, "port", "int", nil)
	if !ok {
		return svcKey{}, nil, false
	}
	var port *int
	if p != nil {
		n := p.(int)
		port = &n
	}
	return v2Key(q), port, true
}

package nacosfake

import (
	"fmt"
	"sort"
)

// wireInstance is the SDK's model.Instance JSON.
type wireInstance struct {
	InstanceID  string            `json:"instanceId"`
	IP          string            `json:"ip"`
	Port        int               `json:"port"`
	Weight      float64           `json:"weight"`
	Healthy     bool              `json:"healthy"`
	Enabled     bool              `json:"enabled"`
	Ephemeral   bool              `json:"ephemeral"`
	ClusterName string            `json:"clusterName"`
	Metadata    map[string]string `json:"metadata"`
}

func (w wireInstance) toInstance() *Instance {
	return &Instance{InstanceID: w.InstanceID, IP: w.IP, Port: w.Port, Weight: w.Weight, Healthy: w.Healthy,
		Enabled: w.Enabled, Ephemeral: w.Ephemeral, Cluster: w.ClusterName, Metadata: w.Metadata}
}

type namingReq struct {
	Namespace   string         `json:"namespace"`
	ServiceName string         `json:"serviceName"`
	GroupName   string         `json:"groupName"`
	Type        string         `json:"type"`
	Instance    wireInstance   `json:"instance"`
	Instances   []wireInstance `json:"instances"`
	Subscribe   bool           `json:"subscribe"`
	Clusters    string         `json:"clusters"`
	Cluster     string         `json:"cluster"`
	HealthyOnly bool           `json:"healthyOnly"`
	PageNo      int            `json:"pageNo"`
	PageSize    int            `json:"pageSize"`
}

func (r *namingReq) key() svcKey { return newSvcKey(r.Namespace, r.GroupName, r.ServiceName) }

// handleInstance registers or deregisters the connection's one instance of
// a service; instances sent over gRPC are ephemeral and owned by the
// connection (dropped when it closes).
func handleInstance(s *Server, c *conn, p *payload) (map[string]any, *rpcErr) {
	var r namingReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Type {
	case "registerInstance":
		in := r.Instance.toInstance()
		in.Ephemeral = true
		if e := s.setOwnerLocked(r.key(), c.id, []*Instance{in}); e != nil {
			return nil, e
		}
	case "deregisterInstance":
		if e := s.setOwnerLocked(r.key(), c.id, nil); e != nil {
			return nil, e
		}
	default:
		return nil, &rpcErr{code: codeBadRequest, msg: fmt.Sprintf("Unsupported request type %s", r.Type), asError: true}
	}
	return map[string]any{"type": r.Type}, nil
}

// handlePersistentInstance is the Java 2.3+ persistent register over gRPC.
func handlePersistentInstance(s *Server, _ *conn, p *payload) (map[string]any, *rpcErr) {
	var r namingReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	in := r.Instance.toInstance()
	in.Ephemeral = false
	owner := fmt.Sprintf("%s:%d#false", in.IP, in.Port)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Type {
	case "registerInstance":
		if e := s.setOwnerLocked(r.key(), owner, []*Instance{in}); e != nil {
			return nil, e
		}
	case "deregisterInstance":
		_ = s.setOwnerLocked(r.key(), owner, nil)
	default:
		return nil, &rpcErr{code: codeBadRequest, msg: fmt.Sprintf("Unsupported request type %s", r.Type), asError: true}
	}
	return map[string]any{"type": r.Type}, nil
}

func handleBatchInstance(s *Server, c *conn, p *payload) (map[string]any, *rpcErr) {
	var r namingReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Type {
	case "batchRegisterInstance":
		insts := make([]*Instance, 0, len(r.Instances))
		for _, w := range r.Instances {
			in := w.toInstance()
			in.Ephemeral = true
			insts = append(insts, in)
		}
		if e := s.setOwnerLocked(r.key(), c.id, insts); e != nil {
			return nil, e
		}
	case "batchDeregisterInstance":
		var keep []*Instance
		if svc := s.services[r.key()]; svc != nil {
			for _, old := range svc.owners[c.id] {
				drop := false
				for _, w := range r.Instances {
					if w.IP == old.IP && w.Port == old.Port {
						drop = true
					}
				}
				if !drop {
					keep = append(keep, old)
				}
			}
		}
		if e := s.setOwnerLocked(r.key(), c.id, keep); e != nil {
			return nil, e
		}
	default:
		return nil, &rpcErr{code: codeBadRequest, msg: fmt.Sprintf("Unsupported request type %s", r.Type), asError: true}
	}
	return map[string]any{"type": r.Type}, nil
}

func handleServiceQuery(s *Server, _ *conn, p *payload) (map[string]any, *rpcErr) {
	var r namingReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{"serviceInfo": s.serviceInfoForLocked(r.key(), r.key().name, r.Cluster, r.HealthyOnly)}, nil
}

// serviceInfoForLocked answers for a service that may not exist.
func (s *Server) serviceInfoForLocked(k svcKey, name, clusters string, healthyOnly bool) map[string]any {
	svc := s.services[k]
	if svc == nil {
		svc = &service{key: k} // empty, not stored
	}
	return s.serviceInfoLocked(svc, name, clusters, healthyOnly)
}

func handleSubscribe(s *Server, c *conn, p *payload) (map[string]any, *rpcErr) {
	var r namingReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	if r.ServiceName == "" {
		return nil, &rpcErr{code: codeBadRequest, msg: "serviceName can not be empty", asError: true}
	}
	k := r.key()
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Subscribe {
		svc := s.serviceLocked(k, true)
		svc.subs[c.id] = r.Clusters
	} else if svc := s.services[k]; svc != nil {
		delete(svc.subs, c.id)
		s.gcServiceLocked(svc)
	}
	return map[string]any{"serviceInfo": s.serviceInfoForLocked(k, k.name, r.Clusters, false)}, nil
}

func handleServiceList(s *Server, _ *conn, p *payload) (map[string]any, *rpcErr) {
	var r namingReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	count, names := s.serviceListLocked(r.Namespace, r.GroupName, r.PageNo, r.PageSize)
	return map[string]any{"count": count, "serviceNames": names}, nil
}

// serviceListLocked pages the bare service names of a namespace and group.
func (s *Server) serviceListLocked(ns, group string, pageNo, pageSize int) (int, []string) {
	k := newSvcKey(ns, group, "")
	var all []string
	for sk := range s.services {
		if sk.ns == k.ns && sk.group == k.group {
			all = append(all, sk.name)
		}
	}
	sort.Strings(all)
	names := []string{}
	if pageNo > 0 && pageSize > 0 {
		start := (pageNo - 1) * pageSize
		if start < len(all) {
			end := min(start+pageSize, len(all))
			names = all[start:end]
		}
	}
	return len(all), names
}

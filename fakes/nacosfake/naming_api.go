package nacosfake

import (
	"fmt"
	"maps"
	"sort"
)

// Instances lists the instances of one service (namespace "" is public,
// group "" is DEFAULT_GROUP), including disabled and unhealthy ones.
func (s *Server) Instances(namespace, group, service string) []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[newSvcKey(namespace, group, service)]
	if svc == nil {
		return nil
	}
	var out []Instance
	for _, in := range svc.instances() {
		cp := *in
		cp.Metadata = maps.Clone(in.Metadata) // callers must not reach our state
		out = append(out, cp)
	}
	return out
}

// Services lists "namespace/group@@service" for every known service.
func (s *Server) Services() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.services {
		out = append(out, k.ns+"/"+k.grouped())
	}
	sort.Strings(out)
	return out
}

// Subscriber is one gRPC naming subscription.
type Subscriber struct {
	Namespace, Group, Service, Clusters, ConnID string
}

// Subscribers lists gRPC naming subscriptions.
func (s *Server) Subscribers() []Subscriber {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscriber
	for k, svc := range s.services {
		for id, cl := range svc.subs {
			out = append(out, Subscriber{Namespace: k.ns, Group: k.group, Service: k.name, Clusters: cl, ConnID: id})
		}
	}
	return out
}

// RegisterInstance seeds an instance. Ephemeral seeds are owned by "seed"
// and never expire; persistent ones are saved to the data dir.
func (s *Server) RegisterInstance(in Instance) error {
	k := newSvcKey(in.Namespace, in.Group, in.Service)
	in.Owner = fmt.Sprintf("%s:%d#%v", in.IP, in.Port, in.Ephemeral)
	if in.Ephemeral {
		in.Owner = "seed:" + in.Owner
	}
	if in.Weight == 0 {
		in.Weight = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.setOwnerLocked(k, in.Owner, []*Instance{&in}); e != nil {
		return fmt.Errorf("nacosfake: %s", e.msg)
	}
	return nil
}

// DeregisterInstance removes a seeded or HTTP-registered instance.
func (s *Server) DeregisterInstance(namespace, group, service, ip string, port int, ephemeral bool) {
	k := newSvcKey(namespace, group, service)
	s.mu.Lock()
	defer s.mu.Unlock()
	owner := fmt.Sprintf("%s:%d#%v", ip, port, ephemeral)
	if svc := s.services[k]; svc != nil {
		if _, ok := svc.owners["seed:"+owner]; ok {
			owner = "seed:" + owner
		}
	}
	_ = s.setOwnerLocked(k, owner, nil)
}

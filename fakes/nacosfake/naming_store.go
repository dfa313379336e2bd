package nacosfake

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultNamespace is the naming namespace used when none is given.
const DefaultNamespace = "public"

// DefaultCluster is the cluster of instances registered without one.
const DefaultCluster = "DEFAULT"

// Instance is one registered service instance.
type Instance struct {
	Namespace   string            `json:"namespace"`
	Group       string            `json:"group"`
	Service     string            `json:"service"` // bare name, without group@@
	InstanceID  string            `json:"instanceId"`
	IP          string            `json:"ip"`
	Port        int               `json:"port"`
	Weight      float64           `json:"weight"`
	Healthy     bool              `json:"healthy"`
	Enabled     bool              `json:"enabled"`
	Ephemeral   bool              `json:"ephemeral"`
	Cluster     string            `json:"cluster"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Owner       string            `json:"owner"` // gRPC connection id, or ip:port#ephemeral for HTTP
	LastBeat    time.Time         `json:"-"`
	httpManaged bool              // HTTP ephemeral: kept alive by beats
}

type svcKey struct{ ns, group, name string }

func newSvcKey(ns, group, name string) svcKey {
	if ns == "" {
		ns = DefaultNamespace
	}
	if group == "" {
		group = DefaultGroup
	}
	return svcKey{ns, group, name}
}

func (k svcKey) grouped() string { return k.group + "@@" + k.name }

type service struct {
	key         svcKey
	owners      map[string][]*Instance // owner -> its instances
	subs        map[string]string      // connID -> subscribed clusters
	udpSubs     map[string]*udpSub     // HTTP clients pushed over UDP
	lastRef     int64
	pushPending bool

	// Set through /v1/ns/service; metadata and the threshold are stored
	// and shown but do not change selection.
	explicit         bool
	metadata         map[string]string
	protectThreshold float64
	// Set by the v2 service create: the kind of instances it accepts.
	declaredEphemeral *bool
}

// ephemeral is the service's kind: as created, else that of its
// instances (subscribing alone makes an ephemeral service).
func (svc *service) ephemeral() bool {
	eph, _ := svc.kind("")
	return eph
}

// kind is the service's kind as fixed by its creation or by the instances
// of owners other than except; known is false when nothing fixes it.
func (svc *service) kind(except string) (ephemeral, known bool) {
	if svc.declaredEphemeral != nil {
		return *svc.declaredEphemeral, true
	}
	for o, insts := range svc.owners {
		if o != except && len(insts) > 0 {
			return insts[0].Ephemeral, true
		}
	}
	return true, false
}

var validCluster = regexp.MustCompile(`^[0-9a-zA-Z_-]+$`)

func (s *Server) serviceLocked(k svcKey, create bool) *service {
	svc := s.services[k]
	if svc == nil && create {
		svc = &service{key: k, owners: map[string][]*Instance{}, subs: map[string]string{}}
		s.services[k] = svc
	}
	return svc
}

// gcServicesLocked forgets services with no instances and no subscribers.
// (Nacos keeps them ~60 s; the fake drops them at once.)
func (s *Server) gcServicesLocked() {
	for _, svc := range s.services {
		s.gcServiceLocked(svc)
	}
}

func (s *Server) gcServiceLocked(svc *service) {
	s.pruneUDPSubsLocked(svc)
	if len(svc.owners) == 0 && len(svc.subs) == 0 && len(svc.udpSubs) == 0 && !svc.explicit {
		delete(s.services, svc.key)
	}
}

// prepInstance validates and fills defaults like Nacos' checkInstanceIsLegal.
func prepInstance(k svcKey, in *Instance) *rpcErr {
	if k.name == "" {
		return &rpcErr{code: codeBadRequest, msg: "serviceName can not be empty", asError: true}
	}
	if in.Cluster != "" && !validCluster.MatchString(in.Cluster) {
		return &rpcErr{code: codeBadRequest, msg: fmt.Sprintf("Instance 'clusterName' should be characters with only 0-9a-zA-Z-. (current: %s)", in.Cluster), asError: true}
	}
	if in.Port < 0 || in.Port > 65535 {
		return &rpcErr{code: codeBadRequest, msg: "Instance 'port' out of range", asError: true}
	}
	if in.InstanceID == "" {
		// Nacos builds the id from the cluster as sent, before defaulting it.
		in.InstanceID = fmt.Sprintf("%s#%d#%s#%s", in.IP, in.Port, in.Cluster, k.grouped())
	}
	if in.Cluster == "" {
		in.Cluster = DefaultCluster
	}
	in.Namespace, in.Group, in.Service = k.ns, k.group, k.name
	return nil
}

// setOwnerLocked replaces the instances an owner publishes for a service.
func (s *Server) setOwnerLocked(k svcKey, owner string, insts []*Instance) *rpcErr {
	svc := s.serviceLocked(k, len(insts) > 0)
	if svc == nil {
		return nil
	}
	for _, in := range insts {
		if e := prepInstance(k, in); e != nil {
			s.gcServiceLocked(svc) // a refused first instance leaves no service
			return e
		}
		if eph, known := svc.kind(owner); known && eph != in.Ephemeral {
			kind, want := "persistent", "ephemeral"
			if eph {
				kind, want = "ephemeral", "persistent"
			}
			return &rpcErr{code: codeBadRequest, msg: fmt.Sprintf("Current service %s is %s service, can't register %s instance.", k.grouped(), kind, want), asError: true}
		}
		in.Owner = owner
		in.LastBeat = s.now()
	}
	old := svc.owners[owner]
	if len(insts) == 0 {
		delete(svc.owners, owner)
	} else {
		svc.owners[owner] = insts
	}
	s.serviceChangedLocked(svc)
	if len(old) > 0 && !old[0].Ephemeral || len(insts) > 0 && !insts[0].Ephemeral {
		s.persistOwnerLocked(k, owner)
	}
	s.gcServiceLocked(svc)
	return nil
}

// instancesLocked returns a service's instances in a stable order.
func (svc *service) instances() []*Instance {
	var out []*Instance
	for _, insts := range svc.owners {
		out = append(out, insts...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IP != out[j].IP {
			return out[i].IP < out[j].IP
		}
		if out[i].Port != out[j].Port {
			return out[i].Port < out[j].Port
		}
		return out[i].Cluster < out[j].Cluster
	})
	return out
}

// serviceInfo is the wire ServiceInfo. name is bare for gRPC and
// group@@name for HTTP.
func (s *Server) serviceInfoLocked(svc *service, name, clusters string, healthyOnly bool) map[string]any {
	want := map[string]bool{}
	for _, c := range strings.Split(clusters, ",") {
		if c = strings.TrimSpace(c); c != "" {
			want[c] = true
		}
	}
	var picked []*Instance
	healthy := 0
	for _, in := range svc.instances() {
		if in.Enabled && (len(want) == 0 || want[in.Cluster]) {
			picked = append(picked, in)
			if in.Healthy {
				healthy++
			}
		}
	}
	// Protection threshold (only for services created with one): when too
	// few are healthy, Nacos returns them all, marked healthy, so clients
	// do not pile onto the survivors.
	protect := svc.protectThreshold > 0 && len(picked) > 0 &&
		float64(healthy)/float64(len(picked)) <= svc.protectThreshold
	hosts := []map[string]any{}
	sum := md5.New()
	for _, in := range picked {
		h := in.Healthy || protect
		if healthyOnly && !h {
			continue
		}
		host := hostJSON(svc.key, in)
		host["healthy"], host["valid"] = h, h
		hosts = append(hosts, host)
		fmt.Fprintf(sum, "%s:%d:%v:%v;", in.IP, in.Port, in.Weight, h)
	}
	// lastRefTime must strictly increase or the SDK drops the update.
	ref := s.now().UnixMilli()
	if ref <= svc.lastRef {
		ref = svc.lastRef + 1
	}
	svc.lastRef = ref
	return map[string]any{
		"name": name, "groupName": svc.key.group, "clusters": clusters, "cacheMillis": s.opts.listCacheTTL.Milliseconds(),
		"hosts": hosts, "lastRefTime": ref, "checksum": hex.EncodeToString(sum.Sum(nil)),
		"allIPs": false, "reachProtectionThreshold": protect, "valid": true,
	}
}

func hostJSON(k svcKey, in *Instance) map[string]any {
	md := in.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return map[string]any{
		"instanceId": in.InstanceID, "ip": in.IP, "port": in.Port, "weight": in.Weight,
		"healthy": in.Healthy, "enabled": in.Enabled, "ephemeral": in.Ephemeral, "valid": in.Healthy, "marked": false,
		"clusterName": in.Cluster, "serviceName": k.grouped(), "metadata": md,
		"instanceHeartBeatInterval": 5000, "instanceHeartBeatTimeOut": 15000, "ipDeleteTimeout": 30000,
		"instanceIdGenerator": "simple",
	}
}

// serviceChangedLocked schedules one debounced push to every subscriber.
func (s *Server) serviceChangedLocked(svc *service) {
	if svc.pushPending || len(svc.subs) == 0 && len(svc.udpSubs) == 0 {
		return
	}
	svc.pushPending = true
	s.sched.after(s.opts.pushDelay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		svc.pushPending = false
		for connID, clusters := range svc.subs {
			if c := s.conns[connID]; c != nil {
				s.pushServiceLocked(c, svc, clusters)
			}
		}
		if s.udp != nil {
			s.pushUDPLocked(svc)
		}
	})
}

func (s *Server) pushServiceLocked(c *conn, svc *service, clusters string) {
	body := mustJSON(map[string]any{
		"module": "naming", "namespace": svc.key.ns, "serviceName": svc.key.name, "groupName": svc.key.group,
		"serviceInfo": s.serviceInfoLocked(svc, svc.key.name, clusters, false),
	})
	c.pushAfter("NotifySubscriberRequest", body, 0)
}

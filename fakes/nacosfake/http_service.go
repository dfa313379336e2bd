package nacosfake

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// The /v1/ns/service endpoints. Services the fake creates implicitly vanish
// when they have no instances or subscribers; one created here stays until
// deleted, like a Nacos service with metadata.

func httpGetService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, _ := httpSvcKey(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil {
		writeText(w, http.StatusBadRequest, "service not found, namespace: "+k.ns+", serviceName: "+k.grouped())
		return
	}
	clusters := map[string]bool{}
	for _, in := range svc.instances() {
		clusters[in.Cluster] = true
	}
	var names []string
	for c := range clusters {
		names = append(names, c)
	}
	sort.Strings(names)
	cl := []map[string]any{}
	for _, c := range names {
		cl = append(cl, map[string]any{"name": c, "healthChecker": map[string]any{"type": "TCP"}, "metadata": map[string]string{}})
	}
	md := svc.metadata
	if md == nil {
		md = map[string]string{}
	}
	writeJSON(w, map[string]any{"namespaceId": k.ns, "groupName": k.group, "name": k.name,
		"protectThreshold": svc.protectThreshold, "metadata": md, "selector": map[string]any{"type": "none"}, "clusters": cl})
}

func httpCreateService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, ok := httpSvcKey(q)
	if !ok {
		writeText(w, http.StatusBadRequest, paramRequired("serviceName"))
		return
	}
	md, err := parseMetadata(q.Get("metadata"))
	if err != nil {
		writeText(w, http.StatusBadRequest, "metadata format invalid: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.services[k]; svc != nil && svc.explicit {
		writeText(w, http.StatusBadRequest, "specified service "+k.grouped()+" already exists!")
		return
	}
	svc := s.serviceLocked(k, true)
	svc.explicit, svc.metadata = true, md
	svc.protectThreshold, _ = strconv.ParseFloat(q.Get("protectThreshold"), 64)
	s.persistServiceLocked(k)
	writeText(w, 200, "ok")
}

func httpUpdateService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, _ := httpSvcKey(q)
	md, err := parseMetadata(q.Get("metadata"))
	if err != nil {
		writeText(w, http.StatusBadRequest, "metadata format invalid: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil {
		writeText(w, http.StatusBadRequest, "service "+k.grouped()+" not found!")
		return
	}
	svc.explicit = true
	if md != nil {
		svc.metadata = md
	}
	if v, err := strconv.ParseFloat(q.Get("protectThreshold"), 64); err == nil {
		svc.protectThreshold = v
	}
	s.persistServiceLocked(k)
	writeText(w, 200, "ok")
}

func httpDeleteService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, _ := httpSvcKey(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil {
		writeText(w, http.StatusBadRequest, "service "+k.grouped()+" not found!")
		return
	}
	if len(svc.owners) > 0 {
		writeText(w, http.StatusBadRequest, "Service "+k.grouped()+" is not empty, can't be delete. Please unregister instance first")
		return
	}
	svc.explicit = false
	s.gcServiceLocked(svc)
	s.persistServiceLocked(k)
	writeText(w, 200, "ok")
}

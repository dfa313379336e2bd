package nacosfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// httpSvcKey reads serviceName (possibly "group@@name"), groupName and
// namespaceId like Nacos' v1 controllers.
func httpSvcKey(q url.Values) (svcKey, bool) {
	name, group := q.Get("serviceName"), q.Get("groupName")
	if g, n, ok := strings.Cut(name, "@@"); ok {
		group, name = g, n
	}
	return newSvcKey(q.Get("namespaceId"), group, name), name != ""
}

func boolParam(q url.Values, def bool, names ...string) bool {
	for _, n := range names {
		if v := q.Get(n); v != "" {
			b, err := strconv.ParseBool(v)
			if err == nil {
				return b
			}
		}
	}
	return def
}

// parseMetadata accepts JSON or k=v,k=v.
func parseMetadata(s string) (map[string]string, error) {
	if s == "" || s == "null" {
		return nil, nil
	}
	md := map[string]string{}
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		if err := json.Unmarshal([]byte(s), &md); err != nil {
			return nil, err
		}
		return md, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("bad metadata %q", kv)
		}
		md[k] = v
	}
	return md, nil
}

// instanceFromParams builds the instance a v1 register/update describes.
func instanceFromParams(q url.Values) (*Instance, string) {
	ip := q.Get("ip")
	if ip == "" {
		return nil, paramRequired("ip")
	}
	if q.Get("port") == "" {
		return nil, paramRequired("port")
	}
	port, err := strconv.Atoi(q.Get("port"))
	if err != nil {
		return nil, "For input string: \"" + q.Get("port") + "\""
	}
	weight := 1.0
	if w := q.Get("weight"); w != "" {
		if weight, err = strconv.ParseFloat(w, 64); err != nil {
			return nil, "For input string: \"" + w + "\""
		}
		if weight < 0 || weight > 10000 { // HttpRequestInstanceBuilder.setWeight
			return nil, "instance format invalid: The weights range from 0.0 to 10000.0"
		}
	}
	md, err := parseMetadata(q.Get("metadata"))
	if err != nil {
		return nil, "instance format invalid: metadata " + err.Error()
	}
	cluster := q.Get("clusterName")
	if cluster == "" {
		cluster = q.Get("cluster")
	}
	if cluster == "" {
		cluster = DefaultCluster
	}
	return &Instance{IP: ip, Port: port, Weight: weight, Metadata: md, Cluster: cluster,
		Enabled:   boolParam(q, true, "enabled", "enable"),
		Healthy:   boolParam(q, true, "healthy"),
		Ephemeral: boolParam(q, true, "ephemeral"),
	}, ""
}

// paramRequired is the 400 text of Nacos's WebUtils.required.
func paramRequired(name string) string { return "Param '" + name + "' is required." }

func httpOwner(in *Instance) string { return fmt.Sprintf("%s:%d#%v", in.IP, in.Port, in.Ephemeral) }

func httpRegisterInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, ok := httpSvcKey(q)
	if !ok {
		writeText(w, http.StatusBadRequest, paramRequired("serviceName"))
		return
	}
	in, msg := instanceFromParams(q)
	if in == nil {
		writeText(w, http.StatusBadRequest, msg)
		return
	}
	if e := s.registerHTTPInstance(k, in); e != nil {
		writeText(w, e.code, e.msg)
		return
	}
	writeText(w, 200, "ok")
}

// registerHTTPInstance publishes in as its ip:port client; an ephemeral
// one then lives on beats.
func (s *Server) registerHTTPInstance(k svcKey, in *Instance) *rpcErr {
	in.httpManaged = in.Ephemeral
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setOwnerLocked(k, httpOwner(in), []*Instance{in})
}

func httpDeregisterInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, ok := httpSvcKey(q)
	port, err := strconv.Atoi(q.Get("port"))
	switch {
	case !ok:
		writeText(w, http.StatusBadRequest, paramRequired("serviceName"))
		return
	case q.Get("ip") == "":
		writeText(w, http.StatusBadRequest, paramRequired("ip"))
		return
	case err != nil:
		writeText(w, http.StatusBadRequest, paramRequired("port"))
		return
	}
	owner := fmt.Sprintf("%s:%d#%v", q.Get("ip"), port, boolParam(q, true, "ephemeral"))
	s.mu.Lock()
	_ = s.setOwnerLocked(k, owner, nil)
	s.mu.Unlock()
	writeText(w, 200, "ok")
}

func httpUpdateInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, ok := httpSvcKey(q)
	in, msg := instanceFromParams(q)
	if !ok || in == nil {
		writeText(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil {
		writeText(w, http.StatusBadRequest, "service not found, namespace: "+k.ns+", service: "+k.grouped())
		return
	}
	old := svc.owners[httpOwner(in)]
	if len(old) == 0 {
		writeText(w, http.StatusBadRequest, "instance not exist: "+httpOwner(in))
		return
	}
	in.httpManaged, in.InstanceID = old[0].httpManaged, old[0].InstanceID
	if e := s.setOwnerLocked(k, httpOwner(in), []*Instance{in}); e != nil {
		writeText(w, e.code, e.msg)
		return
	}
	writeText(w, 200, "ok")
}

func httpGetInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, _ := httpSvcKey(q)
	port, _ := strconv.Atoi(q.Get("port"))
	cluster := q.Get("cluster")
	if cluster == "" {
		cluster = q.Get("clusterName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil || len(svc.owners) == 0 {
		writeText(w, http.StatusNotFound, "no ips found for cluster "+cluster+" in service "+k.grouped())
		return
	}
	for _, in := range svc.instances() {
		if in.IP == q.Get("ip") && in.Port == port && (cluster == "" || cluster == in.Cluster) {
			md := in.Metadata
			if md == nil {
				md = map[string]string{}
			}
			writeJSON(w, map[string]any{"service": k.grouped(), "ip": in.IP, "port": in.Port, "clusterName": in.Cluster,
				"weight": in.Weight, "healthy": in.Healthy, "enabled": in.Enabled, "ephemeral": in.Ephemeral,
				"instanceId": in.InstanceID, "metadata": md})
			return
		}
	}
	writeText(w, http.StatusNotFound, "no matched ip found!")
}

func httpListInstances(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, ok := httpSvcKey(q)
	if !ok {
		writeText(w, http.StatusBadRequest, paramRequired("serviceName"))
		return
	}
	udpPort, _ := strconv.Atoi(q.Get("udpPort"))
	s.mu.Lock()
	if udpPort > 0 {
		svc := s.serviceLocked(k, true)
		s.addUDPSubLocked(svc, q.Get("clientIP"), udpPort, q.Get("clusters"))
		s.gcServiceLocked(svc) // a bad clientIP must not leave an empty service
	}
	info := s.serviceInfoForLocked(k, k.grouped(), q.Get("clusters"), boolParam(q, false, "healthyOnly"))
	s.mu.Unlock()
	writeJSON(w, info) // a 2.x ServiceInfo: no 1.x "dom" field
}

func httpBeat(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, _ := httpSvcKey(q)
	var beat struct {
		IP          string            `json:"ip"`
		Port        int               `json:"port"`
		ServiceName string            `json:"serviceName"`
		Cluster     string            `json:"cluster"`
		Weight      float64           `json:"weight"`
		Metadata    map[string]string `json:"metadata"`
	}
	hasBeat := q.Get("beat") != ""
	if hasBeat {
		if err := json.Unmarshal([]byte(q.Get("beat")), &beat); err != nil {
			writeText(w, http.StatusBadRequest, "invalid beat: "+err.Error())
			return
		}
	} else {
		beat.IP, beat.Cluster = q.Get("ip"), q.Get("clusterName")
		beat.Port, _ = strconv.Atoi(q.Get("port"))
	}
	if k.name == "" && beat.ServiceName != "" {
		name := beat.ServiceName
		if g, n, ok := strings.Cut(name, "@@"); ok {
			k.group, name = g, n
		}
		k.name = name
	}
	ok := map[string]any{"clientBeatInterval": s.opts.clientBeat.Milliseconds(), "code": 10200, "lightBeatEnabled": true}
	s.mu.Lock()
	defer s.mu.Unlock()
	owner := fmt.Sprintf("%s:%d#true", beat.IP, beat.Port)
	if svc := s.services[k]; svc != nil {
		if insts := svc.owners[owner]; len(insts) > 0 {
			for _, in := range insts {
				in.LastBeat = s.now()
				if !in.Healthy {
					in.Healthy = true
					s.serviceChangedLocked(svc)
				}
			}
			writeJSON(w, ok)
			return
		}
	}
	if !hasBeat || beat.IP == "" || k.name == "" {
		writeJSON(w, map[string]any{"clientBeatInterval": s.opts.clientBeat.Milliseconds(), "code": 20404, "lightBeatEnabled": true})
		return
	}
	// Unknown instance with a full beat: Nacos re-registers it.
	weight := beat.Weight
	if weight == 0 {
		weight = 1
	}
	cluster := beat.Cluster
	if cluster == "" {
		cluster = DefaultCluster
	}
	in := &Instance{IP: beat.IP, Port: beat.Port, Weight: weight, Metadata: beat.Metadata, Cluster: cluster,
		Enabled: true, Healthy: true, Ephemeral: true, httpManaged: true}
	if e := s.setOwnerLocked(k, owner, []*Instance{in}); e != nil {
		writeText(w, e.code, e.msg)
		return
	}
	writeJSON(w, ok)
}

func httpServiceList(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	for _, n := range []string{"pageNo", "pageSize"} {
		if q.Get(n) == "" {
			writeText(w, http.StatusBadRequest, paramRequired(n))
			return
		}
	}
	// NumberUtils.toInt: a bad number is 0.
	pageNo, _ := strconv.Atoi(q.Get("pageNo"))
	pageSize, _ := strconv.Atoi(q.Get("pageSize"))
	s.mu.Lock()
	count, names := s.serviceListLocked(q.Get("namespaceId"), q.Get("groupName"), pageNo, pageSize)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"count": count, "doms": names})
}

// httpPatchInstance changes only the given fields of an existing instance.
func httpPatchInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, _ := httpSvcKey(q)
	port, _ := strconv.Atoi(q.Get("port"))
	cluster := q.Get("cluster")
	if cluster == "" {
		cluster = q.Get("clusterName")
	}
	md, err := parseMetadata(q.Get("metadata"))
	if err != nil {
		writeText(w, http.StatusBadRequest, "instance format invalid: metadata "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc != nil {
		for _, in := range svc.instances() {
			if in.IP != q.Get("ip") || in.Port != port || (cluster != "" && cluster != in.Cluster) {
				continue
			}
			if md != nil {
				in.Metadata = md
			}
			if v, err := strconv.ParseFloat(q.Get("weight"), 64); err == nil {
				in.Weight = v
			}
			in.Healthy = boolParam(q, in.Healthy, "healthy")
			in.Enabled = boolParam(q, in.Enabled, "enabled", "enable")
			s.serviceChangedLocked(svc)
			if !in.Ephemeral {
				s.persistOwnerLocked(svc.key, in.Owner)
			}
			writeText(w, 200, "ok")
			return
		}
	}
	writeText(w, http.StatusNotFound, "no matched ip found!")
}

package nacosfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The naming half of the v2 Open API (Nacos 2.x InstanceControllerV2,
// ServiceControllerV2, HealthControllerV2, ClientInfoControllerV2) and the
// v1 health endpoint, over the same store as v1 HTTP and gRPC.
const (
	OpHTTPV2RegisterInstance   Op = "POST /nacos/v2/ns/instance"
	OpHTTPV2DeregisterInstance Op = "DELETE /nacos/v2/ns/instance"
	OpHTTPV2UpdateInstance     Op = "PUT /nacos/v2/ns/instance"
	OpHTTPV2PatchInstance      Op = "PATCH /nacos/v2/ns/instance"
	OpHTTPV2GetInstance        Op = "GET /nacos/v2/ns/instance"
	OpHTTPV2ListInstances      Op = "GET /nacos/v2/ns/instance/list"
	OpHTTPV2UpdateMetadata     Op = "PUT /nacos/v2/ns/instance/metadata/batch"
	OpHTTPV2DeleteMetadata     Op = "DELETE /nacos/v2/ns/instance/metadata/batch"
	OpHTTPV2Beat               Op = "PUT /nacos/v2/ns/instance/beat"
	OpHTTPV2CreateService      Op = "POST /nacos/v2/ns/service"
	OpHTTPV2DeleteService      Op = "DELETE /nacos/v2/ns/service"
	OpHTTPV2UpdateService      Op = "PUT /nacos/v2/ns/service"
	OpHTTPV2GetService         Op = "GET /nacos/v2/ns/service"
	OpHTTPV2ListServices       Op = "GET /nacos/v2/ns/service/list"
	OpHTTPV2UpdateHealth       Op = "PUT /nacos/v2/ns/health"
	OpHTTPV2UpdateHealthAlias  Op = "PUT /nacos/v2/ns/health/instance"
	OpHTTPV2ListClients        Op = "GET /nacos/v2/ns/client/list"
	OpHTTPV2GetClient          Op = "GET /nacos/v2/ns/client"
	OpHTTPV2ClientPublished    Op = "GET /nacos/v2/ns/client/publish/list"
	OpHTTPV2ClientSubscribed   Op = "GET /nacos/v2/ns/client/subscribe/list"
	OpHTTPV2ServicePublishers  Op = "GET /nacos/v2/ns/client/service/publisher/list"
	OpHTTPV2ServiceSubscribers Op = "GET /nacos/v2/ns/client/service/subscriber/list"
	OpHTTPUpdateHealth         Op = "PUT /nacos/v1/ns/health"
	OpHTTPUpdateHealthInstance Op = "PUT /nacos/v1/ns/health/instance"
)

var httpV2NamingRoutes = []httpRoute{
	{OpHTTPV2RegisterInstance, false, httpV2RegisterInstance},
	{OpHTTPV2DeregisterInstance, false, httpV2DeregisterInstance},
	{OpHTTPV2UpdateInstance, false, httpV2UpdateInstance},
	{OpHTTPV2PatchInstance, false, httpV2PatchInstance},
	{OpHTTPV2GetInstance, false, httpV2GetInstance},
	{OpHTTPV2ListInstances, false, httpV2ListInstances},
	{OpHTTPV2UpdateMetadata, false, httpV2UpdateMetadata},
	{OpHTTPV2DeleteMetadata, false, httpV2DeleteMetadata},
	{OpHTTPV2Beat, false, httpV2Beat},
	{OpHTTPV2CreateService, false, httpV2CreateService},
	{OpHTTPV2DeleteService, false, httpV2DeleteService},
	{OpHTTPV2UpdateService, false, httpV2UpdateService},
	{OpHTTPV2GetService, false, httpV2GetService},
	{OpHTTPV2ListServices, false, httpV2ListServices},
	{OpHTTPV2UpdateHealth, false, httpV2UpdateHealth},
	{OpHTTPV2UpdateHealthAlias, false, httpV2UpdateHealth},
	{OpHTTPV2ListClients, false, httpV2ListClients},
	{OpHTTPV2GetClient, false, httpV2GetClient},
	{OpHTTPV2ClientPublished, false, httpV2ClientPublished},
	{OpHTTPV2ClientSubscribed, false, httpV2ClientSubscribed},
	{OpHTTPV2ServicePublishers, false, httpV2ServicePublishers},
	{OpHTTPV2ServiceSubscribers, false, httpV2ServiceSubscribers},
	{OpHTTPUpdateHealth, false, httpUpdateHealth},
	{OpHTTPUpdateHealthInstance, false, httpUpdateHealth},
}

// weightRange is checkWeight's refusal.
const weightRange = "instance format invalid: The weights range from 0.0 to 10000.0"

// Nacos's v2 ErrorCode messages for the codes the naming API answers.
var v2ErrorMessages = map[int]string{
	10000: "parameter missing",
	10001: "access denied",
	20002: "parameter validate error",
	20004: "resource not found",
	21001: "weight error",
	21002: "instance metadata error",
	21004: "instance error",
	21006: "selector error",
	21007: "service already exist",
	21008: "service not exist",
	21009: "service delete failure",
	22000: "illegal namespace",
	22001: "namespace not exist",
	23000: "illegal state",
	30000: "server error",
}

// v2Error is a NacosApiException: its status, ErrorCode and detail as data.
func v2Error(w http.ResponseWriter, status, code int, detail string) {
	writeResult(w, status, code, v2ErrorMessages[code], detail)
}

// v2Unhandled is NacosApiExceptionHandler's catch-all (conversion and
// binding errors): 500 with the exception text as message and no data.
func v2Unhandled(w http.ResponseWriter, msg string) {
	writeResult(w, http.StatusInternalServerError, 30000, msg, nil)
}

// v2Blank is a form's validate(): a blank field is missing.
func v2Blank(w http.ResponseWriter, q url.Values, typ string, names ...string) bool {
	for _, n := range names {
		if strings.TrimSpace(q.Get(n)) == "" {
			v2Error(w, http.StatusBadRequest, 10000, "Required parameter '"+n+"' type "+typ+" is not present")
			return true
		}
	}
	return false
}

// springBool is Spring's String-to-Boolean conversion.
func springBool(v string) (b, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes", "1":
		return true, true
	case "false", "off", "no", "0":
		return false, true
	}
	return false, false
}

// javaTypes names the Java type of a parameter for conversion errors.
var javaTypes = map[string]string{"int": "java.lang.Integer", "long": "java.lang.Long", "bool": "java.lang.Boolean", "float": "java.lang.Float", "double": "java.lang.Double"}

// v2FormField reads an optional form-bound field (blank is null); a value
// that does not convert is Spring's BindException, answered 500.
func v2FormField(w http.ResponseWriter, q url.Values, form, name, typ string) (v any, present, ok bool) {
	raw := strings.TrimSpace(q.Get(name))
	if raw == "" {
		return nil, false, true
	}
	v, err := convertParam(raw, typ)
	if err != "" {
		v2Unhandled(w, fmt.Sprintf("org.springframework.validation.BeanPropertyBindingResult: 1 errors\nField error in object '%s' on field '%s': rejected value [%s]; default message [Failed to convert property value of type 'java.lang.String' to required type '%s' for property '%s'; nested exception is %s]",
			form, name, q.Get(name), javaTypes[typ], name, err))
		return nil, false, false
	}
	return v, true, true
}

// v2Param reads an optional @RequestParam; a value that does not convert
// is Spring's MethodArgumentTypeMismatchException, answered 500.
func v2Param(w http.ResponseWriter, q url.Values, name, typ string, def any) (any, bool) {
	if !q.Has(name) || (q.Get(name) == "" && typ != "string") {
		return def, true
	}
	v, err := convertParam(q.Get(name), typ)
	if err != "" {
		v2Unhandled(w, fmt.Sprintf("Failed to convert value of type 'java.lang.String' to required type '%s'; nested exception is %s", javaTypes[typ], err))
		return nil, false
	}
	return v, true
}

// v2Required reads a required @RequestParam: absent is
// MissingServletRequestParameterException (400, 10000).
func v2Required(w http.ResponseWriter, q url.Values, name, typ string) (any, bool) {
	if !q.Has(name) {
		simple := strings.TrimPrefix(javaTypes[typ], "java.lang.")
		if simple == "" {
			simple = "String"
		}
		writeResult(w, http.StatusBadRequest, 10000, "parameter missing",
			"Required request parameter '"+name+"' for method parameter type "+simple+" is not present")
		return nil, false
	}
	return v2Param(w, q, name, typ, nil)
}

// convertParam converts like Spring, returning the Java exception text on failure.
func convertParam(raw, typ string) (any, string) {
	switch typ {
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 32)
		if err != nil {
			return nil, `java.lang.NumberFormatException: For input string: "` + raw + `"`
		}
		return int(n), ""
	case "long":
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return nil, `java.lang.NumberFormatException: For input string: "` + raw + `"`
		}
		return n, ""
	case "bool":
		b, ok := springBool(raw)
		if !ok {
			return nil, "java.lang.IllegalArgumentException: Invalid boolean value [" + raw + "]"
		}
		return b, ""
	case "float", "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil {
			return nil, `java.lang.NumberFormatException: For input string: "` + raw + `"`
		}
		return f, ""
	}
	return raw, ""
}

// v2Key is the service of a v2 request: serviceName, groupName, namespaceId.
func v2Key(q url.Values) svcKey {
	return newSvcKey(strings.TrimSpace(q.Get("namespaceId")), strings.TrimSpace(q.Get("groupName")), q.Get("serviceName"))
}

// v2InstanceForm binds and validates an InstanceForm as register, update
// and deregister do: bind, validate, checkWeight, then the metadata.
func v2InstanceForm(w http.ResponseWriter, q url.Values) (*Instance, svcKey, bool) {
	fields := map[string]any{}
	for _, f := range []struct{ name, typ string }{{"port", "int"}, {"healthy", "bool"}, {"weight", "double"}, {"enabled", "bool"}, {"ephemeral", "bool"}} {
		v, present, ok := v2FormField(w, q, "instanceForm", f.name, f.typ)
		if !ok {
			return nil, svcKey{}, false
		}
		if present {
			fields[f.name] = v
		}
	}
	if v2Blank(w, q, "String", "serviceName", "ip") {
		return nil, svcKey{}, false
	}
	if _, ok := fields["port"]; !ok {
		v2Error(w, http.StatusBadRequest, 10000, "Required parameter 'port' type Integer is not present")
		return nil, svcKey{}, false
	}
	in := &Instance{IP: q.Get("ip"), Port: fields["port"].(int), Weight: 1, Healthy: true, Enabled: true, Ephemeral: true,
		Cluster: strings.TrimSpace(q.Get("clusterName"))}
	if in.Cluster == "" {
		in.Cluster = DefaultCluster
	}
	if v, ok := fields["weight"]; ok {
		in.Weight = v.(float64)
	}
	if in.Weight < 0 || in.Weight > 10000 {
		v2Error(w, http.StatusBadRequest, 21001, weightRange)
		return nil, svcKey{}, false
	}
	for name, dst := range map[string]*bool{"healthy": &in.Healthy, "enabled": &in.Enabled, "ephemeral": &in.Ephemeral} {
		if v, ok := fields[name]; ok {
			*dst = v.(bool)
		}
	}
	md, ok := v2Metadata(w, q.Get("metadata"))
	if !ok {
		return nil, svcKey{}, false
	}
	in.Metadata = md
	return in, v2Key(q), true
}

// v2Metadata is UtilsAndCommons.parseMetadata: JSON, else k=v,k=v.
func v2Metadata(w http.ResponseWriter, s string) (map[string]string, bool) {
	if strings.TrimSpace(s) == "" {
		return map[string]string{}, true
	}
	md, err := parseMetadata(s)
	if err != nil {
		v2Error(w, http.StatusBadRequest, 21002, "metadata format incorrect:"+s)
		return nil, false
	}
	if md == nil {
		md = map[string]string{}
	}
	return md, true
}

// v2StoreError answers a store refusal as the v2 handlers do: an illegal
// instance is a NacosApiException (21004); a service of the other kind is
// a NacosRuntimeException, whose text carries its code.
func v2StoreError(w http.ResponseWriter, e *rpcErr) {
	if strings.HasPrefix(e.msg, "Current service") {
		v2Error(w, http.StatusBadRequest, 30000, fmt.Sprintf("errCode: %d, errMsg: %s ", http.StatusBadRequest, e.msg))
		return
	}
	v2Error(w, http.StatusBadRequest, 21004, e.msg)
}

func httpV2RegisterInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	in, k, ok := v2InstanceForm(w, q)
	if !ok {
		return
	}
	if e := s.registerHTTPInstance(k, in); e != nil {
		v2StoreError(w, e)
		return
	}
	writeSuccess(w, "ok")
}

// httpV2DeregisterInstance removes what the instance's ip:port client
// published for the service, whatever its cluster, as Nacos does.
func httpV2DeregisterInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	in, k, ok := v2InstanceForm(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	_ = s.setOwnerLocked(k, httpOwner(in), nil)
	s.mu.Unlock()
	writeSuccess(w, "ok")
}

// httpV2UpdateInstance sets weight, enabled and metadata of the instance
// at ip:port in the cluster; health is not changed. Nacos keeps the update
// even when no such instance exists yet; the fake drops it then.
func httpV2UpdateInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	upd, k, ok := v2InstanceForm(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil {
		v2Error(w, http.StatusBadRequest, 21004, fmt.Sprintf("service not found, namespace: %s, service: Service{namespace='%s', group='%s', name='%s', ephemeral=%v, revision=0}",
			k.ns, k.ns, k.group, k.name, upd.Ephemeral))
		return
	}
	for _, in := range svc.instances() {
		if in.IP != upd.IP || in.Port != upd.Port || in.Cluster != upd.Cluster {
			continue
		}
		in.Weight, in.Enabled = upd.Weight, upd.Enabled
		if len(upd.Metadata) > 0 && in.Metadata == nil {
			in.Metadata = map[string]string{}
		}
		for mk, mv := range upd.Metadata {
			in.Metadata[mk] = mv
		}
		s.serviceChangedLocked(svc)
		if !in.Ephemeral {
			s.persistOwnerLocked(k, in.Owner)
		}
	}
	writeSuccess(w, "ok")
}

// v2InstanceDetail is InstanceDetailInfoVo, in its field order.
type v2InstanceDetail struct {
	ServiceName string            `json:"serviceName"`
	IP          string            `json:"ip"`
	Port        int               `json:"port"`
	ClusterName string            `json:"clusterName"`
	Weight      float64           `json:"weight"`
	Healthy     bool              `json:"healthy"`
	InstanceID  string            `json:"instanceId"`
	Metadata    map[string]string `json:"metadata"`
}

func httpV2GetInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if v2Missing(w, q, "serviceName", "ip") {
		return
	}
	port, ok := v2Required(w, q, "port", "int")
	if !ok {
		return
	}
	k := v2Key(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.v2InstanceLocked(w, k, q.Get("clusterName"), q.Get("ip"), port.(int))
	if in == nil {
		return
	}
	md := in.Metadata
	if md == nil {
		md = map[string]string{}
	}
	writeSuccess(w, v2InstanceDetail{k.grouped(), in.IP, in.Port, in.Cluster, in.Weight, in.Healthy, in.InstanceID, md})
}

// v2InstanceLocked finds the instance at ip:port in cluster (empty is
// DEFAULT, as Spring's defaultValue), else answers Nacos's 404s.
func (s *Server) v2InstanceLocked(w http.ResponseWriter, k svcKey, cluster, ip string, port int) *Instance {
	if cluster == "" {
		cluster = DefaultCluster
	}
	var all []*Instance
	if svc := s.services[k]; svc != nil {
		all = svc.instances()
	}
	if len(all) == 0 {
		v2Error(w, http.StatusNotFound, 20004, "no ips found for cluster "+cluster+" in service "+k.grouped())
		return nil
	}
	for _, in := range all {
		if in.Cluster == cluster && in.IP == ip && in.Port == port {
			return in
		}
	}
	v2Error(w, http.StatusNotFound, 20004, "no matched ip found!")
	return nil
}

// httpV2PatchInstance is InstanceControllerV2.patch: every parameter is
// required (Spring's @RequestParam), serviceName is group@@name, and the
// answer is a bare "ok". Metadata (when not blank) replaces, weight and
// enabled are set.
func httpV2PatchInstance(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	vals := map[string]any{}
	for _, p := range []struct{ name, typ string }{{"serviceName", "string"}, {"ip", "string"}, {"port", "int"},
		{"weight", "double"}, {"enabled", "bool"}, {"metadata", "string"}} {
		v, ok := v2Required(w, q, p.name, p.typ)
		if !ok {
			return
		}
		vals[p.name] = v
	}
	if !v2GroupedName(w, q.Get("serviceName")) {
		return
	}
	var md map[string]string
	if strings.TrimSpace(q.Get("metadata")) != "" {
		var ok bool
		if md, ok = v2Metadata(w, q.Get("metadata")); !ok {
			return
		}
	}
	weight := vals["weight"].(float64)
	if weight < 0 || weight > 10000 {
		v2Error(w, http.StatusBadRequest, 21001, weightRange)
		return
	}
	k, _ := httpSvcKey(url.Values{"serviceName": {q.Get("serviceName")}, "namespaceId": {q.Get("namespaceId")}})
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.v2InstanceLocked(w, k, q.Get("cluster"), q.Get("ip"), vals["port"].(int))
	if in == nil {
		return
	}
	if md != nil {
		in.Metadata = md
	}
	in.Weight, in.Enabled = weight, vals["enabled"].(bool)
	s.serviceChangedLocked(s.services[k])
	if !in.Ephemeral {
		s.persistOwnerLocked(k, in.Owner)
	}
	writeText(w, http.StatusOK, "ok")
}

// httpV2ListInstances answers the ServiceInfo of enabled instances, named
// group@@service. (A positive port would subscribe ip:port to UDP pushes
// for known SDK user agents; the fake does not.)
func httpV2ListInstances(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if v2Missing(w, q, "serviceName") {
		return
	}
	if _, ok := v2Param(w, q, "port", "int", 0); !ok {
		return
	}
	healthyOnly, ok := v2Param(w, q, "healthyOnly", "bool", false)
	if !ok {
		return
	}
	k := v2Key(q)
	s.mu.Lock()
	info := s.serviceInfoForLocked(k, k.grouped(), q.Get("clusterName"), healthyOnly.(bool))
	s.mu.Unlock()
	writeSuccess(w, info)
}

// batchInstance is an entry of the metadata batch's instances JSON.
type batchInstance struct {
	IP          string `json:"ip"`
	Port        int    `json:"port"`
	ClusterName string `json:"clusterName"`
	Ephemeral   *bool  `json:"ephemeral"`
}

func httpV2UpdateMetadata(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	httpV2BatchMetadata(s, w, q, func(md, change map[string]string) {
		for k, v := range change {
			md[k] = v
		}
	})
}

func httpV2DeleteMetadata(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	httpV2BatchMetadata(s, w, q, func(md, change map[string]string) {
		for k := range change {
			delete(md, k)
		}
	})
}

// httpV2BatchMetadata applies op to the metadata of the listed instances
// (all the service's instances when the list is absent or unreadable, as
// in Nacos) and answers {"updated":["ip:port:unknown:cluster:ephemeral"]}.
func httpV2BatchMetadata(s *Server, w http.ResponseWriter, q url.Values, op func(md, change map[string]string)) {
	if v2Blank(w, q, "String", "serviceName", "metadata") {
		return
	}
	var targets []batchInstance
	_ = json.Unmarshal([]byte(q.Get("instances")), &targets) // Nacos logs and ignores a bad list
	change, ok := v2Metadata(w, q.Get("metadata"))
	if !ok {
		return
	}
	k := v2Key(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	updated := []string{}
	svc := s.services[k]
	if svc == nil {
		writeSuccess(w, map[string]any{"updated": updated})
		return
	}
	apply := func(in *Instance, ephemeral bool) {
		if in.Metadata == nil {
			in.Metadata = map[string]string{}
		}
		op(in.Metadata, change)
		if !in.Ephemeral {
			s.persistOwnerLocked(k, in.Owner)
		}
		kind := "ephemeral"
		if !ephemeral {
			kind = "persist"
		}
		updated = append(updated, fmt.Sprintf("%s:%d:unknown:%s:%s", in.IP, in.Port, in.Cluster, kind))
	}
	all := svc.instances()
	if len(targets) == 0 {
		for _, in := range all {
			apply(in, in.Ephemeral)
		}
	}
	for _, t := range targets {
		cluster := strings.TrimSpace(t.ClusterName)
		if cluster == "" {
			cluster = DefaultCluster
		}
		for _, in := range all {
			if in.IP == t.IP && in.Port == t.Port && in.Cluster == cluster {
				apply(in, t.Ephemeral == nil || *t.Ephemeral) // the listed entry's flag, default true
				break
			}
		}
	}
	if len(updated) > 0 {
		s.serviceChangedLocked(svc)
	}
	writeSuccess(w, map[string]any{"updated": updated})
}

// httpV2Beat is the v1 beat behind v2 checks; like v1 it answers the bare
// {"clientBeatInterval","code","lightBeatEnabled"} object, no envelope.
func httpV2Beat(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	if v2Missing(w, q, "serviceName") {
		return
	}
	if _, ok := v2Param(w, q, "port", "int", 0); !ok {
		return
	}
	if v2GroupedName(w, q.Get("serviceName")) {
		httpBeat(s, w, r, q)
	}
}

// v2GroupedName is NamingUtils.checkServiceNameFormat: group@@name, or a
// 400 IllegalArgumentException.
func v2GroupedName(w http.ResponseWriter, name string) bool {
	group, _, ok := strings.Cut(name, "@@")
	switch {
	case !ok:
		v2Error(w, http.StatusBadRequest, 20002, "Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'")
		return false
	case group == "":
		v2Error(w, http.StatusBadRequest, 20002, "Param 'serviceName' is illegal, groupName can't be empty")
		return false
	}
	return true
}

// ---- services ----

// v2ServiceForm binds and validates a ServiceForm: blank metadata and
// threshold are empty and 0, so an update replaces both.
func v2ServiceForm(w http.ResponseWriter, q url.Values) (k svcKey, md map[string]string, threshold float64, ephemeral, ok bool) {
	pt, hasPT, ok := v2FormField(w, q, "serviceForm", "protectThreshold", "float")
	if !ok {
		return k, nil, 0, false, false
	}
	eph, hasEph, ok := v2FormField(w, q, "serviceForm", "ephemeral", "bool")
	if !ok || v2Blank(w, q, "String", "serviceName") {
		return k, nil, 0, false, false
	}
	if hasPT {
		threshold = pt.(float64)
	}
	if hasEph {
		ephemeral = eph.(bool)
	}
	if sel := strings.TrimSpace(q.Get("selector")); sel != "" && !noneSelector(sel) {
		// The fake selects no instances by label: only the "none"
		// selector is accepted, others get Nacos's unknown-type answer.
		v2Error(w, http.StatusBadRequest, 21006, "not match any type of selector!")
		return k, nil, 0, false, false
	}
	if md, ok = v2Metadata(w, q.Get("metadata")); !ok {
		return k, nil, 0, false, false
	}
	return v2Key(q), md, threshold, ephemeral, true
}

func noneSelector(sel string) bool {
	if d, err := url.QueryUnescape(sel); err == nil {
		sel = d
	}
	var v struct {
		Type string `json:"type"`
	}
	return json.Unmarshal([]byte(sel), &v) == nil && v.Type == "none"
}

func httpV2CreateService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, md, threshold, ephemeral, ok := v2ServiceForm(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.services[k] != nil {
		v2Error(w, http.StatusBadRequest, 21007, "specified service "+k.grouped()+" already exists!")
		return
	}
	svc := s.serviceLocked(k, true)
	svc.explicit, svc.metadata, svc.protectThreshold = true, md, threshold
	svc.declaredEphemeral = &ephemeral
	s.persistServiceLocked(k)
	writeSuccess(w, "ok")
}

func httpV2UpdateService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	k, md, threshold, _, ok := v2ServiceForm(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil {
		v2Error(w, http.StatusBadRequest, 21008, "service "+k.grouped()+" not found!")
		return
	}
	svc.explicit, svc.metadata, svc.protectThreshold = true, md, threshold
	s.serviceChangedLocked(svc)
	s.persistServiceLocked(k)
	writeSuccess(w, "ok")
}

func httpV2DeleteService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if v2Missing(w, q, "serviceName") {
		return
	}
	k := v2Key(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	switch {
	case svc == nil:
		v2Error(w, http.StatusBadRequest, 21008, "service "+k.grouped()+" not found!")
		return
	case len(svc.owners) > 0:
		v2Error(w, http.StatusBadRequest, 21009, "Service "+k.grouped()+" is not empty, can't be delete. Please unregister instance first")
		return
	}
	svc.explicit, svc.declaredEphemeral = false, nil
	s.gcServiceLocked(svc)
	s.persistServiceLocked(k)
	writeSuccess(w, "ok")
}

// v2ServiceDetail is ServiceDetailInfo, in its field order.
type v2ServiceDetail struct {
	Namespace        string                   `json:"namespace"`
	ServiceName      string                   `json:"serviceName"`
	GroupName        string                   `json:"groupName"`
	ClusterMap       map[string]v2ClusterInfo `json:"clusterMap"`
	Metadata         map[string]string        `json:"metadata"`
	ProtectThreshold float64                  `json:"protectThreshold"`
	Selector         v2Selector               `json:"selector"`
	Ephemeral        bool                     `json:"ephemeral"`
}

// v2Selector is the NoneSelector as Jackson writes it.
type v2Selector struct {
	Type        string `json:"type"`
	ContextType string `json:"contextType"`
}

// v2ClusterInfo is ClusterInfo with default cluster metadata (TCP checks).
type v2ClusterInfo struct {
	ClusterName   string            `json:"clusterName"`
	HealthChecker map[string]string `json:"healthChecker"`
	Metadata      map[string]string `json:"metadata"`
	Hosts         []any             `json:"hosts"` // always null here
}

func httpV2GetService(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if v2Missing(w, q, "serviceName") {
		return
	}
	k := v2Key(q)
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[k]
	if svc == nil {
		v2Error(w, http.StatusBadRequest, 21008, "service not found, namespace: "+k.ns+", serviceName: "+k.grouped())
		return
	}
	d := v2ServiceDetail{Namespace: k.ns, ServiceName: k.name, GroupName: k.group, ClusterMap: map[string]v2ClusterInfo{},
		Metadata: svc.metadata, ProtectThreshold: svc.protectThreshold,
		Selector: v2Selector{"none", "NONE"}, Ephemeral: svc.ephemeral()}
	if d.Metadata == nil {
		d.Metadata = map[string]string{}
	}
	for _, in := range svc.instances() {
		d.ClusterMap[in.Cluster] = v2ClusterInfo{in.Cluster, map[string]string{"type": "TCP"}, map[string]string{}, nil}
	}
	writeSuccess(w, d)
}

func httpV2ListServices(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	pageNo, ok := v2Param(w, q, "pageNo", "int", 1)
	if !ok {
		return
	}
	pageSize, ok := v2Param(w, q, "pageSize", "int", 20)
	if !ok {
		return
	}
	s.mu.Lock()
	count, names := s.serviceListLocked(q.Get("namespaceId"), q.Get("groupName"), max(pageNo.(int), 1), min(pageSize.(int), 500))
	s.mu.Unlock()
	writeSuccess(w, map[string]any{"count": count, "services": names})
}

// ---- health ----

// httpUpdateHealth is v1 PUT /ns/health: Nacos changes the health of a
// persistent instance only in a cluster whose health checker is NONE. The
// fake's clusters all check by TCP (it has no cluster API), so once the
// parameters are good the answer is always Nacos's refusal.
func httpUpdateHealth(_ *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if strings.TrimSpace(q.Get("healthy")) == "" && strings.TrimSpace(q.Get("valid")) == "" {
		writeText(w, http.StatusBadRequest, "Param 'healthy' is required.")
		return
	}
	for _, n := range []string{"serviceName", "ip", "port"} {
		if strings.TrimSpace(q.Get(n)) == "" {
			writeText(w, http.StatusBadRequest, paramRequired(n))
			return
		}
	}
	if _, err := strconv.ParseInt(q.Get("port"), 10, 32); err != nil {
		writeText(w, http.StatusBadRequest, `For input string: "`+q.Get("port")+`"`)
		return
	}
	cluster := q.Get("clusterName")
	if cluster == "" {
		cluster = DefaultCluster
	}
	writeText(w, http.StatusBadRequest, healthCheckRunning(q.Get("serviceName"), cluster))
}

func healthCheckRunning(service, cluster string) string {
	return "health check is still working, service: " + service + ", cluster: " + cluster
}

// httpV2UpdateHealth is the v2 form of httpUpdateHealth.
func httpV2UpdateHealth(_ *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if _, _, ok := v2FormField(w, q, "updateHealthForm", "port", "int"); !ok {
		return
	}
	if _, _, ok := v2FormField(w, q, "updateHealthForm", "healthy", "bool"); !ok {
		return
	}
	if v2Blank(w, q, "Boolean", "healthy") || v2Blank(w, q, "String", "serviceName", "ip") || v2Blank(w, q, "Integer", "port") {
		return
	}
	cluster := strings.TrimSpace(q.Get("clusterName"))
	if cluster == "" {
		cluster = DefaultCluster
	}
	v2Error(w, http.StatusBadRequest, 30000, healthCheckRunning(v2Key(q).grouped(), cluster))
}

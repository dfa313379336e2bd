package nacosfake

import (
	"net/http"
	"net/url"
)

// The v2 Open API (Nacos 2.x): the same stores behind the Result envelope
// {"code":0,"message":"success","data":...}. Error codes are Nacos's
// ErrorCode values: 10000 parameter missing, 20002 parameter validate
// error, 20004 resource not found.
const (
	OpHTTPV2GetConfig     Op = "GET /nacos/v2/cs/config"
	OpHTTPV2PublishConfig Op = "POST /nacos/v2/cs/config"
	OpHTTPV2DeleteConfig  Op = "DELETE /nacos/v2/cs/config"
	OpHTTPV2Liveness      Op = "GET /nacos/v2/console/health/liveness"
	OpHTTPV2Readiness     Op = "GET /nacos/v2/console/health/readiness"
)

var httpV2Routes = []httpRoute{
	{OpHTTPV2GetConfig, false, httpV2GetConfig},
	{OpHTTPV2PublishConfig, false, httpV2PublishConfig},
	{OpHTTPV2DeleteConfig, false, httpV2DeleteConfig},
	{OpHTTPV2Liveness, true, httpV2OK},
	{OpHTTPV2Readiness, true, httpV2OK},
}

func writeResult(w http.ResponseWriter, status, code int, msg string, data any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	writeJSON(w, v2Result{code, msg, data})
}

// v2Result keeps Nacos's field order (Jackson writes declaration order).
type v2Result struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

func writeSuccess(w http.ResponseWriter, data any) { writeResult(w, 200, 0, "success", data) }

// v2Missing answers 400 code 10000 for the first absent parameter, with
// Spring's MissingServletRequestParameterException text as data.
func v2Missing(w http.ResponseWriter, q url.Values, names ...string) bool {
	for _, n := range names {
		if !q.Has(n) {
			writeResult(w, http.StatusBadRequest, 10000, "parameter missing",
				"Required request parameter '"+n+"' for method parameter type String is not present")
			return true
		}
	}
	return false
}

// v2FormMissing is ConfigForm.validate's answer for a blank field.
func v2FormMissing(w http.ResponseWriter, q url.Values, names ...string) bool {
	for _, n := range names {
		if q.Get(n) == "" {
			writeResult(w, http.StatusBadRequest, 10000, "parameter missing",
				"Required parameter '"+n+"' type String is not present")
			return true
		}
	}
	return false
}

// v2Namespace is namespaceId, or the older tenant.
func v2Namespace(q url.Values) string {
	if ns := q.Get("namespaceId"); ns != "" {
		return ns
	}
	return q.Get("tenant")
}

func httpV2GetConfig(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	if v2Missing(w, q, "dataId", "group") {
		return
	}
	if e := s.checkConfigParams(q.Get("dataId"), q.Get("group"), "", false); e != nil {
		writeResult(w, e.code, 20002, "parameter validate error", e.msg)
		return
	}
	c, _, ok := s.readConfig(v2Namespace(q), q.Get("group"), q.Get("dataId"), remoteIP(r), httpTag(r, q))
	if !ok {
		writeResult(w, http.StatusNotFound, 20004, "resource not found", "config data not exist")
		return
	}
	writeSuccess(w, c.Content)
}

func httpV2PublishConfig(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	if v2FormMissing(w, q, "dataId", "group", "content") {
		return
	}
	dataID, group, content := q.Get("dataId"), q.Get("group"), q.Get("content")
	if e := s.checkConfigParams(dataID, group, content, true); e != nil {
		writeResult(w, e.code, 20002, "parameter validate error", e.msg)
		return
	}
	if betaIPs, tag := r.Header.Get("betaIps"), q.Get("tag"); betaIPs != "" || tag != "" {
		s.publishGray(Config{Tenant: v2Namespace(q), Group: group, DataID: dataID, Content: content,
			Type: q.Get("type"), AppName: q.Get("appName"), EncryptedDataKey: q.Get("encryptedDataKey")}, betaIPs, tag)
		writeSuccess(w, true)
		return
	}
	cas := r.Header.Get("casMd5")
	s.mu.Lock()
	err := s.publishLocked(Config{Tenant: v2Namespace(q), Group: group, DataID: dataID, Content: content,
		Type: q.Get("type"), AppName: q.Get("appName"), EncryptedDataKey: q.Get("encryptedDataKey"),
		srcIP: remoteIP(r), srcUser: srcUser(q.Get("srcUser"), q, r)}, cas, cas != "")
	s.mu.Unlock()
	if err != nil {
		writeResult(w, err.code, 30000, "server error", err.msg)
		return
	}
	writeSuccess(w, true)
}

func httpV2DeleteConfig(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if v2Missing(w, q, "dataId", "group") {
		return
	}
	if e := s.checkConfigParams(q.Get("dataId"), q.Get("group"), "", false); e != nil {
		writeResult(w, e.code, 20002, "parameter validate error", e.msg)
		return
	}
	if tag := q.Get("tag"); tag != "" {
		s.mu.Lock()
		s.removeTagLocked(newConfigKey(v2Namespace(q), q.Get("group"), q.Get("dataId")), tag)
		s.mu.Unlock()
		writeSuccess(w, true)
		return
	}
	s.DeleteConfig(v2Namespace(q), q.Get("group"), q.Get("dataId"))
	writeSuccess(w, true)
}

func httpV2OK(_ *Server, w http.ResponseWriter, _ *http.Request, _ url.Values) { writeSuccess(w, "ok") }

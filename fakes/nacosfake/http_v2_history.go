package nacosfake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The v2 config history API (HistoryControllerV2) over the history the
// store keeps (config_history.go).
const (
	OpHTTPV2GetHistory      Op = "GET /nacos/v2/cs/history"
	OpHTTPV2ListHistory     Op = "GET /nacos/v2/cs/history/list"
	OpHTTPV2PreviousHistory Op = "GET /nacos/v2/cs/history/previous"
	OpHTTPV2HistoryConfigs  Op = "GET /nacos/v2/cs/history/configs"
)

var httpV2HistoryRoutes = []httpRoute{
	{OpHTTPV2GetHistory, false, httpV2GetHistory},
	{OpHTTPV2ListHistory, false, httpV2ListHistory},
	{OpHTTPV2PreviousHistory, false, httpV2PreviousHistory},
	{OpHTTPV2HistoryConfigs, false, httpV2HistoryConfigs},
}

// processNamespace is NamespaceUtil.processNamespaceParameter: blank,
// "public" and "null" (any case) are the default namespace "".
func processNamespace(ns string) string {
	if t := strings.TrimSpace(ns); t == "" || strings.EqualFold(t, "public") || strings.EqualFold(t, "null") {
		return ""
	}
	return strings.TrimSpace(ns)
}

// v2Params reads @RequestParam values of the given Java types ("String",
// "Long", "Integer"); a missing one is Spring's
// MissingServletRequestParameterException (400, code 10000), a malformed
// number its MethodArgumentTypeMismatchException, which the v2 exception
// handler answers as a generic 500 (code 30000). Optional parameters are
// named with a trailing "?".
func v2Params(w http.ResponseWriter, q url.Values, spec ...string) (map[string]string, map[string]int64, bool) {
	strs, nums := map[string]string{}, map[string]int64{}
	for i := 0; i+1 < len(spec); i += 2 {
		name, typ := spec[i], spec[i+1]
		name, optional := strings.CutSuffix(name, "?")
		if !q.Has(name) {
			if !optional {
				writeResult(w, http.StatusBadRequest, 10000, "parameter missing",
					"Required request parameter '"+name+"' for method parameter type "+typ+" is not present")
				return nil, nil, false
			}
			continue
		}
		v := q.Get(name)
		if typ == "String" {
			strs[name] = v
			continue
		}
		bits := 64
		if typ == "Integer" {
			bits = 32
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
		if err != nil && strings.TrimSpace(v) != "" {
			writeResult(w, http.StatusInternalServerError, 30000, "Failed to convert value of type 'java.lang.String' to required type 'java.lang."+
				typ+"'; nested exception is java.lang.NumberFormatException: For input string: \""+v+"\"", nil)
			return nil, nil, false
		}
		if err != nil { // Spring converts "" to null: a missing value
			if !optional {
				writeResult(w, http.StatusBadRequest, 10000, "parameter missing",
					"Required request parameter '"+name+"' for method parameter type "+typ+" is present but converted to null")
				return nil, nil, false
			}
			continue
		}
		nums[name] = n
	}
	return strs, nums, true
}

// historyCheck is HistoryService's check that a row belongs to the
// requested config; it answers the AccessException's 403 when not.
func historyCheck(w http.ResponseWriter, h *historyEntry, dataID, group, ns string) bool {
	if h.dataID != dataID || h.group != group || h.tenant != ns {
		writeResult(w, http.StatusForbidden, 10001, "access denied", "Please check dataId, group or namespaceId.")
		return false
	}
	return true
}

func httpV2GetHistory(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	httpV2HistoryRow(s, w, q, "nid", func(h *historyEntry) int64 { return h.nid })
}

// httpV2PreviousHistory answers the newest row of a config id.
func httpV2PreviousHistory(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	httpV2HistoryRow(s, w, q, "id", func(h *historyEntry) int64 { return h.id })
}

// httpV2HistoryRow answers the newest row whose key equals the Long
// parameter param, or a null data when there is none.
func httpV2HistoryRow(s *Server, w http.ResponseWriter, q url.Values, param string, key func(*historyEntry) int64) {
	p, n, ok := v2Params(w, q, "dataId", "String", "group", "String", param, "Long")
	if !ok {
		return
	}
	ns := processNamespace(q.Get("namespaceId"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.history) - 1; i >= 0; i-- {
		if h := s.history[i]; key(h) == n[param] {
			if historyCheck(w, h, p["dataId"], p["group"], ns) {
				writeSuccess(w, h.historyJSON(true))
			}
			return
		}
	}
	writeSuccess(w, nil)
}

func httpV2ListHistory(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	p, n, ok := v2Params(w, q, "dataId", "String", "group", "String", "pageNo?", "Integer", "pageSize?", "Integer")
	if !ok {
		return
	}
	pageNo, pageSize := int64(1), int64(100)
	if v, ok := n["pageNo"]; ok {
		pageNo = v
	}
	if v, ok := n["pageSize"]; ok {
		pageSize = min(v, 500)
	}
	if pageNo <= 0 || pageSize <= 0 {
		writeResult(w, http.StatusBadRequest, 20002, "parameter validate error", "pageNo and pageSize must be greater than zero")
		return
	}
	ns := processNamespace(q.Get("namespaceId"))
	s.mu.Lock()
	var rows []*historyEntry
	for i := len(s.history) - 1; i >= 0; i-- { // ORDER BY nid DESC
		if h := s.history[i]; h.dataID == p["dataId"] && h.group == p["group"] && h.tenant == ns {
			rows = append(rows, h)
		}
	}
	s.mu.Unlock()
	total := int64(len(rows))
	pages := (total + pageSize - 1) / pageSize
	items := []map[string]any{}
	if pageNo <= pages {
		for _, h := range rows[(pageNo-1)*pageSize : min(pageNo*pageSize, total)] {
			items = append(items, h.historyJSON(false))
		}
	}
	writeSuccess(w, map[string]any{"totalCount": total, "pageNumber": pageNo, "pagesAvailable": pages, "pageItems": items})
}

func httpV2HistoryConfigs(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	p, _, ok := v2Params(w, q, "namespaceId", "String")
	if !ok {
		return
	}
	if t := strings.TrimSpace(p["namespaceId"]); t != "" {
		if !validConfigName.MatchString(t) { // ParamUtils.isValid: letters, digits, _-.:
			writeResult(w, http.StatusBadRequest, 20002, "parameter validate error", "invalid namespaceId")
			return
		}
		if len(p["namespaceId"]) > 128 {
			writeResult(w, http.StatusBadRequest, 20002, "parameter validate error", "too long namespaceId, over 128")
			return
		}
	}
	ns := processNamespace(p["namespaceId"])
	// queryConfigInfoByNamespace selects no id, content or md5.
	out := []map[string]any{}
	for _, c := range s.Configs() {
		if c.Tenant == ns {
			out = append(out, map[string]any{"id": "0", "dataId": c.DataID, "group": c.Group, "content": nil, "md5": nil,
				"encryptedDataKey": nil, "tenant": c.Tenant, "appName": c.AppName, "type": c.Type, "lastModified": c.LastModified})
		}
	}
	writeSuccess(w, out)
}

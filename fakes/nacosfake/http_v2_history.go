package nacosfake

import (
	"net/http"
	"net/url"
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

// historyCheck is HistoryService's check that a row belongs to the
// requested config; it answers the AccessException's 403 when not.
func historyCheck(w http.ResponseWriter, h *historyEntry, dataID, group, ns string) bool {
	if h.dataID != dataID || h.group != group || h.tenant != ns {
		v2Error(w, http.StatusForbidden, 10001, "Please check dataId, group or namespaceId.")
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
	p, ok := v2RequiredAll(w, q, "dataId", "group")
	if !ok {
		return
	}
	v, ok := v2Required(w, q, param, "long")
	if !ok {
		return
	}
	if v == nil { // Spring converts "" to null
		v2Error(w, http.StatusBadRequest, 10000,
			"Required request parameter '"+param+"' for method parameter type Long is present but converted to null")
		return
	}
	ns := processNamespace(q.Get("namespaceId"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.history) - 1; i >= 0; i-- {
		if h := s.history[i]; key(h) == v.(int64) {
			if historyCheck(w, h, p["dataId"], p["group"], ns) {
				writeSuccess(w, h.historyJSON(true))
			}
			return
		}
	}
	writeSuccess(w, nil)
}

func httpV2ListHistory(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	p, ok := v2RequiredAll(w, q, "dataId", "group")
	if !ok {
		return
	}
	no, ok := v2Param(w, q, "pageNo", "int", 1)
	if !ok {
		return
	}
	size, ok := v2Param(w, q, "pageSize", "int", 100)
	if !ok {
		return
	}
	pageNo, pageSize := int64(no.(int)), int64(min(size.(int), 500))
	if pageNo <= 0 || pageSize <= 0 {
		v2Error(w, http.StatusBadRequest, 20002, "pageNo and pageSize must be greater than zero")
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
	p, ok := v2RequiredAll(w, q, "namespaceId")
	if !ok {
		return
	}
	if t := strings.TrimSpace(p["namespaceId"]); t != "" {
		if !validConfigName.MatchString(t) { // ParamUtils.isValid: letters, digits, _-.:
			v2Error(w, http.StatusBadRequest, 20002, "invalid namespaceId")
			return
		}
		if len(p["namespaceId"]) > 128 {
			v2Error(w, http.StatusBadRequest, 20002, "too long namespaceId, over 128")
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

// v2RequiredAll reads required String @RequestParams.
func v2RequiredAll(w http.ResponseWriter, q url.Values, names ...string) (map[string]string, bool) {
	out := map[string]string{}
	for _, n := range names {
		v, ok := v2Required(w, q, n, "string")
		if !ok {
			return nil, false
		}
		out[n] = v.(string)
	}
	return out, true
}

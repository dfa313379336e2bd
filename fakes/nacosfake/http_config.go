package nacosfake

import (
	"hash/fnv"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

func httpGetConfig(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	if mode := q.Get("search"); mode != "" {
		if !missingParam(w, q, "dataId", "group", "pageNo", "pageSize") {
			httpSearchConfig(s, w, q, mode == "blur")
		}
		return
	}
	if missingParam(w, q, "dataId", "group") {
		return
	}
	dataID, group := q.Get("dataId"), q.Get("group")
	if q.Get("beta") == "true" {
		httpQueryBeta(s, w, q)
		return
	}
	if q.Get("show") == "all" {
		httpConfigAllInfo(s, w, q)
		return
	}
	if e := s.checkConfigParams(dataID, group, "", false); e != nil {
		writeText(w, e.code, e.msg)
		return
	}
	c, beta, ok := s.readConfig(q.Get("tenant"), group, dataID, remoteIP(r), httpTag(r, q))
	if !ok {
		writeText(w, http.StatusNotFound, "config data not exist\n")
		return
	}
	h := w.Header()
	if beta {
		h.Set("isBeta", "true")
	}
	h.Set("Content-MD5", c.MD5)
	h.Set("Config-Type", c.Type)
	h.Set("Last-Modified", time.UnixMilli(c.LastModified).UTC().Format(http.TimeFormat))
	h.Set("Pragma", "no-cache")
	if c.EncryptedDataKey != "" {
		h.Set("Encrypted-Data-Key", c.EncryptedDataKey)
	}
	ct := "text/plain;charset=UTF-8"
	switch c.Type {
	case "json":
		ct = "application/json;charset=UTF-8"
	case "xml":
		ct = "application/xml;charset=UTF-8"
	case "html":
		ct = "text/html;charset=UTF-8"
	}
	h.Set("Content-Type", ct)
	_, _ = w.Write([]byte(c.Content))
}

func httpSearchConfig(s *Server, w http.ResponseWriter, q url.Values, blur bool) {
	pageNo, _ := strconv.Atoi(q.Get("pageNo"))
	pageSize, _ := strconv.Atoi(q.Get("pageSize"))
	pageNo, pageSize = max(pageNo, 1), max(pageSize, 1)
	dataID, group, tenant := q.Get("dataId"), q.Get("group"), normTenant(q.Get("tenant"))
	match := func(pattern, v string) bool {
		if pattern == "" {
			return true
		}
		if blur {
			ok, _ := path.Match(strings.ReplaceAll(pattern, "/", ""), v)
			return ok
		}
		return pattern == v
	}
	var items []map[string]any
	for _, c := range s.Configs() {
		if c.Tenant == tenant && match(dataID, c.DataID) && match(group, c.Group) {
			items = append(items, map[string]any{"id": configID(c), "dataId": c.DataID, "group": c.Group,
				"content": c.Content, "md5": c.MD5, "tenant": c.Tenant, "appName": c.AppName, "type": c.Type})
		}
	}
	total := len(items)
	start := min((pageNo-1)*pageSize, total)
	end := min(start+pageSize, total)
	page := items[start:end]
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, map[string]any{"totalCount": total, "pageNumber": pageNo,
		"pagesAvailable": (total + pageSize - 1) / pageSize, "pageItems": page})
}

func httpPublishConfig(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	if missingParam(w, q, "dataId", "group", "content") {
		return
	}
	dataID, group, content := q.Get("dataId"), q.Get("group"), q.Get("content")
	if e := s.checkConfigParams(dataID, group, content, true); e != nil {
		writeText(w, e.code, e.msg)
		return
	}
	if betaIPs, tag := r.Header.Get("betaIps"), q.Get("tag"); betaIPs != "" || tag != "" {
		s.publishGray(Config{Tenant: q.Get("tenant"), Group: group, DataID: dataID, Content: content,
			Type: q.Get("type"), AppName: q.Get("appName"), EncryptedDataKey: q.Get("encryptedDataKey")}, betaIPs, tag)
		writeText(w, 200, "true")
		return
	}
	cas := r.Header.Get("casMd5")
	s.mu.Lock()
	err := s.publishLocked(Config{Tenant: q.Get("tenant"), Group: group, DataID: dataID, Content: content,
		Type: q.Get("type"), AppName: q.Get("appName"), EncryptedDataKey: q.Get("encryptedDataKey"),
		srcIP: remoteIP(r), srcUser: srcUser(q.Get("src_user"), q, r)}, cas, cas != "")
	s.mu.Unlock()
	if err != nil {
		writeText(w, err.code, err.msg)
		return
	}
	writeText(w, 200, "true")
}

func httpDeleteConfig(s *Server, w http.ResponseWriter, _ *http.Request, q url.Values) {
	if missingParam(w, q, "dataId", "group") {
		return
	}
	dataID, group := q.Get("dataId"), q.Get("group")
	if e := s.checkConfigParams(dataID, group, "", false); e != nil {
		writeText(w, e.code, e.msg)
		return
	}
	k := newConfigKey(q.Get("tenant"), group, dataID)
	switch {
	case q.Get("beta") == "true": // ConfigController.stopBeta
		s.mu.Lock()
		s.removeBetaLocked(k)
		s.mu.Unlock()
		writeJSON(w, v2Result{200, "stop beta ok", true})
		return
	case q.Get("tag") != "":
		s.mu.Lock()
		s.removeTagLocked(k, q.Get("tag"))
		s.mu.Unlock()
		writeText(w, 200, "true")
		return
	}
	s.DeleteConfig(q.Get("tenant"), group, dataID)
	writeText(w, 200, "true")
}

// missingParam answers Nacos's 400 for the first absent required
// parameter (Spring's MissingServletRequestParameterException, turned into
// text by Nacos's ResponseExceptionHandler) and reports whether it did.
// An empty value is present; the endpoint's own checks judge it.
func missingParam(w http.ResponseWriter, q url.Values, names ...string) bool {
	for _, n := range names {
		if !q.Has(n) {
			writeText(w, http.StatusBadRequest, "Parameter '"+n+"' is missing")
			return true
		}
	}
	return false
}

// configID is a config's id in search results and ConfigAllInfo: a
// decimal string like Nacos's, stable while the config exists (derived
// from its key, so a config deleted and published again keeps it, where
// Nacos would give a new one).
func configID(c Config) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(normTenant(c.Tenant) + "\x00" + c.Group + "\x00" + c.DataID))
	return strconv.FormatUint(h.Sum64()>>1, 10)
}

// httpConfigAllInfo answers GET ...?show=all: the ConfigAllInfo JSON, or
// an empty 200 for a missing config (the controller returns null).
func httpConfigAllInfo(s *Server, w http.ResponseWriter, q url.Values) {
	c, ok := s.GetConfig(q.Get("tenant"), q.Get("group"), q.Get("dataId"))
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	// The fake keeps one timestamp: createTime is the last modification.
	writeJSON(w, map[string]any{"id": configID(c), "dataId": c.DataID, "group": c.Group, "content": c.Content,
		"md5": c.MD5, "encryptedDataKey": c.EncryptedDataKey, "tenant": c.Tenant, "appName": c.AppName, "type": c.Type,
		"createTime": c.LastModified, "modifyTime": c.LastModified, "createUser": nil, "createIp": nil,
		"desc": nil, "use": nil, "effect": nil, "schema": nil, "configTags": nil})
}

// poller is one held HTTP long poll.
type poller struct {
	keys map[configKey]bool
	ch   chan struct{}
	once sync.Once
}

func (p *poller) wants(k configKey) bool { return p.keys[k] }
func (p *poller) fire()                  { p.once.Do(func() { close(p.ch) }) }

type probe struct {
	key            configKey
	dataID, group  string
	tenant, md5    string
	tenantExplicit bool
}

// parseProbe parses Listening-Configs: records end with \x01, fields are
// split by \x02: dataId, group, md5[, tenant].
func parseProbe(s string) ([]probe, bool) {
	var out []probe
	for _, rec := range strings.Split(s, "\x01") {
		if rec == "" {
			continue
		}
		f := strings.Split(rec, "\x02")
		if len(f) != 3 && len(f) != 4 {
			return nil, false
		}
		p := probe{dataID: f[0], group: f[1], md5: f[2]}
		if len(f) == 4 {
			p.tenant, p.tenantExplicit = f[3], true
		}
		p.key = newConfigKey(p.tenant, p.group, p.dataID)
		out = append(out, p)
		if len(out) > 10000 {
			return nil, false
		}
	}
	return out, len(out) > 0
}

func httpListenConfig(s *Server, w http.ResponseWriter, r *http.Request, q url.Values) {
	probes, ok := parseProbe(q.Get("Listening-Configs"))
	if !ok {
		writeText(w, http.StatusBadRequest, "invalid probeModify")
		return
	}
	changed := func() string {
		var sb strings.Builder
		for _, p := range probes {
			if s.configMD5Locked(p.key) != p.md5 {
				sb.WriteString(p.dataID + "\x02" + p.group)
				if p.tenantExplicit {
					sb.WriteString("\x02" + p.tenant)
				}
				sb.WriteString("\x01")
			}
		}
		return sb.String()
	}
	timeout, _ := strconv.Atoi(r.Header.Get("Long-Pulling-Timeout"))
	s.mu.Lock()
	res := changed()
	if res != "" || timeout <= 0 || r.Header.Get("Long-Pulling-Timeout-No-Hangup") == "true" {
		s.mu.Unlock()
		writeText(w, 200, url.QueryEscape(res))
		return
	}
	p := &poller{keys: map[configKey]bool{}, ch: make(chan struct{})}
	for _, pr := range probes {
		p.keys[pr.key] = true
	}
	s.pollers[p] = struct{}{}
	stopping := s.stopping
	s.mu.Unlock()
	hold := max(10*time.Second, time.Duration(timeout-500)*time.Millisecond)
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case <-p.ch:
	case <-t.C:
	case <-r.Context().Done():
	case <-stopping:
	}
	s.mu.Lock()
	delete(s.pollers, p)
	res = changed()
	s.mu.Unlock()
	writeText(w, 200, url.QueryEscape(res))
}

// Pollers reports how many HTTP long polls are being held.
func (s *Server) Pollers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pollers)
}

// httpQueryBeta is ConfigController.queryBeta: the beta as a RestResult,
// data null when there is none.
func httpQueryBeta(s *Server, w http.ResponseWriter, q url.Values) {
	k := newConfigKey(q.Get("tenant"), q.Get("group"), q.Get("dataId"))
	s.mu.Lock()
	var data any
	if g := s.grays[k]; g != nil && g.beta != nil {
		b := g.beta
		data = map[string]any{"id": configID(b.Config), "dataId": b.DataID, "group": b.Group, "content": b.Content,
			"md5": b.MD5, "encryptedDataKey": b.EncryptedDataKey, "tenant": b.Tenant, "appName": b.AppName,
			"type": b.Type, "betaIps": strings.Join(b.BetaIPs, ","), "lastModified": b.LastModified}
	}
	s.mu.Unlock()
	writeJSON(w, v2Result{200, "query beta ok", data})
}

package nacosfake

import (
	"crypto/md5"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
)

// DefaultGroup is the group Nacos uses when none is given.
const DefaultGroup = "DEFAULT_GROUP"

// Config is one stored configuration.
type Config struct {
	Tenant           string `json:"tenant"` // "" is the public namespace
	Group            string `json:"group"`
	DataID           string `json:"dataId"`
	Content          string `json:"content"`
	MD5              string `json:"md5"`
	Type             string `json:"type"`
	AppName          string `json:"appName,omitempty"`
	EncryptedDataKey string `json:"encryptedDataKey,omitempty"`
	LastModified     int64  `json:"lastModified"` // unix millis

	srcIP, srcUser string // who published it, for the history
}

type configKey struct{ tenant, group, dataID string }

func (k configKey) String() string { return k.dataID + "+" + k.group + "+" + k.tenant }

// normTenant maps the spellings of the public namespace to "" like Nacos 2.x.
func normTenant(t string) string {
	if t == "public" || t == "null" {
		return ""
	}
	return t
}

func newConfigKey(tenant, group, dataID string) configKey {
	return configKey{normTenant(tenant), group, dataID}
}

func md5Hex(s string) string {
	if s == "" {
		return ""
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

var validConfigName = regexp.MustCompile(`^[a-zA-Z0-9\-_:.]+$`)

var configTypes = map[string]bool{"properties": true, "xml": true, "json": true, "text": true, "html": true, "yaml": true, "toml": true}

func normType(t string) string {
	t = strings.ToLower(t)
	if !configTypes[t] {
		return "text"
	}
	return t
}

// configErr is a validation or conflict failure with its Nacos code.
type configErr struct {
	code int
	msg  string
}

func (e *configErr) Error() string { return e.msg }

// checkConfigParams mirrors ParamUtils.checkParam(dataId, group, content).
func (s *Server) checkConfigParams(dataID, group, content string, needContent bool) *configErr {
	switch {
	case dataID == "" || !validConfigName.MatchString(dataID) || len(dataID) > 256:
		return &configErr{400, "invalid dataId : " + dataID}
	case group == "" || !validConfigName.MatchString(group) || len(group) > 128:
		return &configErr{400, "invalid group : " + group}
	case needContent && strings.TrimSpace(content) == "":
		return &configErr{400, "content is blank"}
	case len(content) > s.opts.maxContent:
		return &configErr{400, "invalid content, over " + itoa(s.opts.maxContent)}
	}
	return nil
}

// publishLocked stores c, honouring casMd5 when non-empty, and reports
// whether the stored content changed. s.mu must be held.
func (s *Server) publishLocked(c Config, casMd5 string, cas bool) *configErr {
	k := newConfigKey(c.Tenant, c.Group, c.DataID)
	old, ok := s.configs[k]
	if cas && (!ok || old.MD5 != casMd5) {
		return &configErr{500, "Cas publish fail, server md5 may have changed."}
	}
	c.Tenant = k.tenant
	c.MD5 = md5Hex(c.Content)
	c.Type = normType(c.Type)
	c.LastModified = s.now().UnixMilli()
	if ok {
		s.recordHistoryLocked("U", old, c.srcIP, c.srcUser)
	} else {
		s.recordHistoryLocked("I", &c, c.srcIP, c.srcUser)
	}
	s.configs[k] = &c
	s.configChangedLocked(k)
	return nil
}

// removeLocked deletes a config; removing a missing one is not an error.
func (s *Server) removeLocked(k configKey) {
	old, ok := s.configs[k]
	if !ok {
		return
	}
	s.recordHistoryLocked("D", old, "", "")
	delete(s.configs, k)
	s.configChangedLocked(k)
}

// configChangedLocked notifies gRPC listeners and HTTP long polls.
func (s *Server) configChangedLocked(k configKey) {
	s.persistConfigLocked(k)
	for connID, tenant := range s.listeners[k] {
		c := s.conns[connID]
		if c == nil {
			continue
		}
		c.pushAfter("ConfigChangeNotifyRequest", configChangeBody(k, tenant), s.opts.configPushDelay)
		s.awaitSyncLocked(c, k)
	}
	s.hintUnlistenedLocked(k)
	for w := range s.pollers {
		if w.wants(k) {
			w.fire()
			delete(s.pollers, w)
		}
	}
}

// hintUnlistenedLocked also notifies the namespace's config connections
// that have not listened to k yet. nacos-sdk-go v2 only adds a ListenConfig
// to a local cache; its ConfigBatchListenRequest goes out on a 5 s tick
// (executorErrDelay), so against Nacos, which pushes to registered
// listeners only, a change made in those 5 s reaches the callback at the
// tick. A push for a key the SDK caches starts its listen at once; one for
// a key it does not cache is dropped without an ack, so hints are sent
// once and never re-pushed. The client then listens as it would anyway.
func (s *Server) hintUnlistenedLocked(k configKey) {
	if !s.opts.hintUnlistened {
		return
	}
	for id, c := range s.conns {
		if _, listens := s.listeners[k][id]; listens || !c.isSetUp() ||
			c.labels["module"] != "config" || normTenant(c.tenant) != k.tenant {
			continue
		}
		c.pushHint("ConfigChangeNotifyRequest", configChangeBody(k, c.tenant), s.opts.configPushDelay)
	}
}

func (s *Server) configMD5Locked(k configKey) string {
	if c := s.configs[k]; c != nil {
		return c.MD5
	}
	return ""
}

// Configs returns a copy of every stored config, sorted by tenant, group, dataId.
func (s *Server) Configs() []Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Config, 0, len(s.configs))
	for _, c := range s.configs {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Tenant != b.Tenant {
			return a.Tenant < b.Tenant
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.DataID < b.DataID
	})
	return out
}

// GetConfig returns one config; tenant "" or "public" is the public namespace.
func (s *Server) GetConfig(tenant, group, dataID string) (Config, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.configs[newConfigKey(tenant, group, dataID)]
	if c == nil {
		return Config{}, false
	}
	return *c, true
}

// SetConfig seeds or replaces a config and notifies listeners, like a publish.
func (s *Server) SetConfig(tenant, group, dataID, content string) {
	if group == "" {
		group = DefaultGroup
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.publishLocked(Config{Tenant: tenant, Group: group, DataID: dataID, Content: content}, "", false)
}

// DeleteConfig removes a config and notifies listeners.
func (s *Server) DeleteConfig(tenant, group, dataID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(newConfigKey(tenant, group, dataID))
}

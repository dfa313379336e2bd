package nacosfake

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Gray releases (Nacos 2.x "beta" and "tag" configs). A beta is served,
// instead of the formal config, to the client IPs it lists: through get,
// listen (its MD5 is the one compared) and pushes. A tag release is served
// to clients that ask with its tag; asking with a tag that has no release
// finds nothing, as Nacos's SpecialTagNotFoundHandler answers. Clients
// that match no gray rule see the formal config.

// Gray is a gray release of a config: a beta (BetaIPs set) or a tag release.
type Gray struct {
	Config
	BetaIPs []string `json:"betaIps,omitempty"`
	Tag     string   `json:"tag,omitempty"`
}

type grays struct {
	beta *Gray
	tags map[string]*Gray
}

// grayFor is the gray release served to a client with this IP that asks
// with tag, or nil when the formal config applies. s.mu must be held.
func (s *Server) grayForLocked(k configKey, ip, tag string) *Gray {
	g := s.grays[k]
	if g == nil {
		return nil
	}
	if g.beta != nil && ip != "" && slices.Contains(g.beta.BetaIPs, ip) {
		return g.beta
	}
	if tag != "" {
		return g.tags[tag]
	}
	return nil
}

// servedLocked is what a client with this IP asking with tag reads: a gray
// release, the formal config, or nothing.
func (s *Server) servedLocked(k configKey, ip, tag string) (c *Config, beta bool) {
	if g := s.grayForLocked(k, ip, tag); g != nil {
		cp := g.Config
		return &cp, g.BetaIPs != nil
	}
	if tag != "" {
		return nil, false // a tag without a release: not found
	}
	return s.configs[k], false
}

// publishGrayLocked stores a beta (betaIPs non-empty) or tag release of c
// and pushes it to the listeners it applies to.
func (s *Server) publishGrayLocked(c Config, betaIPs, tag string) {
	k := newConfigKey(c.Tenant, c.Group, c.DataID)
	c.Tenant = k.tenant
	c.MD5 = md5Hex(c.Content)
	c.Type = normType(c.Type)
	c.LastModified = s.now().UnixMilli()
	g := s.grays[k]
	if g == nil {
		g = &grays{tags: map[string]*Gray{}}
		s.grays[k] = g
	}
	if betaIPs != "" {
		var ips []string
		for ip := range strings.SplitSeq(betaIPs, ",") {
			if ip = strings.TrimSpace(ip); ip != "" {
				ips = append(ips, ip)
			}
		}
		g.beta = &Gray{Config: c, BetaIPs: ips}
		s.grayChangedLocked(k, g.beta.BetaIPs)
		return
	}
	g.tags[tag] = &Gray{Config: c, Tag: tag}
	s.grayChangedLocked(k, nil)
}

// removeBetaLocked stops a beta and tells its clients, which then read the
// formal config again.
func (s *Server) removeBetaLocked(k configKey) {
	g := s.grays[k]
	if g == nil || g.beta == nil {
		return
	}
	ips := g.beta.BetaIPs
	g.beta = nil
	s.gcGrayLocked(k)
	s.grayChangedLocked(k, ips)
}

func (s *Server) removeTagLocked(k configKey, tag string) {
	g := s.grays[k]
	if g == nil || g.tags[tag] == nil {
		return
	}
	delete(g.tags, tag)
	s.gcGrayLocked(k)
	s.grayChangedLocked(k, nil)
}

func (s *Server) gcGrayLocked(k configKey) {
	if g := s.grays[k]; g != nil && g.beta == nil && len(g.tags) == 0 {
		delete(s.grays, k)
	}
}

// grayChangedLocked pushes a gray change to the listening connections its
// rule matches: a beta's client IPs. Tag rules match connections by their
// tag label, which nacos-sdk-go does not send, so tag changes reach
// clients when they next ask with the tag.
func (s *Server) grayChangedLocked(k configKey, ips []string) {
	for connID, tenant := range s.listeners[k] {
		c := s.conns[connID]
		if c == nil || !slices.Contains(ips, c.clientIP) {
			continue
		}
		c.pushAfter("ConfigChangeNotifyRequest", configChangeBody(k, tenant), s.opts.configPushDelay)
		s.awaitSyncLocked(c, k)
	}
}

// listenMD5Locked is the MD5 a listening connection from ip is compared with.
func (s *Server) listenMD5Locked(k configKey, ip string) string {
	if g := s.grayForLocked(k, ip, ""); g != nil {
		return g.MD5
	}
	return s.configMD5Locked(k)
}

// Grays returns a copy of every gray release, by tenant, group, dataId and tag.
func (s *Server) Grays() []Gray {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Gray
	for _, g := range s.grays {
		if g.beta != nil {
			out = append(out, *g.beta)
		}
		for _, t := range g.tags {
			out = append(out, *t)
		}
	}
	slices.SortFunc(out, func(a, b Gray) int {
		return strings.Compare(a.Tenant+"\x00"+a.Group+"\x00"+a.DataID+"\x00"+a.Tag, b.Tenant+"\x00"+b.Group+"\x00"+b.DataID+"\x00"+b.Tag)
	})
	return out
}

// remoteIP is the client IP Nacos's RequestUtil.getRemoteIp reads: the
// first X-Forwarded-For entry, X-Real-IP, else the peer address.
func remoteIP(r *http.Request) string {
	if f := r.Header.Get("X-Forwarded-For"); f != "" {
		ip, _, _ := strings.Cut(f, ",")
		return strings.TrimSpace(ip)
	}
	if ip := r.Header.Get("X-Real-IP"); ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// readConfig is servedLocked for the HTTP handlers: what a client at ip
// asking with tag reads.
func (s *Server) readConfig(tenant, group, dataID, ip, tag string) (c Config, beta, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, beta := s.servedLocked(newConfigKey(tenant, group, dataID), ip, tag)
	if p == nil {
		return Config{}, false, false
	}
	return *p, beta, true
}

func (s *Server) publishGray(c Config, betaIPs, tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publishGrayLocked(c, betaIPs, tag)
}

// httpTag is the tag an HTTP client asks with: the tag parameter, else
// the Vipserver-Tag header (Nacos's DefaultChainRequestExtractor).
func httpTag(r *http.Request, q url.Values) string {
	if t := q.Get("tag"); t != "" {
		return t
	}
	return r.Header.Get("Vipserver-Tag")
}

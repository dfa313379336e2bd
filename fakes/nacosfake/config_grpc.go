package nacosfake

type configReq struct {
	DataID      string            `json:"dataId"`
	Group       string            `json:"group"`
	Tenant      string            `json:"tenant"`
	Tag         string            `json:"tag"`
	Content     string            `json:"content"`
	CasMd5      string            `json:"casMd5"`
	AdditionMap map[string]string `json:"additionMap"`
}

func handleConfigQuery(s *Server, cn *conn, p *payload) (map[string]any, *rpcErr) {
	var r configReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	k := newConfigKey(r.Tenant, r.Group, r.DataID)
	s.mu.Lock()
	s.syncedLocked(cn, k)
	c, beta := s.servedLocked(k, cn.clientIP, r.Tag)
	var cp Config
	if c != nil {
		cp = *c
	}
	s.mu.Unlock()
	if c == nil {
		return nil, &rpcErr{code: codeNotFound, msg: "config data not exist"}
	}
	// "tag" is left out: the Go SDK declares it bool, the Java server sends
	// a string, and either mismatch breaks decoding.
	return map[string]any{
		"content": cp.Content, "md5": cp.MD5, "contentType": cp.Type, "lastModified": cp.LastModified,
		"encryptedDataKey": cp.EncryptedDataKey, "isBeta": beta,
	}, nil
}

func handleConfigPublish(s *Server, _ *conn, p *payload) (map[string]any, *rpcErr) {
	var r configReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	if e := s.checkConfigParams(r.DataID, r.Group, r.Content, true); e != nil {
		return nil, &rpcErr{code: e.code, msg: e.msg}
	}
	add := r.AdditionMap
	c := Config{
		Tenant: r.Tenant, Group: r.Group, DataID: r.DataID, Content: r.Content,
		Type: add["type"], AppName: add["appName"], EncryptedDataKey: add["encryptedDataKey"],
		srcIP: p.ClientIP, srcUser: add["src_user"],
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if add["betaIps"] != "" || add["tag"] != "" {
		s.publishGrayLocked(c, add["betaIps"], add["tag"])
		return nil, nil
	}
	err := s.publishLocked(c, r.CasMd5, r.CasMd5 != "")
	if err != nil {
		return nil, &rpcErr{code: err.code, msg: err.msg}
	}
	return nil, nil
}

func handleConfigRemove(s *Server, _ *conn, p *payload) (map[string]any, *rpcErr) {
	var r configReq
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	if e := s.checkConfigParams(r.DataID, r.Group, "", false); e != nil {
		return nil, &rpcErr{code: e.code, msg: e.msg}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Tag != "" {
		s.removeTagLocked(newConfigKey(r.Tenant, r.Group, r.DataID), r.Tag)
		return nil, nil
	}
	s.removeLocked(newConfigKey(r.Tenant, r.Group, r.DataID))
	return nil, nil
}

func handleConfigBatchListen(s *Server, c *conn, p *payload) (map[string]any, *rpcErr) {
	var r struct {
		Listen   bool `json:"listen"`
		Contexts []struct {
			DataID string `json:"dataId"`
			Group  string `json:"group"`
			Tenant string `json:"tenant"`
			MD5    string `json:"md5"`
		} `json:"configListenContexts"`
	}
	if e := decodeBody(p, &r); e != nil {
		return nil, e
	}
	changed := []map[string]string{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, lc := range r.Contexts {
		k := newConfigKey(lc.Tenant, lc.Group, lc.DataID)
		if !r.Listen {
			if m := s.listeners[k]; m != nil {
				delete(m, c.id)
				if len(m) == 0 {
					delete(s.listeners, k)
				}
			}
			continue
		}
		m := s.listeners[k]
		if m == nil {
			m = map[string]string{}
			s.listeners[k] = m
		}
		m[c.id] = lc.Tenant // pushes echo the tenant spelling the client used
		if s.listenMD5Locked(k, c.clientIP) == lc.MD5 {
			s.syncedLocked(c, k)
		} else {
			changed = append(changed, map[string]string{"dataId": lc.DataID, "group": lc.Group, "tenant": lc.Tenant})
		}
	}
	return map[string]any{"changedConfigs": changed}, nil
}

// Listener is one gRPC config listener.
type Listener struct {
	Tenant, Group, DataID string
	ConnID                string
}

// Listeners lists gRPC config listeners.
func (s *Server) Listeners() []Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Listener
	for k, m := range s.listeners {
		for id := range m {
			out = append(out, Listener{Tenant: k.tenant, Group: k.group, DataID: k.dataID, ConnID: id})
		}
	}
	return out
}

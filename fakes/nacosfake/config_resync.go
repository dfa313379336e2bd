package nacosfake

// A config change pushed to a listening connection is pushed again if the
// connection neither reads the config nor listens with its new MD5 within
// resyncAfter, up to maxResyncs times.
//
// Why: nacos-sdk-go v2.3.2 loses a push that arrives while one of its
// ConfigBatchListenRequests is in flight. The listen's answer ("nothing
// changed", true when the server read it) marks every cached key in sync,
// the pushed one included (executeConfigListen), so the application sees
// the change only at the SDK's next full sync, 5 minutes later. Real Nacos
// has the same race; tests that publish twice in a row hit it. A second
// push is harmless: a client in sync answers it with an unchanged listen.
const maxResyncs = 3

// awaitSyncLocked notes that k changed under connection c and schedules
// the check. s.mu must be held.
func (s *Server) awaitSyncLocked(c *conn, k configKey) {
	if c.unsynced == nil {
		c.unsynced = map[configKey]int{}
	}
	c.unsynced[k] = 0
	s.scheduleResync(c.id, k, s.listenMD5Locked(k, c.clientIP))
}

func (s *Server) scheduleResync(connID string, k configKey, md5 string) {
	s.sched.after(s.opts.resyncAfter, func() { s.resync(connID, k, md5) })
}

// syncedLocked records that c has read k or listened with its current MD5.
func (s *Server) syncedLocked(c *conn, k configKey) { delete(c.unsynced, k) }

func (s *Server) resync(connID string, k configKey, md5 string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[connID]
	if c == nil {
		return
	}
	n, waiting := c.unsynced[k]
	tenant, listens := s.listeners[k][connID]
	switch {
	case !waiting || s.listenMD5Locked(k, c.clientIP) != md5:
		return // in sync, or a newer change has its own check
	case !listens || n >= maxResyncs:
		delete(c.unsynced, k)
		return
	}
	c.unsynced[k] = n + 1
	c.pushAfter("ConfigChangeNotifyRequest", configChangeBody(k, tenant), 0)
	s.scheduleResync(connID, k, md5)
}

func configChangeBody(k configKey, tenant string) []byte {
	return mustJSON(map[string]any{"module": "config", "dataId": k.dataID, "group": k.group, "tenant": tenant})
}

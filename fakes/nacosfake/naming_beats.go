package nacosfake

import (
	"fmt"
	"time"
)

// checkBeatsLocked marks HTTP ephemeral instances unhealthy after 15 s and
// removes them after 30 s without a beat (Nacos defaults, overridable by
// the preserved.* metadata keys).
func (s *Server) checkBeatsLocked() {
	now := s.now()
	for _, svc := range s.services {
		changed := false
		for owner, insts := range svc.owners {
			keep := insts[:0]
			for _, in := range insts {
				if !in.httpManaged {
					keep = append(keep, in)
					continue
				}
				idle := now.Sub(in.LastBeat)
				if idle > metaDuration(in.Metadata, "preserved.ip.delete.timeout", 30*time.Second) {
					changed = true
					continue
				}
				if in.Healthy && idle > metaDuration(in.Metadata, "preserved.heart.beat.timeout", 15*time.Second) {
					in.Healthy = false
					changed = true
				}
				keep = append(keep, in)
			}
			if len(keep) == 0 {
				delete(svc.owners, owner)
			} else {
				svc.owners[owner] = keep
			}
		}
		if changed {
			s.serviceChangedLocked(svc)
		}
	}
	s.gcServicesLocked()
}

func metaDuration(md map[string]string, key string, def time.Duration) time.Duration {
	if v, ok := md[key]; ok {
		var ms int64
		if _, err := fmt.Sscan(v, &ms); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return def
}

package nacosfake

import "time"

// now is the server clock (WithClock; the wall clock by default).
func (s *Server) now() time.Time { return s.opts.clock.Now() }

// armBeatCheck schedules the next heartbeat check on the server clock, so a
// clock.Manual that is advanced past a beat timeout expires the instance.
// Callers hold s.mu.
func (s *Server) armBeatCheckLocked() {
	if s.closed {
		return
	}
	s.beatTimer = s.opts.clock.AfterFunc(s.opts.checkInterval, s.beatCheck)
}

func (s *Server) beatCheck() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.checkBeatsLocked()
	s.armBeatCheckLocked()
}

// stopBeatCheckLocked stops the pending heartbeat check.
func (s *Server) stopBeatCheckLocked() {
	if s.beatTimer != nil {
		s.beatTimer.Stop()
		s.beatTimer = nil
	}
}

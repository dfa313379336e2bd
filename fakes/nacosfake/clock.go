package nacosfake

import "time"

// now is the server clock: the configured source plus Advance offsets.
func (s *Server) now() time.Time { return s.opts.now().Add(s.offset) }

// Advance moves the server clock forward by d and runs the heartbeat check
// at once, so tests can expire HTTP instances without waiting.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.checkBeatsLocked()
	s.mu.Unlock()
}

// Now reports the server clock.
func (s *Server) Now() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now() }

func (s *Server) healthLoop() {
	defer s.bg.Done()
	t := time.NewTicker(s.opts.checkInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			s.checkBeatsLocked()
			s.mu.Unlock()
		}
	}
}

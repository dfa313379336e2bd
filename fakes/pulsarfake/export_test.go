package pulsarfake

// Test hooks for the external test package.

// Crash stops the server the way a killed process stops: listeners and
// connections close, the data directory's lock is released, and the change
// log is left as it is, without the snapshot Close writes.
func (s *Server) Crash() error { return s.shutdown(true) }

// WithCompactAt lowers the log size that triggers a compaction (4 MiB).
func WithCompactAt(n int64) Option { return func(o *options) { o.compactAt = n } }

// Compact folds the change log into the snapshot now.
func (s *Server) Compact() error { return s.p.compact(false) }

package schemaregistryfake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/internal/datadir"
)

// Server is an in-process Schema Registry. Create it with New and stop it
// with Close. All methods are safe for concurrent use.
type Server struct {
	cfg  config
	ln   net.Listener
	http *http.Server
	done chan struct{}

	mu     sync.Mutex // guards st and closed
	st     *store
	closed bool
	dir    *datadir.Dir // WithDataDir; nil in memory
}

// New starts a registry on WithAddr's address (default a free port on
// 127.0.0.1), empty, with compatibility level BACKWARD.
func New(opts ...Option) (*Server, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	s := &Server{cfg: cfg, st: newStore(), done: make(chan struct{})}
	if cfg.dataDir != "" {
		if err := s.openDataDir(cfg.dataDir); err != nil {
			return nil, fmt.Errorf("schemaregistryfake: data dir: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		s.closeDataDir()
		return nil, err
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 30 * time.Second,
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.logger.Error("schemaregistryfake: serve", "error", err)
		}
	}()
	return s, nil
}

// Addr is the listen address, host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL clients take as schema.registry.url.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops the server and closes every connection. Calling it again
// returns nil.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = s.http.Close()
	}
	<-s.done
	s.closeDataDir()
	return err
}

func (s *Server) closeDataDir() {
	if s.dir != nil {
		_ = s.dir.Close()
	}
}

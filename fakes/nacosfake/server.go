package nacosfake

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"

	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fault"
	"github.com/brokerkit/brokerkit/internal/conntrack"
	"github.com/brokerkit/brokerkit/internal/datadir"
	"github.com/brokerkit/brokerkit/internal/tlsca"
)

// Server is an in-process Nacos 2.x server: gRPC for the v2 SDKs and the
// HTTP v1 Open API, over one in-memory store.
type Server struct {
	opts   options
	log    *slog.Logger
	lifeMu sync.Mutex // serialises Close and Restart

	mu         sync.Mutex
	configs    map[configKey]*Config
	grays      map[configKey]*grays            // beta and tag releases (config_gray.go)
	listeners  map[configKey]map[string]string // key -> connID -> tenant as the client sent it
	pollers    map[*poller]struct{}
	services   map[svcKey]*service
	conns      map[string]*conn
	tokens     map[string]time.Time  // accessToken -> expiry
	jwtKey     []byte                // signs access tokens
	namespaces map[string]*Namespace // created through the console API
	history    []*historyEntry       // config history, oldest first
	historyNid int64                 // last history row number
	historyIDs int64                 // last history id given to an insert
	switches   *switchDomain         // naming system switches; nil until read or set
	closed     bool
	beatTimer  clock.Timer // next heartbeat check; guarded by mu

	faults fault.Injector[int]
	sched  *scheduler
	udp    *net.UDPConn      // sends naming pushes to HTTP clients; nil if unavailable
	track  conntrack.Tracker // every gRPC and HTTP client connection
	ca     *tlsca.CA         // WithTLS only

	// WithDataDir; guarded by mu.
	dir          *datadir.Dir
	changes      *datadir.Log
	snapshotSize int64

	// Listener state, replaced by Restart.
	httpAddr, grpcAddr string
	grpcSrv            *grpc.Server
	httpSrv            *http.Server
	httpWG             sync.WaitGroup // live HTTP handlers
	serveWG            sync.WaitGroup
	stopping           chan struct{} // closed when the current listeners stop
}

// New starts a server. See the Option functions for defaults.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		opts:       defaultOptions(),
		configs:    map[configKey]*Config{},
		grays:      map[configKey]*grays{},
		listeners:  map[configKey]map[string]string{},
		pollers:    map[*poller]struct{}{},
		services:   map[svcKey]*service{},
		conns:      map[string]*conn{},
		tokens:     map[string]time.Time{},
		namespaces: map[string]*Namespace{},
	}
	for _, o := range opts {
		o(&s.opts)
	}
	s.log = s.opts.logger
	s.faults.SetOps(opNames()...)
	if s.opts.genTLS {
		if err := s.makeTLS(); err != nil {
			return nil, err
		}
	}
	if s.opts.dataDir != "" {
		if err := s.openDataDir(); err != nil {
			return nil, err
		}
	}
	hl, gl, err := listenPair(s.opts.httpAddr, s.opts.grpcAddr)
	if err != nil {
		s.closeDataDir()
		return nil, err
	}
	if u, err := net.ListenUDP("udp", nil); err == nil {
		s.udp = u
	} else {
		s.log.Warn("no UDP socket; HTTP clients will only poll", "err", err)
	}
	s.sched = newScheduler()
	s.start(hl, gl)
	s.mu.Lock()
	s.armBeatCheckLocked()
	s.mu.Unlock()
	return s, nil
}

// makeTLS creates the CA and server certificate for WithTLS.
func (s *Server) makeTLS() error {
	ca, err := tlsca.New()
	if err != nil {
		return fmt.Errorf("nacosfake: TLS CA: %w", err)
	}
	host, _, _ := net.SplitHostPort(s.opts.httpAddr)
	cfg, err := ca.ServerConfig(host)
	if err != nil {
		return fmt.Errorf("nacosfake: TLS certificate: %w", err)
	}
	s.ca, s.opts.tls = ca, cfg
	return nil
}

// start serves on the given listeners.
func (s *Server) start(hl, gl net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpAddr, s.grpcAddr = hl.Addr().String(), gl.Addr().String()
	s.stopping = make(chan struct{})
	gopts := []grpc.ServerOption{
		grpc.ForceServerCodec(rawCodec{}),
		grpc.StatsHandler(&connTagger{s: s}),
		grpc.MaxRecvMsgSize(s.opts.maxContent + 1<<20),
		grpc.MaxSendMsgSize(s.opts.maxContent + 1<<20),
		grpc.WaitForHandlers(true),
		// SDKs ping every 60 s; grpc-go's default 5 min minimum would
		// answer with GOAWAY too_many_pings on long-lived idle sessions.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// Nacos's BaseGrpcServer: the server pings after 6 min without
		// traffic and closes when no answer comes in 3 s; grpc-java's
		// handshake limit is 120 s (a half-sent TLS hello or preface).
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 6 * time.Minute, Timeout: 3 * time.Second}),
		grpc.ConnectionTimeout(s.opts.grpcHandshake),
	}
	if s.opts.tls != nil {
		gopts = append(gopts, grpc.Creds(credentials.NewTLS(s.opts.tls)))
	}
	s.grpcSrv = grpc.NewServer(gopts...)
	s.grpcSrv.RegisterService(&requestServiceDesc, s)
	s.grpcSrv.RegisterService(&biStreamServiceDesc, s)
	hl = s.track.Listener(hl)
	if s.opts.tls != nil {
		hl = tls.NewListener(hl, s.opts.tls)
	}
	// Tomcat's connectionTimeout (60 s) closes a connection that stops
	// sending mid-request or sits idle between requests.
	s.httpSrv = &http.Server{Handler: s.httpHandler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: s.opts.httpTimeout, IdleTimeout: s.opts.httpTimeout, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.serveWG.Add(2)
	go func() { defer s.serveWG.Done(); _ = s.grpcSrv.Serve(s.track.Listener(gl)) }()
	go func() { defer s.serveWG.Done(); _ = s.httpSrv.Serve(hl) }()
	s.log.Info("nacosfake started", "http", s.httpAddr, "grpc", s.grpcAddr)
}

// stop closes the listeners and every connection, dropping the state owned
// by connections (ephemeral instances, subscriptions, listeners).
func (s *Server) stop() {
	s.mu.Lock()
	close(s.stopping) // under mu: no HTTP handler joins httpWG after this
	s.mu.Unlock()
	_ = s.httpSrv.Close()
	s.grpcSrv.Stop()
	s.serveWG.Wait()
	s.httpWG.Wait()
	s.mu.Lock()
	for id := range s.conns {
		s.dropConnLocked(id)
	}
	for w := range s.pollers {
		delete(s.pollers, w)
	}
	s.mu.Unlock()
}

// Close stops the server. It is idempotent.
func (s *Server) Close() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.stopBeatCheckLocked()
	s.mu.Unlock()
	s.faults.Close() // ends injected delays
	s.stop()
	s.sched.close()
	s.mu.Lock()
	s.closeDataDir()
	s.mu.Unlock()
	if s.udp != nil {
		_ = s.udp.Close()
	}
	return nil
}

// Restart drops every connection and listener and serves again on the same
// addresses, in memory. It keeps configs, persistent instances, created
// services and namespaces, users and installed faults (their handles stay
// valid; ResetFaults clears them). Ephemeral instances are lost as on a real
// restart; SDK clients re-register them on reconnect.
func (s *Server) Restart() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("nacosfake: server closed")
	}
	s.mu.Unlock()
	s.stop()
	s.mu.Lock()
	httpAddr, grpcAddr := s.httpAddr, s.grpcAddr
	for _, svc := range s.services {
		for owner, insts := range svc.owners {
			if len(insts) > 0 && insts[0].Ephemeral {
				delete(svc.owners, owner)
			}
		}
	}
	s.gcServicesLocked()
	s.mu.Unlock()
	var hl, gl net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old sockets may linger briefly
		hl, gl, err = listenPair(httpAddr, grpcAddr)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	s.start(hl, gl)
	return nil
}

// Addr is the host:port of the HTTP API, the address Nacos clients are
// configured with.
func (s *Server) Addr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.httpAddr }

// GRPCAddr is the host:port of the gRPC API.
func (s *Server) GRPCAddr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.grpcAddr }

// ClientTLSConfig returns a client TLS config trusting the CA made by
// WithTLS, or nil without WithTLS (with WithTLSConfig the caller has the CA).
func (s *Server) ClientTLSConfig() *tls.Config { return s.ca.ClientConfig() }

// CACertPEM returns the PEM of the CA made by WithTLS (the SDKs read their
// CA from a file), or nil without WithTLS.
func (s *Server) CACertPEM() []byte { return s.ca.CertPEM() }

// Host is the listening IP.
func (s *Server) Host() string { h, _, _ := net.SplitHostPort(s.Addr()); return h }

// HTTPPort is the HTTP port, the "server port" SDKs are configured with.
func (s *Server) HTTPPort() int { return portOf(s.Addr()) }

// GRPCPort is the gRPC port (HTTPPort()+1000 unless WithGRPCAddr was used).
func (s *Server) GRPCPort() int { return portOf(s.GRPCAddr()) }

// URL is the HTTP base URL including the context path (/nacos by default).
func (s *Server) URL() string {
	scheme := "http"
	if s.opts.tls != nil {
		scheme = "https"
	}
	return scheme + "://" + s.Addr() + strings.TrimSuffix(s.opts.contextPath, "/")
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Reset forgets every config, instance and created namespace (notifying
// listeners and subscribers) and removes all fault rules, for reusing one
// server across tests. Connections, subscriptions and listeners stay.
func (s *Server) Reset() {
	s.faults.Reset()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.configs {
		s.removeLocked(k)
	}
	clear(s.grays)
	clear(s.namespaces)
	s.history = nil
	for _, svc := range s.services {
		svc.explicit = false
		if len(svc.owners) > 0 {
			svc.owners = map[string][]*Instance{}
			s.serviceChangedLocked(svc)
		}
	}
	s.gcServicesLocked()
	s.snapshotLocked()
}

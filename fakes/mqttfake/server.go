package mqttfake

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/brokerkit/brokerkit/fault"
	"github.com/brokerkit/brokerkit/internal/conntrack"
	"github.com/brokerkit/brokerkit/internal/tlsca"
)

// ErrClosed is returned by operations on a closed Server.
var ErrClosed = errors.New("mqttfake: server closed")

// Server is an in-process MQTT 3.1/3.1.1/5 broker (mochi-mqtt) with test
// defaults: loopback listeners on free ports, quiet logs, burst limits raised
// so nothing is dropped silently, real auth, inspection and faults.
type Server struct {
	cfg       config
	log       *slog.Logger
	ca        *tlsca.CA
	serverTLS *tls.Config

	// Resolved on first start and reused by Restart, so clients can
	// reconnect to the same addresses.
	tcpAddr, tlsAddr, wsAddr, wssAddr string

	faults   fault.Injector[byte]
	delivery deliveryRules
	rec      recorder
	conns    conntrack.Tracker // every client connection, for DropConnections
	store    *store            // nil without WithDataDir

	mu     sync.Mutex
	gen    *generation
	closed bool
}

// generation is one mochi instance; Restart replaces it.
type generation struct {
	m        *mqtt.Server
	gate     *gate
	lns      []*listener
	stopping chan struct{} // closed when stop begins: ends injected delays
	persist  *persistHook  // nil without WithDataDir
}

// New starts a broker. Close it when done.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.logger}
	s.initFaults()
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.rec.limit = cfg.publishLog
	if cfg.tls || cfg.wss {
		if cfg.tlsConfig != nil {
			s.serverTLS = cfg.tlsConfig
		} else {
			ca, err := tlsca.New()
			if err != nil {
				return nil, fmt.Errorf("mqttfake: TLS CA: %w", err)
			}
			srv, err := ca.ServerConfig()
			if err != nil {
				return nil, fmt.Errorf("mqttfake: TLS certificate: %w", err)
			}
			s.ca, s.serverTLS = ca, srv
		}
	}
	var snap *snapshot
	if cfg.dataDir != "" {
		st, loaded, err := openStore(cfg.dataDir, cfg.syncWrites, cfg.compactAt, s.log)
		if err != nil {
			return nil, err
		}
		s.store, snap = st, loaded
	}
	g, err := s.start(snap)
	if err != nil {
		if s.store != nil {
			_ = s.store.close()
		}
		return nil, err
	}
	s.gen = g
	return s, nil
}

func (s *Server) start(snap *snapshot) (*generation, error) {
	caps := mqtt.NewDefaultServerCapabilities()
	// mochi's 8192 drops a 100k-message QoS 0 burst to one subscriber
	// silently, 1<<14 still does, 1<<16 did not in 15 runs; mochi allocates
	// the queue (8 B a slot) per client up front: 1<<16 costs 520 KiB a
	// client, 1<<18 cost 2 MiB (BenchmarkConnectedClientHeap).
	caps.MaximumClientWritesPending = 1 << 16
	caps.MaximumInflight = 65535 // mochi's 8192 drops QoS>0 to slow subscribers
	caps.MaximumPacketSize = 0   // enforced by mqttConn, which can answer 0x95
	// No broker echoes a publisher's user properties in its PUBACK/PUBREC
	// (Mosquitto sends none); strict clients reject them.
	caps.Compatibilities.NoInheritedPropertiesOnAck = true
	// [MQTT-3.3.2-5]: no interval, no expiry (mochi's default invents 24 h).
	caps.MaximumMessageExpiryInterval = int64(s.cfg.maxExpiry / time.Second)
	caps.ReceiveMaximum = s.cfg.receiveMax
	caps.TopicAliasMaximum = s.cfg.aliasMax // advertised by OnPacketEncode
	if s.cfg.caps != nil {
		s.cfg.caps(caps)
	}
	m := mqtt.New(&mqtt.Options{
		Logger:                 s.log,
		InlineClient:           true,
		Capabilities:           caps,
		SysTopicResendInterval: 10, // like Mosquitto's sys_interval; each tick reads MemStats
	})
	g := &generation{m: m, gate: newGate(), stopping: make(chan struct{})}
	if err := m.AddHook(&fakeHook{s: s, g: g}, nil); err != nil {
		return nil, err
	}
	if snap != nil {
		if err := m.AddHook(&restoreHook{snap: snap}, nil); err != nil {
			return nil, err
		}
	}
	if s.store != nil {
		g.persist = &persistHook{st: s.store, m: m}
		if err := m.AddHook(g.persist, nil); err != nil {
			return nil, err
		}
	}
	type spec struct {
		id, proto string
		addr      *string
		cfgAddr   string
		on        bool
	}
	specs := []spec{
		{"tcp", "tcp", &s.tcpAddr, s.cfg.addr, true},
		{"tls", "tls", &s.tlsAddr, s.cfg.tlsAddr, s.cfg.tls},
		{"ws", "ws", &s.wsAddr, s.cfg.wsAddr, s.cfg.ws},
		{"wss", "wss", &s.wssAddr, s.cfg.wssAddr, s.cfg.wss},
	}
	for _, sp := range specs {
		if !sp.on {
			continue
		}
		addr := *sp.addr
		if addr == "" {
			addr = sp.cfgAddr
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			s.abort(g)
			return nil, fmt.Errorf("mqttfake: listen %s on %s: %w", sp.id, addr, err)
		}
		ln = s.conns.Listener(ln)
		if sp.proto == "tls" || sp.proto == "wss" {
			ln = tls.NewListener(ln, s.serverTLS)
		}
		l := newListener(sp.id, sp.proto, ln, g.gate, s.log, s.prepare)
		if err := m.AddListener(l); err != nil {
			_ = ln.Close()
			s.abort(g)
			return nil, err
		}
		g.lns = append(g.lns, l)
		if *sp.addr == "" { // written once, so accessors need no lock
			*sp.addr = ln.Addr().String()
		}
	}
	if err := m.Serve(); err != nil {
		s.abort(g)
		return nil, err
	}
	return g, nil
}

// abort undoes a half-built generation.
func (s *Server) abort(g *generation) {
	for _, l := range g.lns {
		l.shutdown()
	}
	_ = g.m.Close()
}

// prepare reads the head of the first packet before mochi sees it, to
// answer a bad protocol name or level the way Mosquitto does (close, or a v3
// CONNACK 0x01 whatever level was asked for) and to know whether the client speaks
// v5 when the packet size limit has to be explained.
func (s *Server) prepare(c net.Conn) (net.Conn, bool) {
	if s.cfg.connectTO > 0 {
		_ = c.SetDeadline(time.Now().Add(s.cfg.connectTO)) // TLS handshake and CONNECT
	}
	head, ci, err := readConnectHead(c)
	if err != nil {
		return nil, false
	}
	if ci.badName {
		return nil, false // Mosquitto closes without a CONNACK; mochi would send 0x82
	}
	if ci.badLevel() {
		_, _ = c.Write([]byte{0x20, 0x02, 0x00, 0x01})
		return nil, false
	}
	// Once CONNECT is in, mochi owns the deadline (1.5 × keep-alive).
	connected := func() { _ = c.SetDeadline(time.Time{}) }
	mc := newMQTTConn(c, head, ci.level, s.cfg.maxPacket, connected)
	if err := mc.pr.prefetch(); err != nil {
		return nil, false // too large, malformed, cut off or too slow: closed, as by Mosquitto
	}
	return mc, true
}

// stop drains and closes one generation and returns its durable state.
// Order matters (mochi #541): stop accepting, disconnect clients, close
// every socket, wait for every handler, and only then call mochi's Close.
func (s *Server) stop(g *generation) *snapshot {
	close(g.stopping)
	for _, l := range g.lns {
		l.shutdown()
	}
	for _, l := range g.lns {
		l.waitServe()
	}
	for _, cl := range g.m.Clients.GetAll() {
		if !cl.Net.Inline && !cl.Closed() {
			disconnect(cl, packets.ErrServerShuttingDown)
		}
	}
	g.gate.close()
	g.gate.wait()
	snap := capture(g.m)
	_ = g.m.Close()
	return snap
}

// disconnect ends a client's connection: v5 clients get a DISCONNECT with
// code first; 3.1.1 has no server DISCONNECT, so those just see the close.
// It closes the socket rather than calling mochi's DisconnectClient or Stop:
// those mark the client closed first, and mochi's read loop then sometimes
// ends without error and silently discards the will, which [MQTT-3.1.2-8]
// requires here (the client did not send DISCONNECT).
func disconnect(cl *mqtt.Client, code packets.Code) {
	if cl.Properties.ProtocolVersion == 5 {
		sendDisconnect(cl, code)
	}
	if c := cl.Net.Conn; c != nil {
		_ = c.Close()
	}
}

// sendDisconnect sends a v5 client a server DISCONNECT with code.
func sendDisconnect(cl *mqtt.Client, code packets.Code) {
	_ = cl.WritePacket(packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Disconnect},
		ReasonCode:  code.Code,
	})
}

// Close disconnects every client, stops the broker and, with WithDataDir,
// folds the log into the snapshot and releases the directory. It is safe to
// call more than once and while clients are still connecting.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.faults.Close()
	snap := s.stop(s.gen)
	if s.store == nil {
		return nil
	}
	err := s.store.reset(snap)
	if cerr := s.store.close(); err == nil {
		err = cerr
	}
	return err
}

// Restart stops the broker, dropping every connection, and starts it again
// on the same addresses with retained messages, persistent sessions and
// their queued QoS 1/2 messages kept, as a broker with persistence would.
// It works in memory (WithDataDir is not needed). Users, installed faults
// (their handles stay valid; see ResetFaults) and the publish log are kept.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	snap := s.stop(s.gen)
	if s.store != nil {
		if err := s.store.reset(snap); err != nil {
			s.log.Error("mqttfake: restart", "error", err)
		}
	}
	g, err := s.start(snap)
	if err != nil {
		s.closed = true
		s.faults.Close()
		if s.store != nil {
			_ = s.store.close()
		}
		return fmt.Errorf("mqttfake: restart: %w", err)
	}
	s.gen = g
	return nil
}

// current returns the running generation.
func (s *Server) current() (*generation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.gen, nil
}

// Addr is the plain MQTT listener, host:port.
func (s *Server) Addr() string { return s.tcpAddr }

// URL is "mqtt://" + Addr, the form autopaho and paho.mqtt.golang accept.
func (s *Server) URL() string { return "mqtt://" + s.tcpAddr }

// TLSAddr is the TLS listener's host:port, or "" without WithTLS.
func (s *Server) TLSAddr() string { return s.tlsAddr }

// TLSURL is "mqtts://" + TLSAddr, or "" without WithTLS.
func (s *Server) TLSURL() string {
	if s.tlsAddr == "" {
		return ""
	}
	return "mqtts://" + s.tlsAddr
}

// WSAddr is the WebSocket listener's host:port, or "" without WithWebSocket.
func (s *Server) WSAddr() string { return s.wsAddr }

// WSURL is "ws://host:port/mqtt", or "" without WithWebSocket.
func (s *Server) WSURL() string {
	if s.wsAddr == "" {
		return ""
	}
	return "ws://" + s.wsAddr + "/mqtt"
}

// WSSAddr is the secure WebSocket listener's host:port, or "" without
// WithSecureWebSocket.
func (s *Server) WSSAddr() string { return s.wssAddr }

// WSSURL is "wss://host:port/mqtt", or "" without WithSecureWebSocket.
func (s *Server) WSSURL() string {
	if s.wssAddr == "" {
		return ""
	}
	return "wss://" + s.wssAddr + "/mqtt"
}

// ClientTLSConfig returns a client config trusting the generated CA (nil
// without WithTLS or WithSecureWebSocket, or with WithTLSConfig).
func (s *Server) ClientTLSConfig() *tls.Config { return s.ca.ClientConfig() }

// CACertPEM returns the generated CA certificate for non-Go clients (nil
// without WithTLS, or with WithTLSConfig).
func (s *Server) CACertPEM() []byte { return s.ca.CertPEM() }

// Mochi exposes the running mochi server (replaced by Restart) for what the
// fake does not wrap. Do not call its Close.
func (s *Server) Mochi() *mqtt.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen.m
}

package nacosfake

import (
	"bytes"
	"maps"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one SDK gRPC connection (one HTTP/2 transport).
type conn struct {
	id        string
	remote    net.Addr
	s         *Server
	setup     chan struct{} // closed by ConnectionSetupRequest
	setupOnce sync.Once
	pushes    chan pushItem
	done      chan struct{} // closed when the connection is dropped
	doneOnce  sync.Once
	nextReq   atomic.Int64
	pushed    atomic.Int64
	acked     atomic.Int64

	inflightMu sync.Mutex
	inflight   map[string]inflightPush // requestId -> push awaiting its ack

	// Guarded by Server.mu.
	clientVersion, tenant, clientIP string
	labels                          map[string]string
	unsynced                        map[configKey]int // pushed changes not yet read: re-pushes so far (config_resync.go)
}

// maxPushAttempts bounds re-pushes of an unacknowledged push. (Nacos
// retries config pushes up to 50 times, then drops the connection; the Go
// SDK never acks config pushes for keys it stopped listening to.)
const maxPushAttempts = 3

type inflightPush struct {
	item    pushItem
	sent    time.Time
	attempt int
}

func (c *conn) track(reqID string, it pushItem, attempt int) {
	c.inflightMu.Lock()
	defer c.inflightMu.Unlock()
	if c.inflight == nil {
		c.inflight = map[string]inflightPush{}
	}
	c.inflight[reqID] = inflightPush{item: it, sent: time.Now(), attempt: attempt}
}

func (c *conn) ack(reqID string) {
	c.inflightMu.Lock()
	defer c.inflightMu.Unlock()
	if _, ok := c.inflight[reqID]; ok {
		delete(c.inflight, reqID)
		c.acked.Add(1)
	}
}

// expired removes and returns pushes unacknowledged for longer than d.
func (c *conn) expired(d time.Duration) []inflightPush {
	c.inflightMu.Lock()
	defer c.inflightMu.Unlock()
	var out []inflightPush
	for id, p := range c.inflight {
		if time.Since(p.sent) > d {
			out = append(out, p)
			delete(c.inflight, id)
		}
	}
	return out
}

type pushItem struct {
	typ  string
	body []byte
	at   time.Time
	hint bool // sent once, never re-pushed: the client need not ack it
}

// pushAfter queues a server request for the bi-stream, sent no earlier than
// d from now. Config pushes must trail the publish reply (see the note).
func (c *conn) pushAfter(typ string, body []byte, d time.Duration) {
	select {
	case <-c.done:
		return // connection gone; nobody drains the queue any more
	default:
	}
	select {
	case c.pushes <- pushItem{typ: typ, body: body, at: time.Now().Add(d)}:
	default:
		c.s.log.Warn("push queue full, dropping push", "conn", c.id, "type", typ)
	}
}

// pushHint is pushAfter for a push sent once, without waiting for an ack.
func (c *conn) pushHint(typ string, body []byte, d time.Duration) {
	select {
	case <-c.done:
		return
	case c.pushes <- pushItem{typ: typ, body: body, at: time.Now().Add(d), hint: true}:
	default: // a hint is worth less than a real push: drop it quietly
	}
}

func (c *conn) isSetUp() bool {
	select {
	case <-c.setup:
		return true
	default:
		return false
	}
}

// injectRequestID sets "requestId" in a JSON object body produced by mustJSON.
func injectRequestID(body []byte, id string) []byte {
	if len(body) < 2 || body[0] != '{' {
		return body
	}
	var b bytes.Buffer
	b.WriteString(`{"requestId":`)
	b.WriteString(strconv.Quote(id))
	if !bytes.Equal(body, []byte("{}")) {
		b.WriteByte(',')
	}
	b.Write(body[1:])
	return b.Bytes()
}

// Connection describes one live gRPC client connection.
type Connection struct {
	ID            string
	RemoteAddr    string
	ClientIP      string
	ClientVersion string
	Tenant        string
	Labels        map[string]string
	SetUp         bool
	Pushed, Acked int64
}

// Connections lists the live gRPC connections.
func (s *Server) Connections() []Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Connection, 0, len(s.conns))
	for _, c := range s.conns {
		ra := ""
		if c.remote != nil {
			ra = c.remote.String()
		}
		out = append(out, Connection{ID: c.id, RemoteAddr: ra, ClientIP: c.clientIP, ClientVersion: c.clientVersion,
			Tenant: c.tenant, Labels: maps.Clone(c.labels), SetUp: c.isSetUp(), Pushed: c.pushed.Load(), Acked: c.acked.Load()})
	}
	return out
}

// dropConnLocked forgets a connection and everything it owned, pushing the
// removal of its ephemeral instances to subscribers.
func (s *Server) dropConnLocked(id string) {
	c := s.conns[id]
	if c == nil {
		return
	}
	delete(s.conns, id)
	c.doneOnce.Do(func() { close(c.done) })
	for k, m := range s.listeners {
		delete(m, id)
		if len(m) == 0 {
			delete(s.listeners, k)
		}
	}
	for _, svc := range s.services {
		delete(svc.subs, id)
		if _, ok := svc.owners[id]; ok {
			delete(svc.owners, id)
			s.serviceChangedLocked(svc)
		}
	}
	s.gcServicesLocked()
}

// ResetConnections asks every gRPC client to reconnect by pushing
// ConnectResetRequest, as a Nacos server does when rebalancing. It returns
// how many connections were asked.
func (s *Server) ResetConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		if c.isSetUp() {
			c.pushAfter("ConnectResetRequest", mustJSON(map[string]any{"module": "internal", "serverIp": "", "serverPort": ""}), 0)
			n++
		}
	}
	return n
}

package mqttfake

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// listener is a mochi listeners.Listener over a socket the fake bound itself,
// so the real port is known before Serve (mochi's WebSocket listener binds
// lazily) and every connection passes through the gate.
type listener struct {
	id, proto string
	ln        net.Listener
	gate      *gate
	prepare   func(net.Conn) (net.Conn, bool)
	ws        *http.Server // nil for TCP and TLS

	mu        sync.Mutex
	establish listeners.EstablishFn
	started   bool
	done      chan struct{}
	closeOnce sync.Once
}

func newListener(id, proto string, ln net.Listener, g *gate, log *slog.Logger, prepare func(net.Conn) (net.Conn, bool)) *listener {
	l := &listener{id: id, proto: proto, ln: ln, gate: g, prepare: prepare, done: make(chan struct{})}
	if proto == "ws" || proto == "wss" {
		up := &websocket.Upgrader{
			Subprotocols: []string{"mqtt"},
			CheckOrigin:  func(*http.Request) bool { return true },
		}
		l.ws = &http.Server{
			Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { l.serveWS(up, w, r) }),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug), // quiet unless asked
		}
	}
	return l
}

func (l *listener) ID() string                { return l.id }
func (l *listener) Address() string           { return l.ln.Addr().String() }
func (l *listener) Protocol() string          { return l.proto }
func (l *listener) Init(_ *slog.Logger) error { return nil }

// Serve is run by mochi in its own goroutine.
func (l *listener) Serve(establish listeners.EstablishFn) {
	l.mu.Lock()
	l.establish, l.started = establish, true
	l.mu.Unlock()
	defer close(l.done)
	if l.ws != nil {
		err := l.ws.Serve(l.ln)
		_ = err // http.ErrServerClosed after shutdown
		return
	}
	for {
		c, err := l.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if !l.gate.enter(c) {
			continue
		}
		go func() {
			defer l.gate.leave(c)
			l.handle(c)
		}()
	}
}

func (l *listener) handle(c net.Conn) {
	mc, ok := l.prepare(c)
	if !ok {
		return
	}
	l.mu.Lock()
	est := l.establish
	l.mu.Unlock()
	_ = est(l.id, mc) // errors are per-connection and already answered on the wire
	if m, ok := mc.(*mqttConn); ok {
		m.linger(lingerTimeout)
	}
}

func (l *listener) serveWS(up *websocket.Upgrader, w http.ResponseWriter, r *http.Request) {
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered with an HTTP error
	}
	c := &wsConn{Conn: ws.UnderlyingConn(), ws: ws}
	if !l.gate.enter(c) {
		return
	}
	defer l.gate.leave(c)
	l.handle(c)
}

// shutdown stops accepting; open connections are the gate's business.
func (l *listener) shutdown() {
	l.closeOnce.Do(func() {
		if l.ws != nil {
			_ = l.ws.Close()
		}
		_ = l.ln.Close()
	})
}

// waitServe returns once Serve has exited (or was never started).
func (l *listener) waitServe() {
	l.mu.Lock()
	started := l.started
	l.mu.Unlock()
	if started {
		<-l.done
	}
}

// Close is called by mochi's Close, after the fake has already drained the
// listener; it only lets mochi disconnect any client it still knows.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.shutdown()
	closeClients(l.id)
}

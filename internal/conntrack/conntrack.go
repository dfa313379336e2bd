// Package conntrack remembers a server's open client connections so a fake
// can count them and cut them all at the TCP level, as a network blip or a
// broker bounce would (every fake's DropConnections).
package conntrack

import (
	"net"
	"sync"
)

// Tracker is a set of open connections. The zero value is ready to use and
// safe for concurrent use.
type Tracker struct {
	mu    sync.Mutex
	conns map[*conn]struct{}
}

// Listener wraps ln so every connection it accepts is tracked until closed.
func (t *Tracker) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, t: t} }

// Track adds c to the set; closing the returned conn removes it.
func (t *Tracker) Track(c net.Conn) net.Conn {
	tc := &conn{Conn: c, t: t}
	t.mu.Lock()
	if t.conns == nil {
		t.conns = map[*conn]struct{}{}
	}
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	return tc
}

// Count reports how many tracked connections are open.
func (t *Tracker) Count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// CloseAll closes every tracked connection and reports how many it closed.
func (t *Tracker) CloseAll() int {
	t.mu.Lock()
	cs := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		cs = append(cs, c)
	}
	t.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	return len(cs)
}

type listener struct {
	net.Listener
	t *Tracker
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.t.Track(c), nil
}

type conn struct {
	net.Conn
	t *Tracker
}

func (c *conn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.Conn.Close()
}

// Unwrap returns the connection the tracker wraps (for TLS and type checks).
func (c *conn) Unwrap() net.Conn { return c.Conn }

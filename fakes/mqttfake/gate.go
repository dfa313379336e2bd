package mqttfake

import (
	"net"
	"sync"
)

// gate works around mochi's Close racing connection set-up (mochi #541,
// #424): every connection is handed to mochi only through the gate, which
// counts the handlers still running. Once shut, no new connection passes,
// every open one is closed, and wait returns when all handlers (and so all of
// mochi's attachClient calls) are done; only then is mochi's Close called.
type gate struct {
	mu    sync.Mutex
	shut  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newGate() *gate { return &gate{conns: map[net.Conn]struct{}{}} }

// enter registers c, or closes it and reports false if the gate is shut.
func (g *gate) enter(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		_ = c.Close()
		return false
	}
	g.conns[c] = struct{}{}
	g.wg.Add(1)
	return true
}

func (g *gate) leave(c net.Conn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	_ = c.Close()
	g.wg.Done()
}

// close shuts the gate and closes every connection still open.
func (g *gate) close() {
	g.mu.Lock()
	g.shut = true
	open := make([]net.Conn, 0, len(g.conns))
	for c := range g.conns {
		open = append(open, c)
	}
	g.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}

func (g *gate) wait() { g.wg.Wait() }

package nacosfake

import (
	"fmt"
	"net"
	"strconv"
	"sync"
)

// listenPair binds HTTP and gRPC listeners. Without an explicit gRPC address
// the gRPC port is HTTP+1000; with HTTP port 0 it retries until both are free.
func listenPair(httpAddr, grpcAddr string) (net.Listener, net.Listener, error) {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("nacosfake: bad address %q: %w", httpAddr, err)
	}
	tries := 1
	if port == "0" && grpcAddr == "" {
		tries = 100
	}
	var lastErr error
	for i := 0; i < tries; i++ {
		hl, err := net.Listen("tcp", httpAddr)
		if err != nil {
			return nil, nil, err
		}
		ga := grpcAddr
		if ga == "" {
			p := portOf(hl.Addr().String()) + GRPCPortOffset
			if p > 65535 {
				_ = hl.Close()
				lastErr = fmt.Errorf("nacosfake: gRPC port %d out of range", p)
				continue
			}
			ga = net.JoinHostPort(host, strconv.Itoa(p))
		}
		gl, err := net.Listen("tcp", ga)
		if err != nil {
			_ = hl.Close()
			lastErr = err
			continue
		}
		return hl, gl, nil
	}
	return nil, nil, lastErr
}

// trackingListener remembers accepted connections so DropConnections can
// cut them at the TCP level, as a network failure would.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

func (l *trackingListener) dropAll() int {
	l.mu.Lock()
	cs := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		cs = append(cs, c)
	}
	l.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	return len(cs)
}

type trackedConn struct {
	net.Conn
	l *trackingListener
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// DropConnections closes every gRPC connection at the TCP level; clients
// reconnect and redo their registrations. It returns how many were closed.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	ln := s.grpcLn
	s.mu.Unlock()
	return ln.dropAll()
}

package nacosfake

import (
	"fmt"
	"net"
	"strconv"
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

// DropConnections closes every client connection, gRPC and HTTP, at the
// TCP level, as a network failure would; SDK clients reconnect and redo
// their registrations. It returns how many connections were closed.
func (s *Server) DropConnections() int { return s.track.CloseAll() }

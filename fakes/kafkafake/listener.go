package kafkafake

import (
	"crypto/tls"
	"net"
	"strconv"
	"sync"
)

// listener binds the real socket, terminates TLS itself (so the frame shim
// sees plaintext), wraps every connection in a shim and reports the
// advertised address to kfake, which writes ln.Addr() into Metadata.
type listener struct {
	net.Listener
	advertised net.Addr
	tls        *tls.Config
	shim       *shimConfig

	mu    sync.Mutex
	conns map[*conn]struct{}
}

func newListenFn(cfg *config, tlsCfg *tls.Config, shim *shimConfig, track func(*listener)) func(string, string) (net.Listener, error) {
	return func(network, address string) (net.Listener, error) {
		_, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen(network, net.JoinHostPort(cfg.host, port))
		if err != nil {
			return nil, err
		}
		host := cfg.advertisedHost
		if host == "" {
			host = cfg.host
		}
		realPort := ln.Addr().(*net.TCPAddr).Port
		l := &listener{
			Listener:   ln,
			advertised: advertisedAddr(net.JoinHostPort(host, strconv.Itoa(realPort))),
			tls:        tlsCfg,
			shim:       shim,
			conns:      map[*conn]struct{}{},
		}
		track(l)
		return l, nil
	}
}

func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if l.tls != nil {
		nc = tls.Server(nc, l.tls)
	}
	c := newConn(nc, l.shim, l.forget)
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return c, nil
}

func (l *listener) Addr() net.Addr { return l.advertised }

func (l *listener) forget(c *conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// dropAll closes every client connection but keeps listening.
func (l *listener) dropAll() int {
	l.mu.Lock()
	conns := make([]*conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.drop()
	}
	return len(conns)
}

func (l *listener) port() int {
	return l.Listener.Addr().(*net.TCPAddr).Port
}

type advertisedAddr string

func (a advertisedAddr) Network() string { return "tcp" }
func (a advertisedAddr) String() string  { return string(a) }

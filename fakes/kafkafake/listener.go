package kafkafake

import (
	"crypto/tls"
	"net"
	"strconv"

	"github.com/brokerkit/brokerkit/internal/conntrack"
)

// listener binds the real socket, terminates TLS itself (so the frame shim
// sees plaintext), wraps every connection in a shim and reports the
// advertised address to kfake, which writes ln.Addr() into Metadata.
type listener struct {
	net.Listener
	advertised net.Addr
	tls        *tls.Config
	shim       *shimConfig
	conns      *conntrack.Tracker
}

func newListenFn(cfg *config, tlsCfg *tls.Config, shim *shimConfig, conns *conntrack.Tracker, track func(*listener)) func(string, string) (net.Listener, error) {
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
			conns:      conns,
		}
		track(l)
		return l, nil
	}
}

// Accept tracks the raw socket, so DropConnections cuts it at the TCP
// level without a word, as a network failure would.
func (l *listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	nc = l.conns.Track(nc)
	if l.tls != nil {
		nc = tls.Server(nc, l.tls)
	}
	return newConn(nc, l.shim), nil
}

func (l *listener) Addr() net.Addr { return l.advertised }

func (l *listener) port() int {
	return l.Listener.Addr().(*net.TCPAddr).Port
}

type advertisedAddr string

func (a advertisedAddr) Network() string { return "tcp" }
func (a advertisedAddr) String() string  { return string(a) }

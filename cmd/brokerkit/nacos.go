package main

import (
	"context"
	"flag"
	"net"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func init() { register(&nacosBackend{}) }

type nacosBackend struct {
	port, grpcPort int
	seedDir        string
}

func (*nacosBackend) name() string { return "nacos" }

func (n *nacosBackend) flags(fs *flag.FlagSet) {
	*n = nacosBackend{} // each up starts from the defaults (repeatable flags append)
	fs.IntVar(&n.port, "nacos-port", 8848, "Nacos HTTP port")
	fs.IntVar(&n.grpcPort, "nacos-grpc-port", -1, "Nacos gRPC port (-1: HTTP port + 1000, as Nacos does)")
	fs.StringVar(&n.seedDir, "nacos-seed-dir", "", "load configs from DIR/<namespace>/<group>/<dataId> at start")
}

func (n *nacosBackend) start(_ context.Context, c *common) (*running, error) {
	grpcPort := n.grpcPort
	if grpcPort < 0 {
		grpcPort = n.port + 1000
		if n.port == 0 {
			grpcPort = 0 // let the fake pick a free HTTP/gRPC pair
		}
	}
	opts := []nacosfake.Option{nacosfake.WithAddr(net.JoinHostPort(c.host, strconv.Itoa(n.port)))}
	if n.port != 0 || n.grpcPort >= 0 {
		opts = append(opts, nacosfake.WithGRPCAddr(net.JoinHostPort(c.host, strconv.Itoa(grpcPort))))
	}
	var notes []string
	for _, u := range c.users {
		opts = append(opts, nacosfake.WithUser(u.name, u.password))
		notes = append(notes, "auth required; user "+u.name)
	}
	if c.tls != nil {
		cfg, err := c.tls.ServerConfig(c.host)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nacosfake.WithTLSConfig(cfg))
		notes = append(notes, "TLS on HTTP and gRPC")
	}
	dir, err := c.dir("nacos")
	if err != nil {
		return nil, err
	}
	if dir != "" {
		opts = append(opts, nacosfake.WithDataDir(dir))
		notes = append(notes, "configs and persistent instances kept in "+dir)
	}
	srv, err := nacosfake.New(opts...)
	if err != nil {
		return nil, err
	}
	if n.seedDir != "" {
		if err := srv.LoadSeedDir(n.seedDir); err != nil {
			srv.Close()
			return nil, err
		}
		notes = append(notes, "configs seeded from "+n.seedDir)
	}
	env := map[string]string{"BROKERKIT_NACOS_ADDR": srv.Addr(), "BROKERKIT_NACOS_GRPC_PORT": strconv.Itoa(srv.GRPCPort())}
	if c.caFile != "" {
		env["BROKERKIT_NACOS_CA"] = c.caFile
	}
	if len(c.users) > 0 {
		env["BROKERKIT_NACOS_USER"] = c.users[0].name + ":" + c.users[0].password
	}
	return &running{
		Name:  "nacos",
		Addrs: map[string]string{"http": srv.Addr(), "grpc": srv.GRPCAddr()},
		Env:   env,
		Notes: notes,
		fake:  srv,
		close: srv.Close,
	}, nil
}

package main

import (
	"context"
	"flag"
	"net"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

func init() { register(&pulsarBackend{}) }

type pulsarBackend struct {
	port, adminPort int
	tokens          stringList
	oauth2          userList
}

func (*pulsarBackend) name() string { return "pulsar" }

func (p *pulsarBackend) flags(fs *flag.FlagSet) {
	// The backend is registered once per process; a second run (tests run
	// `up` in process) must not inherit the repeatable flags of the first.
	p.tokens, p.oauth2 = nil, nil
	fs.IntVar(&p.port, "pulsar-port", 6650, "Pulsar binary protocol port")
	fs.IntVar(&p.adminPort, "pulsar-admin-port", 8080, "Pulsar admin REST port")
	fs.Var(&p.tokens, "pulsar-token", "require token auth and accept this token (repeatable)")
	fs.Var(&p.oauth2, "pulsar-oauth2-client", "require auth and serve an OAuth2 issuer that knows this id:secret (repeatable)")
}

func (p *pulsarBackend) start(_ context.Context, c *common) (*running, error) {
	hostPort := func(port int) string { return net.JoinHostPort(c.host, strconv.Itoa(port)) }
	opts := []pulsarfake.Option{pulsarfake.WithAddr(hostPort(p.port)), pulsarfake.WithAdminAddr(hostPort(p.adminPort))}
	var notes []string
	if len(p.tokens) > 0 {
		opts = append(opts, pulsarfake.WithTokens(p.tokens...))
		notes = append(notes, "token auth required (--pulsar-token)")
	}
	for _, u := range c.users {
		opts = append(opts, pulsarfake.WithUser(u.name, u.password))
	}
	if len(c.users) > 0 {
		notes = append(notes, "basic auth required for "+userNames(c.users))
	}
	for _, cl := range p.oauth2 {
		opts = append(opts, pulsarfake.WithOAuth2(cl.name, cl.password))
	}
	dir, err := c.dir("pulsar")
	if err != nil {
		return nil, err
	}
	if dir != "" {
		opts = append(opts, pulsarfake.WithDataDir(dir))
		notes = append(notes, "data kept in "+dir)
	}
	if c.tls != nil {
		notes = append(notes, "no TLS: the Pulsar fake serves plaintext only")
	}
	srv, err := pulsarfake.New(opts...)
	if err != nil {
		return nil, err
	}
	if u := srv.OAuth2IssuerURL(); u != "" {
		notes = append(notes, "OAuth2 issuer (client credentials): "+u)
	}
	env := map[string]string{"BROKERKIT_PULSAR_URL": srv.ServiceURL(), "BROKERKIT_PULSAR_ADMIN_URL": srv.AdminURL()}
	if len(p.tokens) > 0 {
		env["BROKERKIT_PULSAR_TOKEN"] = p.tokens[0]
	}
	if len(c.users) > 0 {
		env["BROKERKIT_PULSAR_USER"], env["BROKERKIT_PULSAR_PASSWORD"] = c.users[0].name, c.users[0].password
	}
	return &running{
		Name:  "pulsar",
		Addrs: map[string]string{"service": srv.ServiceURL(), "admin": srv.AdminURL()},
		Env:   env,
		Notes: notes,
		close: srv.Close,
	}, nil
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

func init() { register(&pulsarBackend{}) }

type pulsarBackend struct {
	port, adminPort int
	tokens          stringList
	oauth2          userList
	maxMessageSize  int
	maxPartitions   int
}

func (*pulsarBackend) name() string { return "pulsar" }

func (p *pulsarBackend) flags(fs *flag.FlagSet) {
	*p = pulsarBackend{} // each up starts from the defaults (repeatable flags append)
	fs.IntVar(&p.port, "pulsar-port", 6650, "Pulsar binary protocol port")
	fs.IntVar(&p.adminPort, "pulsar-admin-port", 8080, "Pulsar admin REST port")
	fs.IntVar(&p.maxMessageSize, "pulsar-max-message-size", 5<<20, "Pulsar maxMessageSize in bytes (the broker's default: 5 MiB)")
	fs.IntVar(&p.maxPartitions, "pulsar-max-partitions", 10000, "Pulsar maxNumPartitionsPerPartitionedTopic (0: no cap)")
	fs.Var(&p.tokens, "pulsar-token", "require token auth and accept this token (repeatable)")
	fs.Var(&p.oauth2, "pulsar-oauth2-client", "require auth and serve an OAuth2 issuer that knows this id:secret (repeatable)")
}

func (p *pulsarBackend) start(_ context.Context, c *common) (*running, error) {
	hostPort := func(port int) string { return net.JoinHostPort(c.host, strconv.Itoa(port)) }
	opts := []pulsarfake.Option{pulsarfake.WithAddr(hostPort(p.port)), pulsarfake.WithAdminAddr(hostPort(p.adminPort)),
		pulsarfake.WithMaxMessageSize(p.maxMessageSize), pulsarfake.WithMaxPartitions(p.maxPartitions)}
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
	closeAll := srv.Close
	if u := srv.OAuth2IssuerURL(); u != "" {
		keyNotes, cleanup, err := writeOAuth2Keys(srv, p.oauth2)
		if err != nil {
			srv.Close()
			return nil, err
		}
		notes = append(append(notes, "OAuth2 issuer (client credentials): "+u), keyNotes...)
		closeAll = func() error { defer cleanup(); return srv.Close() }
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
		fake:  srv,
		close: closeAll,
	}, nil
}

// writeOAuth2Keys writes each OAuth2 client's key file (the issuer_url +
// credentials JSON Pulsar clients read as "privateKey") into a folder removed
// when up stops, and says where, with a ready authParams value.
func writeOAuth2Keys(srv *pulsarfake.Server, clients userList) (notes []string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "brokerkit-pulsar-oauth2-")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	for i, cl := range clients {
		path := filepath.Join(dir, fmt.Sprintf("client-%d.json", i+1)) // ids may hold any character
		if err := srv.WriteOAuth2KeyFile(path, cl.name); err != nil {
			cleanup()
			return nil, nil, err
		}
		params, _ := json.Marshal(map[string]string{
			"type": "client_credentials", "issuerUrl": srv.OAuth2IssuerURL(), "audience": "urn:pulsar", "privateKey": "file://" + path,
		})
		notes = append(notes, "OAuth2 key file for "+cl.name+": "+path, "  authParams: "+string(params))
	}
	return notes, cleanup, nil
}

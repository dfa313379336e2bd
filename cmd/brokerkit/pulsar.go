package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

	tlsPort, adminTLSPort     int
	tlsCert, tlsKey, tlsTrust string // given certificates (the suite's), instead of --tls's CA
	tlsAuth                   bool
	anonymousRole             string
	authorization             bool
	superUsers                stringList
	secretKeyFile             string
	advertisedHost            string
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
	fs.IntVar(&p.tlsPort, "pulsar-tls-port", 6651, "Pulsar pulsar+ssl port, served with --tls or --pulsar-tls-cert")
	fs.IntVar(&p.adminTLSPort, "pulsar-admin-tls-port", 8443, "Pulsar admin https port, served with --tls or --pulsar-tls-cert")
	fs.StringVar(&p.tlsCert, "pulsar-tls-cert", "", "Pulsar TLS certificate PEM file (tlsCertificateFilePath; instead of --tls's CA)")
	fs.StringVar(&p.tlsKey, "pulsar-tls-key", "", "Pulsar TLS key PEM file (tlsKeyFilePath)")
	fs.StringVar(&p.tlsTrust, "pulsar-tls-trust", "", "CA PEM file that client certificates must chain to (tlsTrustCertsFilePath)")
	fs.BoolVar(&p.tlsAuth, "pulsar-tls-auth", false, "require auth and accept client certificates, role = common name (AuthenticationProviderTls)")
	fs.StringVar(&p.anonymousRole, "pulsar-anonymous-role", "", "with auth on, let clients without credentials in with this role (anonymousUserRole)")
	fs.BoolVar(&p.authorization, "pulsar-authorization", false, "produce/consume only as a superuser, tenant admin or with a granted permission (authorizationEnabled)")
	fs.Var(&p.superUsers, "pulsar-superuser", "a superuser role (superUserRoles; repeatable; implies --pulsar-authorization)")
	fs.StringVar(&p.secretKeyFile, "pulsar-token-secret-key", "", "require auth and accept HS256 JWTs signed with this key file, role = sub (tokenSecretKey)")
	fs.StringVar(&p.advertisedHost, "pulsar-advertised-host", "", "host Pulsar lookups send clients to (advertisedAddress; default: --host)")
}

func (p *pulsarBackend) start(_ context.Context, c *common) (*running, error) {
	hostPort := func(port int) string { return net.JoinHostPort(c.host, strconv.Itoa(port)) }
	opts := []pulsarfake.Option{pulsarfake.WithAddr(hostPort(p.port)), pulsarfake.WithAdminAddr(hostPort(p.adminPort)),
		pulsarfake.WithMaxMessageSize(p.maxMessageSize), pulsarfake.WithMaxPartitions(p.maxPartitions),
		pulsarfake.WithTLSAddr(hostPort(p.tlsPort)), pulsarfake.WithAdminTLSAddr(hostPort(p.adminTLSPort))}
	if p.advertisedHost != "" {
		opts = append(opts, pulsarfake.WithAdvertisedAddress(net.JoinHostPort(p.advertisedHost, strconv.Itoa(p.port))))
	}
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
	more, moreNotes, err := p.securityOptions(c)
	if err != nil {
		return nil, err
	}
	opts, notes = append(opts, more...), append(notes, moreNotes...)
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
	addrs := map[string]string{"service": srv.ServiceURL(), "admin": srv.AdminURL()}
	if u := srv.ServiceURLTLS(); u != "" {
		env["BROKERKIT_PULSAR_TLS_URL"], env["BROKERKIT_PULSAR_ADMIN_TLS_URL"] = u, srv.AdminURLTLS()
		addrs["service-tls"], addrs["admin-tls"] = u, srv.AdminURLTLS()
		if c.caFile != "" && p.tlsCert == "" {
			env["BROKERKIT_PULSAR_CA"] = c.caFile
		}
	}
	if len(c.users) > 0 {
		env["BROKERKIT_PULSAR_USER"], env["BROKERKIT_PULSAR_PASSWORD"] = c.users[0].name, c.users[0].password
	}
	return &running{
		Name:  "pulsar",
		Addrs: addrs,
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

// securityOptions are the TLS listeners (--tls's CA or given files) and the
// authentication providers beyond tokens and users.
func (p *pulsarBackend) securityOptions(c *common) (opts []pulsarfake.Option, notes []string, err error) {
	switch {
	case p.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(p.tlsCert, p.tlsKey)
		if err != nil {
			return nil, nil, fmt.Errorf("--pulsar-tls-cert: %w", err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if p.tlsTrust != "" {
			pemData, err := os.ReadFile(p.tlsTrust)
			if err != nil {
				return nil, nil, fmt.Errorf("--pulsar-tls-trust: %w", err)
			}
			cfg.ClientCAs = x509.NewCertPool()
			if !cfg.ClientCAs.AppendCertsFromPEM(pemData) {
				return nil, nil, fmt.Errorf("--pulsar-tls-trust: no certificate in %s", p.tlsTrust)
			}
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		}
		opts = append(opts, pulsarfake.WithTLSConfig(cfg))
		notes = append(notes, "TLS (pulsar+ssl, https) with "+p.tlsCert)
	case c.tls != nil:
		cfg, err := c.tls.ServerConfig(c.host, p.advertisedHost)
		if err != nil {
			return nil, nil, err
		}
		cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, c.tls.Pool()
		opts = append(opts, pulsarfake.WithTLSConfig(cfg))
		notes = append(notes, "TLS (pulsar+ssl, https)")
	}
	if p.tlsAuth {
		opts = append(opts, pulsarfake.WithTLSAuth())
		notes = append(notes, "client certificates accepted (role = common name)")
	}
	if p.secretKeyFile != "" {
		key, err := os.ReadFile(p.secretKeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--pulsar-token-secret-key: %w", err)
		}
		opts = append(opts, pulsarfake.WithJWTSecret(key))
		notes = append(notes, "JWTs signed with "+p.secretKeyFile+" accepted (role = sub)")
	}
	if p.anonymousRole != "" {
		opts = append(opts, pulsarfake.WithAnonymousRole(p.anonymousRole))
		notes = append(notes, "clients without credentials get role "+p.anonymousRole)
	}
	if p.authorization || len(p.superUsers) > 0 {
		opts = append(opts, pulsarfake.WithAuthorization(p.superUsers...))
		notes = append(notes, "authorization on, superusers: "+p.superUsers.String())
	}
	return opts, notes, nil
}

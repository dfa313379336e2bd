package pulsarfake

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/brokerkit/brokerkit/internal/tlsca"
)

// setupTLS picks the server TLS configuration: the given one, or a
// certificate from a generated CA that also verifies client certificates
// when they are presented (AuthenticationProviderTls needs them).
func (s *Server) setupTLS() error {
	switch {
	case s.opts.tlsConfig != nil:
		s.serverTLS = s.opts.tlsConfig
	case s.opts.genTLS:
		ca, err := tlsca.New()
		if err != nil {
			return fmt.Errorf("pulsarfake: TLS CA: %w", err)
		}
		host, _, _ := net.SplitHostPort(s.opts.advertisedAddress)
		cfg, err := ca.ServerConfig(host)
		if err != nil {
			return fmt.Errorf("pulsarfake: TLS certificate: %w", err)
		}
		cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, ca.Pool()
		s.ca, s.serverTLS = ca, cfg
	}
	return nil
}

// listenTLS opens the pulsar+ssl listener. LOOKUP answers name it with the
// advertised host and the listener's port.
func (s *Server) listenTLS() error {
	ln, err := net.Listen("tcp", s.opts.tlsAddr)
	if err != nil {
		return fmt.Errorf("pulsarfake: TLS listen %s: %w", s.opts.tlsAddr, err)
	}
	s.tlsLn = tls.NewListener(s.tracker.Listener(ln), s.serverTLS)
	s.serviceURLTLS = "pulsar+ssl://" + sameHost(s.advertised, ln.Addr())
	return nil
}

// sameHost is advertised's host with the port of a.
func sameHost(advertised string, a net.Addr) string {
	host, _, _ := net.SplitHostPort(advertised)
	_, port, _ := net.SplitHostPort(a.String())
	return net.JoinHostPort(host, port)
}

// authenticateTLS is AuthenticationProviderTls: the role is the common
// name of the client certificate the handshake verified.
func (s *Server) authenticateTLS(state *tls.ConnectionState) (string, error) {
	if !s.opts.tlsAuth {
		return "", errors.New(`no authentication provider for method "tls"`)
	}
	if state == nil || len(state.PeerCertificates) == 0 {
		return "", errors.New("no client certificate")
	}
	return state.PeerCertificates[0].Subject.CommonName, nil
}

// ServiceURLTLS is the pulsar+ssl:// URL of the TLS listener, or "" without
// WithTLS or WithTLSConfig.
func (s *Server) ServiceURLTLS() string { return s.serviceURLTLS }

// AdminURLTLS is the https:// base URL of the admin API, or "" without TLS
// or with WithoutAdmin.
func (s *Server) AdminURLTLS() string { return s.adminURLTLS }

// ClientTLSConfig returns a client config trusting the generated CA (nil
// without WithTLS, or with WithTLSConfig).
func (s *Server) ClientTLSConfig() *tls.Config { return s.ca.ClientConfig() }

// CACertPEM returns the generated CA certificate (nil without WithTLS, or
// with WithTLSConfig).
func (s *Server) CACertPEM() []byte { return s.ca.CertPEM() }

// WriteCACert writes the generated CA certificate to path, for
// pulsar.ClientOptions.TLSTrustCertsFilePath.
func (s *Server) WriteCACert(path string) error {
	if s.ca == nil {
		return errors.New("pulsarfake: no generated CA (WithTLS)")
	}
	return s.ca.WriteCertPEM(path)
}

// IssueClientCert signs a client certificate for role (its common name)
// with the generated CA and writes it and its key to certPath and keyPath,
// for pulsar.NewAuthenticationTLS.
func (s *Server) IssueClientCert(role, certPath, keyPath string) error {
	if s.ca == nil {
		return errors.New("pulsarfake: no generated CA (WithTLS)")
	}
	certPEM, keyPEM, err := s.ca.IssueClientPEM(role)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, keyPEM, 0o600)
}

// authenticate checks a connection's credentials; method "tls" reads the
// certificate of the connection's handshake.
func (c *conn) authenticate(method string, data []byte) (string, error) {
	if method != "tls" || !c.s.opts.authRequired {
		return c.s.authenticate(method, data)
	}
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return "", errors.New("method tls on a plaintext connection")
	}
	state := tc.ConnectionState()
	return c.s.authenticateTLS(&state)
}

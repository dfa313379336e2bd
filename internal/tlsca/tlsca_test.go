package tlsca

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestHandshakeTrustsOnlyThisCA(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.ServerConfig("broker.test")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()

	c, err := tls.Dial("tcp", ln.Addr().String(), ca.ClientConfig())
	if err != nil {
		t.Fatalf("client trusting the CA: %v", err)
	}
	c.Close()

	other, _ := New()
	if c, err := tls.Dial("tcp", ln.Addr().String(), other.ClientConfig()); err == nil {
		c.Close()
		t.Fatal("a client trusting another CA completed the handshake")
	}

	cfg := ca.ClientConfig()
	cfg.ServerName = "broker.test"
	d := &net.Dialer{}
	c2, err := tls.DialWithDialer(d, "tcp", ln.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("SAN broker.test: %v", err)
	}
	c2.Close()

	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := ca.WriteCertPEM(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != string(ca.CertPEM()) || len(b) == 0 {
		t.Fatal("written PEM differs")
	}
}

func TestClientConfigFromFile(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "bad.pem")
	if err := ca.WriteCertPEM(good); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := ClientConfigFromFile(good)
	if err != nil || !cfg.RootCAs.Equal(ca.Pool()) {
		t.Fatalf("ClientConfigFromFile(ca.pem) = %v, %v; want a config trusting the CA", cfg, err)
	}
	for _, p := range []string{bad, filepath.Join(dir, "missing.pem")} {
		if _, err := ClientConfigFromFile(p); err == nil {
			t.Errorf("ClientConfigFromFile(%s) succeeded", p)
		}
	}
}

func TestIssueClientPEMChainsToTheCA(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueClientPEM("admin")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "admin" {
		t.Fatalf("common name %q", cert.Subject.CommonName)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
}

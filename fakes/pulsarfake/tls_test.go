package pulsarfake_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

// tlsClient connects over serviceURL (pulsar+ssl:// or https://) trusting
// the fake's generated CA, as clients do: from a file.
func tlsClient(t *testing.T, srv *pulsarfake.Server, serviceURL string, auth pulsar.Authentication) pulsar.Client {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, srv.WriteCACert(ca))
	return newClient(t, srv, func(o *pulsar.ClientOptions) {
		o.URL, o.TLSTrustCertsFilePath, o.Authentication = serviceURL, ca, auth
		o.TLSValidateHostname = true
		o.OperationTimeout = 3 * time.Second
	})
}

func roundTrip(t *testing.T, cl pulsar.Client) error {
	t.Helper()
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	if err != nil {
		return err
	}
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	if err != nil {
		return err
	}
	defer p.Close()
	produce(t, p, payloads(3, "m")...)
	require.Equal(t, []string{"m-0", "m-1", "m-2"}, strs(receive(t, cons, 3, true)))
	return nil
}

func TestTLSBinaryAndHTTPLookup(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTLS())
	require.Regexp(t, `^pulsar\+ssl://127\.0\.0\.1:\d+$`, srv.ServiceURLTLS())
	require.Regexp(t, `^https://127\.0\.0\.1:\d+$`, srv.AdminURLTLS())
	t.Run("pulsar+ssl", func(t *testing.T) {
		// The client takes brokerServiceUrlTls from LOOKUP: a missing one fails.
		require.NoError(t, roundTrip(t, tlsClient(t, srv, srv.ServiceURLTLS(), nil)))
	})
	t.Run("https lookup", func(t *testing.T) {
		// The HTTP lookup service answers brokerUrlTls, which the client dials.
		require.NoError(t, roundTrip(t, tlsClient(t, srv, srv.AdminURLTLS(), nil)))
	})
	t.Run("untrusted", func(t *testing.T) {
		cl := newClient(t, srv, func(o *pulsar.ClientOptions) {
			o.URL, o.OperationTimeout = srv.ServiceURLTLS(), 1500*time.Millisecond
		})
		_, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic(t)})
		require.Error(t, err)
	})
}

func TestTLSClientCertificateAuth(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTLS(), pulsarfake.WithTLSAuth(), pulsarfake.WithTokens("tok"))
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	require.NoError(t, srv.IssueClientCert("admin", cert, key))

	cl := tlsClient(t, srv, srv.ServiceURLTLS(), pulsar.NewAuthenticationTLS(cert, key))
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(1, "x")...)
	prods := srv.Producers(topic)
	require.Len(t, prods, 1)
	require.Equal(t, "admin", prods[0].Role, "the role is the certificate's common name")

	// Tokens still work next to certificates; no credentials do not.
	require.NoError(t, roundTrip(t, tlsClient(t, srv, srv.ServiceURLTLS(), pulsar.NewAuthenticationToken("tok"))))
	bare := tlsClient(t, srv, srv.ServiceURLTLS(), nil)
	_, err = bare.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic(t)})
	require.Error(t, err)
}

func TestTLSAuthNeedsACertificate(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTLS(), pulsarfake.WithTLSAuth())
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	require.NoError(t, srv.IssueClientCert("admin", cert, key))
	// Method "tls" over plaintext has no handshake certificate to read.
	require.Error(t, tryProduce(t, srv, pulsar.NewAuthenticationTLS(cert, key)))
}

func TestAnonymousRole(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTokens("tok"), pulsarfake.WithAnonymousRole("anonymous"))
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	require.Equal(t, "anonymous", srv.Producers(topic)[0].Role)
	require.NoError(t, tryProduce(t, srv, pulsar.NewAuthenticationToken("tok")))
	// Wrong credentials are refused, not downgraded to anonymous.
	require.Error(t, tryProduce(t, srv, pulsar.NewAuthenticationToken("bad")))
}

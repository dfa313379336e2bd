package mqttfake

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/mqttprobe"
)

func TestTLS(t *testing.T) {
	s := newServer(t, WithTLS())
	require.NotEmpty(t, s.TLSAddr())
	require.NotEqual(t, s.Addr(), s.TLSAddr())
	c := mustV5TLS(t, s.TLSAddr(), s.ClientTLSConfig(), "tls")
	c.sub(t, "t", 1)
	c.pub(t, "t", "over tls", 1, false)
	require.Equal(t, "over tls", string(c.next(t).Payload))

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(s.CACertPEM()))
	require.Equal(t, "mqtts://"+s.TLSAddr(), s.TLSURL())
}

func TestWebSocket(t *testing.T) {
	s := newServer(t, WithWebSocket(), WithSecureWebSocket())
	require.Regexp(t, `^ws://127\.0\.0\.1:\d+/mqtt$`, s.WSURL())
	require.Regexp(t, `^wss://127\.0\.0\.1:\d+/mqtt$`, s.WSSURL())
	require.Empty(t, s.TLSAddr(), "wss alone adds no mqtts listener")
	for _, raw := range []string{s.WSURL(), s.WSSURL()} {
		t.Run(strings.SplitN(raw, ":", 2)[0], func(t *testing.T) { testWebSocket(t, s, raw) })
	}
}

func testWebSocket(t *testing.T, s *Server, raw string) {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	id := "ws-" + u.Scheme
	require.NoError(t, mqttprobe.RoundTrip(ctx(t), raw, id, s.ClientTLSConfig(), func() error {
		ci, ok := s.Client(id)
		if !ok || ci.Listener != u.Scheme {
			return fmt.Errorf("client %s: %+v (found %v), want listener %s", id, ci, ok, u.Scheme)
		}
		return nil
	}))
}

package mqttfake

import (
	"context"
	"crypto/x509"
	"net/url"
	"strings"
	"testing"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"
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

	got := make(chan *paho.Publish, 1)
	ready := make(chan struct{}, 1)
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cm, err := autopaho.NewConnection(cctx, autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		TlsCfg:                        s.ClientTLSConfig(),
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		OnConnectionUp:                func(*autopaho.ConnectionManager, *paho.Connack) { ready <- struct{}{} },
		ClientConfig: paho.ClientConfig{
			ClientID: id,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) { got <- pr.Packet; return true, nil },
			},
		},
	})
	require.NoError(t, err)
	select {
	case <-ready:
	case <-ctx(t).Done():
		t.Fatal("no WebSocket connection")
	}
	_, err = cm.Subscribe(ctx(t), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: id, QoS: 1}}})
	require.NoError(t, err)
	ci, ok := s.Client(id)
	require.True(t, ok)
	require.Equal(t, u.Scheme, ci.Listener)
	_, err = cm.Publish(ctx(t), &paho.Publish{Topic: id, Payload: []byte("over " + u.Scheme), QoS: 1})
	require.NoError(t, err)
	select {
	case m := <-got:
		require.Equal(t, "over "+u.Scheme, string(m.Payload))
	case <-ctx(t).Done():
		t.Fatal("no message over WebSocket")
	}
	require.NoError(t, cm.Disconnect(ctx(t)))
}

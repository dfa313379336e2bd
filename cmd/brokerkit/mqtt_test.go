package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"
)

// With --tls, MQTT is served on the common cloud-broker layout — TCP, TLS,
// WebSocket and WebSocket over TLS — each printed as a URL, and a real
// client trusting only the printed CA file reaches every one of them.
func TestUpTLSServesFourMQTTListeners(t *testing.T) {
	out, stop := startUp(t, "--only", "mqtt", "--mqtt-port", "0", "--mqtt-tls-port", "0",
		"--mqtt-ws-port", "0", "--mqtt-wss-port", "0", "--tls")
	defer stop()
	require.NotEmpty(t, out.CAFile)
	var addrs map[string]string
	for _, b := range out.Backends {
		if b.Name == "mqtt" {
			addrs = b.Addrs
		}
	}
	want := map[string]string{"tcp": "mqtt://", "tls": "mqtts://", "websocket": "ws://", "websocket-tls": "wss://"}
	require.Len(t, addrs, len(want), "%v", addrs)
	for role, scheme := range want {
		require.True(t, strings.HasPrefix(addrs[role], scheme), "%s: %q", role, addrs[role])
		t.Run(role, func(t *testing.T) { roundTripMQTT(t, addrs[role], out.CAFile) })
	}
}

// roundTripMQTT subscribes and publishes through autopaho (paho.golang) on
// raw, trusting the CA in caFile.
func roundTripMQTT(t *testing.T, raw, caFile string) {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan *paho.Publish, 1)
	up := make(chan struct{}, 1)
	id := "up-" + u.Scheme
	cm, err := autopaho.NewConnection(ctx, autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		TlsCfg:                        mustCAPool(t, caFile),
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		OnConnectionUp:                func(*autopaho.ConnectionManager, *paho.Connack) { up <- struct{}{} },
		ClientConfig: paho.ClientConfig{
			ClientID: id,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) { got <- pr.Packet; return true, nil },
			},
		},
	})
	require.NoError(t, err)
	select {
	case <-up:
	case <-ctx.Done():
		t.Fatalf("no connection to %s", raw)
	}
	_, err = cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: id, QoS: 1}}})
	require.NoError(t, err)
	_, err = cm.Publish(ctx, &paho.Publish{Topic: id, QoS: 1, Payload: []byte("over " + u.Scheme)})
	require.NoError(t, err)
	select {
	case m := <-got:
		require.Equal(t, "over "+u.Scheme, string(m.Payload))
	case <-ctx.Done():
		t.Fatalf("no message over %s", raw)
	}
	require.NoError(t, cm.Disconnect(ctx))
	<-cm.Done()
}

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/mqttprobe"
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
		t.Run(role, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			require.NoError(t, mqttprobe.RoundTrip(ctx, addrs[role], "up-"+role, mustCAPool(t, out.CAFile), nil))
		})
	}
}

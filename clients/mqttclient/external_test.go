package mqttclient_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
)

// TestExternalBroker runs the basic flow against a real broker when
// BROKERKIT_MQTT_ADDR is set (e.g. Mosquitto from .ci/mqtt/start-mosquitto.sh).
func TestExternalBroker(t *testing.T) {
	addr := os.Getenv("BROKERKIT_MQTT_ADDR")
	if addr == "" {
		t.Skip("BROKERKIT_MQTT_ADDR not set")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "brokerkit-test/" + hex.EncodeToString(b)

	c := connect(t, mqttclient.Endpoint{URLs: []string{addr}})
	require.NoError(t, c.Publish(ctx(t), prefix+"/retained", []byte("r"), 1, true))
	msgs, err := c.SubscribeChan(ctx(t), prefix+"/#", 2, 10)
	require.NoError(t, err)
	m := recv(t, msgs)
	require.Equal(t, "r", string(m.Payload))
	require.True(t, m.Retain)
	for qos := byte(0); qos <= 2; qos++ {
		require.NoError(t, c.Publish(ctx(t), prefix+"/live", []byte{'0' + qos}, qos, false))
		m := recv(t, msgs)
		require.Equal(t, []byte{'0' + qos}, m.Payload)
		require.Equal(t, qos, m.QoS)
	}
	require.NoError(t, c.Publish(ctx(t), prefix+"/retained", nil, 1, true)) // clear it
	recv(t, msgs)
	require.NoError(t, c.Unsubscribe(ctx(t), prefix+"/#"))
}

package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
	"github.com/brokerkit/brokerkit/clients/pulsarclient"
)

// TestUpKeepsEveryBackendsDataAcrossRestarts stops `brokerkit up` and
// starts it again on the same --data-dir: an MQTT retained message, a
// Pulsar message and a Nacos config must all still be there.
func TestUpKeepsEveryBackendsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--only", "mqtt,pulsar,nacos", "--mqtt-port", "0", "--pulsar-port", "0",
		"--pulsar-admin-port", "0", "--nacos-port", "0", "--data-dir", dir}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic = "persistent://public/default/kept"

	out, stop := startUp(t, args...)
	addrs := byName(out)
	mq, err := mqttclient.New(mqttclient.Endpoint{URLs: []string{addrs["mqtt"]["tcp"]}})
	require.NoError(t, err)
	require.NoError(t, mq.Publish(ctx, "devices/d1/status", []byte("online"), 1, true))
	require.NoError(t, mq.Close())

	pc, err := pulsarclient.New(pulsarclient.Endpoint{URL: addrs["pulsar"]["service"]})
	require.NoError(t, err)
	p, err := pc.Producer(topic)
	require.NoError(t, err)
	_, err = p.Send(ctx, pulsarclient.Message{Payload: []byte("kept")})
	require.NoError(t, err)
	p.Close()
	pc.Close()

	nacos := "http://" + addrs["nacos"]["http"] + "/nacos/v1/cs/configs"
	resp, err := http.PostForm(nacos, url.Values{"dataId": {"app.yaml"}, "group": {"DEFAULT_GROUP"}, "content": {"port: 8080"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 0, stop())

	out, _ = startUp(t, args...)
	addrs = byName(out)

	mq, err = mqttclient.New(mqttclient.Endpoint{URLs: []string{addrs["mqtt"]["tcp"]}})
	require.NoError(t, err)
	defer mq.Close()
	msgs, err := mq.SubscribeChan(ctx, "devices/+/status", 1, 4)
	require.NoError(t, err)
	select {
	case m := <-msgs:
		require.Equal(t, "online", string(m.Payload))
		require.True(t, m.Retain)
	case <-ctx.Done():
		t.Fatal("the retained message did not survive the restart")
	}

	pc, err = pulsarclient.New(pulsarclient.Endpoint{URL: addrs["pulsar"]["service"]})
	require.NoError(t, err)
	defer pc.Close()
	c, err := pc.Subscribe(topic, "after-restart", pulsarclient.Exclusive, pulsarclient.FromEarliest())
	require.NoError(t, err)
	defer c.Close()
	m, err := c.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, "kept", string(m.Payload()))

	resp, err = http.Get("http://" + addrs["nacos"]["http"] + "/nacos/v1/cs/configs?dataId=app.yaml&group=DEFAULT_GROUP")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "port: 8080", strings.TrimSpace(string(body)))
}

func byName(out upOutput) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, b := range out.Backends {
		m[b.Name] = b.Addrs
	}
	return m
}

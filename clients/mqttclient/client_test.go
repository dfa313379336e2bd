package mqttclient_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wait = 10 * time.Second

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return c
}

func fake(t *testing.T, opts ...mqttfake.Option) *mqttfake.Server {
	t.Helper()
	s, err := mqttfake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) }) // registered first: runs after the clients close
	return s
}

func connect(t *testing.T, ep mqttclient.Endpoint) *mqttclient.Client {
	t.Helper()
	c, err := mqttclient.New(ep)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

func recv(t *testing.T, ch <-chan mqttclient.Message) mqttclient.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		t.Fatal("no message")
		return mqttclient.Message{}
	}
}

func TestPublishSubscribe(t *testing.T) {
	s := fake(t)
	c := connect(t, mqttclient.Endpoint{URLs: []string{s.URL()}, ClientID: "c1"})
	require.Equal(t, "c1", c.ID())
	msgs, err := c.SubscribeChan(ctx(t), "s/#", 2, 10)
	require.NoError(t, err)
	for qos := byte(0); qos <= 2; qos++ {
		require.NoError(t, c.Publish(ctx(t), "s/x", []byte(fmt.Sprint(qos)), qos, false))
		m := recv(t, msgs)
		require.Equal(t, "s/x", m.Topic)
		require.Equal(t, fmt.Sprint(qos), string(m.Payload))
		require.Equal(t, qos, m.QoS)
	}
	require.NoError(t, c.PublishMessage(ctx(t), mqttclient.Message{Topic: "s/p", QoS: 1, Payload: []byte("p"),
		ContentType: "text/plain", UserProperties: []mqttclient.UserProperty{{"k", "v"}}}))
	m := recv(t, msgs)
	require.Equal(t, "text/plain", m.ContentType)
	require.Equal(t, []mqttclient.UserProperty{{"k", "v"}}, m.UserProperties)

	require.NoError(t, c.Unsubscribe(ctx(t), "s/#"))
	require.NoError(t, c.Publish(ctx(t), "s/x", []byte("after"), 1, false))
	select {
	case m := <-msgs:
		t.Fatalf("message after unsubscribe: %q", m.Payload)
	default:
	}
	require.NotNil(t, c.Raw())
}

func TestRetainedAndHandler(t *testing.T) {
	s := fake(t)
	require.NoError(t, s.Publish("cfg/a", []byte("seed"), 1, true))
	c := connect(t, mqttclient.Endpoint{URLs: []string{s.Addr()}}) // bare host:port
	got := make(chan mqttclient.Message, 1)
	require.NoError(t, c.Subscribe(ctx(t), "cfg/+", 1, func(m mqttclient.Message) { got <- m }))
	m := recv(t, got)
	require.Equal(t, "seed", string(m.Payload))
	require.True(t, m.Retain)
}

func TestResubscribeAfterDisconnect(t *testing.T) {
	s := fake(t)
	c := connect(t, mqttclient.Endpoint{URLs: []string{s.URL()}, ClientID: "resub"})
	msgs, err := c.SubscribeChan(ctx(t), "r/#", 1, 10)
	require.NoError(t, err)
	require.Equal(t, 1, c.Connections())

	require.Equal(t, 1, s.DropConnections()) // clean session: the broker forgets the subscription
	require.NoError(t, c.WaitConnections(ctx(t), 2))
	ci, ok := s.Client("resub")
	require.True(t, ok)
	require.Equal(t, []string{"r/#"}, ci.Subscriptions, "resubscribed")

	require.NoError(t, s.Publish("r/1", []byte("after reconnect"), 1, false))
	require.Equal(t, "after reconnect", string(recv(t, msgs).Payload))
}

func TestReconnectAfterRestartKeepsSession(t *testing.T) {
	s := fake(t)
	c := connect(t, mqttclient.Endpoint{URLs: []string{s.URL()}, ClientID: "durable", SessionExpiry: time.Hour})
	msgs, err := c.SubscribeChan(ctx(t), "k/#", 1, 10)
	require.NoError(t, err)
	require.NoError(t, s.Restart())
	require.NoError(t, c.WaitConnections(ctx(t), 2))
	require.NoError(t, c.Publish(ctx(t), "k/1", []byte("kept"), 1, false))
	require.Equal(t, "kept", string(recv(t, msgs).Payload))
}

func TestPublishWaitsForReconnect(t *testing.T) {
	s := fake(t)
	c := connect(t, mqttclient.Endpoint{URLs: []string{s.URL()}})
	h, err := s.FailNext(mqttfake.OpConnect, "", 3, 0x88) // the next reconnect attempts fail, then it recovers
	require.NoError(t, err)
	s.DropConnections()
	require.NoError(t, c.Publish(ctx(t), "w/1", []byte("x"), 1, false))
	// mochi acks before it records; a second publish on the same connection
	// is only read once the first is fully handled.
	require.NoError(t, c.Publish(ctx(t), "w/2", []byte("y"), 1, false))
	require.Len(t, s.Published("w/1"), 1)
	require.Equal(t, 3, h.Hits())
}

func TestAuthAndReasonCodes(t *testing.T) {
	s := fake(t, mqttfake.WithUser("u", "p"), mqttfake.WithACL("u", mqttfake.ACL{Filter: "ro/#", Read: true}, mqttfake.ACL{Filter: "rw/#", Read: true, Write: true}))
	_, err := mqttclient.New(mqttclient.Endpoint{URLs: []string{s.URL()}, Username: "u", Password: "wrong"})
	require.Error(t, err)
	code, ok := mqttclient.ReasonCode(err)
	require.True(t, ok)
	require.Equal(t, byte(0x87), code)

	c := connect(t, mqttclient.Endpoint{URLs: []string{s.URL()}, Username: "u", Password: "p"})
	err = c.Publish(ctx(t), "ro/x", []byte("x"), 1, false)
	code, ok = mqttclient.ReasonCode(err)
	require.True(t, ok, "err = %v", err)
	require.Equal(t, byte(0x87), code)
	err = c.Subscribe(ctx(t), "other/#", 1, func(mqttclient.Message) {})
	code, _ = mqttclient.ReasonCode(err)
	require.Equal(t, byte(0x87), code)
	require.NoError(t, c.Publish(ctx(t), "rw/x", []byte("x"), 1, false))
}

func TestTLSAndWebSocket(t *testing.T) {
	s := fake(t, mqttfake.WithTLS(), mqttfake.WithWebSocket(), mqttfake.WithSecureWebSocket())
	for _, u := range []string{s.TLSURL(), s.WSURL(), s.WSSURL()} {
		c := connect(t, mqttclient.Endpoint{URLs: []string{u}, TLS: s.ClientTLSConfig()})
		msgs, err := c.SubscribeChan(ctx(t), u, 1, 1) // a topic per client: buffers of 1
		require.NoError(t, err)
		require.NoError(t, c.Publish(ctx(t), u, []byte(u), 1, false))
		require.Equal(t, u, string(recv(t, msgs).Payload))
	}
}

func TestFullChannelDoesNotBlockClose(t *testing.T) {
	s := fake(t)
	c, err := mqttclient.New(mqttclient.Endpoint{URLs: []string{s.URL()}})
	require.NoError(t, err)
	_, err = c.SubscribeChan(ctx(t), "full", 0, 1) // never read
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, c.Publish(ctx(t), "full", []byte("x"), 0, false))
	}
	require.NoError(t, c.Publish(ctx(t), "sync", nil, 1, false)) // the three are routed by now
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
}

func TestNewGivesUpAfterTimeout(t *testing.T) {
	s := fake(t)
	_, err := s.FailNext(mqttfake.OpConnect, "", -1, 0x88)
	require.NoError(t, err)
	start := time.Now()
	_, err = mqttclient.New(mqttclient.Endpoint{URLs: []string{s.URL()}}, mqttclient.WithTimeout(200*time.Millisecond))
	require.Error(t, err)
	require.Less(t, time.Since(start), wait)
}

func TestBadEndpoint(t *testing.T) {
	_, err := mqttclient.New(mqttclient.Endpoint{})
	require.Error(t, err)
	_, err = mqttclient.New(mqttclient.Endpoint{URLs: []string{"http://x"}})
	require.Error(t, err)
}

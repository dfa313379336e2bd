package pulsarclient_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/brokerkit/brokerkit/fixtures"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, fixtures.ClientGoroutines...) }

var seq int

func setup(t *testing.T, opts ...pulsarfake.Option) (*pulsarfake.Server, *pulsarclient.Client, string) {
	srv, err := pulsarfake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	cl, err := pulsarclient.New(pulsarclient.Endpoint{URL: srv.ServiceURL()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, cl.Close()) })
	seq++
	return srv, cl, fmt.Sprintf("persistent://public/default/t%d", seq)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestSendReceiveAckWithKeyAndProperties(t *testing.T) {
	_, cl, topic := setup(t)
	c, err := cl.Subscribe(topic, "sub", pulsarclient.Exclusive)
	require.NoError(t, err)
	defer c.Close()
	p, err := cl.Producer(topic)
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Send(ctx(t), pulsarclient.Message{Key: "k1", Payload: []byte("v1"), Properties: map[string]string{"a": "b"}})
	require.NoError(t, err)
	m, err := c.Receive(ctx(t))
	require.NoError(t, err)
	require.Equal(t, "k1", m.Key())
	require.Equal(t, "v1", string(m.Payload()))
	require.Equal(t, "b", m.Properties()["a"])
	require.NoError(t, c.Ack(m))
}

func TestSendAsyncAndFlush(t *testing.T) {
	_, cl, topic := setup(t)
	p, err := cl.Producer(topic)
	require.NoError(t, err)
	defer p.Close()
	done := make(chan error, 50)
	for i := 0; i < 50; i++ {
		p.SendAsync(ctx(t), pulsarclient.Message{Payload: []byte{byte(i)}}, func(_ pulsar.MessageID, err error) { done <- err })
	}
	require.NoError(t, p.Flush(ctx(t)))
	for i := 0; i < 50; i++ {
		require.NoError(t, <-done)
	}
}

func TestNackRedeliversThenDeadLetters(t *testing.T) {
	_, cl, topic := setup(t)
	dlq := topic + "-dlq"
	dead, err := cl.Subscribe(dlq, "dlq-reader", pulsarclient.Exclusive, pulsarclient.FromEarliest())
	require.NoError(t, err)
	defer dead.Close()
	c, err := cl.Subscribe(topic, "workers", pulsarclient.Shared,
		pulsarclient.WithNackDelay(50*time.Millisecond), pulsarclient.WithDeadLetter(2, dlq))
	require.NoError(t, err)
	defer c.Close()
	p, err := cl.Producer(topic, pulsarclient.WithoutBatching())
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Send(ctx(t), pulsarclient.Message{Payload: []byte("poison")})
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		m, err := c.Receive(ctx(t))
		require.NoError(t, err)
		require.Equal(t, uint32(i), m.RedeliveryCount())
		c.Nack(m)
	}
	m, err := dead.Receive(ctx(t))
	require.NoError(t, err)
	require.Equal(t, "poison", string(m.Payload()))
}

func TestDelayedDeliveryIsNotEarly(t *testing.T) {
	_, cl, topic := setup(t)
	c, err := cl.Subscribe(topic, "s", pulsarclient.Shared)
	require.NoError(t, err)
	defer c.Close()
	p, err := cl.Producer(topic, pulsarclient.WithoutBatching())
	require.NoError(t, err)
	defer p.Close()
	sent := time.Now()
	_, err = p.Send(ctx(t), pulsarclient.Message{Payload: []byte("later"), DeliverAfter: 300 * time.Millisecond})
	require.NoError(t, err)
	m, err := c.Receive(ctx(t))
	require.NoError(t, err)
	// deliverAt travels in whole milliseconds, so allow one of truncation.
	require.GreaterOrEqual(t, time.Since(sent), 299*time.Millisecond, "delivered early")
	require.Equal(t, "later", string(m.Payload()))
}

func TestReaderFromEarliest(t *testing.T) {
	_, cl, topic := setup(t)
	p, err := cl.Producer(topic)
	require.NoError(t, err)
	defer p.Close()
	for i := 0; i < 3; i++ {
		_, err := p.Send(ctx(t), pulsarclient.Message{Payload: []byte{byte('a' + i)}})
		require.NoError(t, err)
	}
	r, err := cl.Reader(topic, pulsar.EarliestMessageID(), false)
	require.NoError(t, err)
	defer r.Close()
	var got []byte
	for r.HasNext() {
		m, err := r.Next(ctx(t))
		require.NoError(t, err)
		got = append(got, m.Payload()...)
	}
	require.Equal(t, "abc", string(got))
}

func TestTokenFromEndpoint(t *testing.T) {
	srv, _, topic := setup(t, pulsarfake.WithTokens("good"))
	good, err := pulsarclient.New(pulsarclient.Endpoint{URL: srv.ServiceURL(), Token: "good"})
	require.NoError(t, err)
	defer good.Close()
	p, err := good.Producer(topic)
	require.NoError(t, err)
	p.Close()

	bad, err := pulsarclient.New(pulsarclient.Endpoint{URL: srv.ServiceURL(), Token: "bad", OperationTimeout: 2 * time.Second})
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.Producer(topic)
	require.Error(t, err)
	_, err = pulsarclient.New(pulsarclient.Endpoint{})
	require.Error(t, err)
}

func TestUserFromEndpoint(t *testing.T) {
	srv, _, topic := setup(t, pulsarfake.WithUser("app", "pw"))
	good, err := pulsarclient.New(pulsarclient.Endpoint{URL: srv.ServiceURL(), User: "app", Password: "pw"})
	require.NoError(t, err)
	p, err := good.Producer(topic)
	require.NoError(t, err)
	p.Close()
	require.NoError(t, good.Close())
	require.NoError(t, good.Close(), "Close twice")

	bad, err := pulsarclient.New(pulsarclient.Endpoint{URL: srv.ServiceURL(), User: "app", Password: "nope", OperationTimeout: 2 * time.Second})
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.Producer(topic)
	require.Error(t, err)
}

package pulsarfake_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

var debug = os.Getenv("PULSARFAKE_DEBUG") != ""

func newServer(t testing.TB, opts ...pulsarfake.Option) *pulsarfake.Server {
	t.Helper()
	if debug {
		opts = append([]pulsarfake.Option{pulsarfake.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))}, opts...)
	}
	srv, err := pulsarfake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

func clientLogger() plog.Logger {
	if debug {
		return plog.NewLoggerWithSlog(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	return plog.DefaultNopLogger()
}

func newClient(t testing.TB, srv *pulsarfake.Server, mod ...func(*pulsar.ClientOptions)) pulsar.Client {
	t.Helper()
	o := pulsar.ClientOptions{
		URL:               srv.ServiceURL(),
		OperationTimeout:  10 * time.Second,
		ConnectionTimeout: 5 * time.Second,
		Logger:            clientLogger(),
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := pulsar.NewClient(o)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

var topicSeq atomic.Int64

func uniqueTopic(t testing.TB) string {
	return fmt.Sprintf("persistent://public/default/t-%d-%d", time.Now().UnixNano()%1e6, topicSeq.Add(1))
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func produce(t testing.TB, p pulsar.Producer, msgs ...*pulsar.ProducerMessage) []pulsar.MessageID {
	t.Helper()
	ids := make([]pulsar.MessageID, len(msgs))
	for i, m := range msgs {
		id, err := p.Send(ctxT(t), m)
		require.NoError(t, err)
		ids[i] = id
	}
	return ids
}

func payloads(n int, prefix string) []*pulsar.ProducerMessage {
	out := make([]*pulsar.ProducerMessage, n)
	for i := range out {
		out[i] = &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("%s-%d", prefix, i))}
	}
	return out
}

// receive gets n messages or fails after timeout.
func receive(t testing.TB, c pulsar.Consumer, n int, ack bool) []pulsar.Message {
	t.Helper()
	out := make([]pulsar.Message, 0, n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(out) < n {
		m, err := c.Receive(ctx)
		require.NoError(t, err, "received %d of %d", len(out), n)
		if ack {
			require.NoError(t, c.Ack(m))
		}
		out = append(out, m)
	}
	return out
}

// expectNothing checks that no message arrives within d.
func expectNothing(t testing.TB, c pulsar.Consumer, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := c.Receive(ctx)
	if err == nil {
		t.Fatalf("unexpected message %q (%v)", m.Payload(), m.ID())
	}
}

func strs(msgs []pulsar.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Payload())
	}
	return out
}

package kafkaclient_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/clients/kafkaclient"
	"github.com/brokerkit/brokerkit/fakes/kafkafake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func fake(t *testing.T, opts ...kafkafake.Option) *kafkafake.Server {
	s, err := kafkafake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func newClient(t *testing.T, ep kafkaclient.Endpoint, opts ...kafkaclient.Option) *kafkaclient.Client {
	cl, err := kafkaclient.New(ep, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pollN(t *testing.T, cl *kafkaclient.Client, n int) []kafkaclient.Message {
	t.Helper()
	var out []kafkaclient.Message
	for len(out) < n {
		msgs, err := cl.Poll(timeout(t))
		require.NoError(t, err)
		out = append(out, msgs...)
	}
	return out
}

func TestProduceSyncAndConsumeWithKeysHeadersPartitions(t *testing.T) {
	s := fake(t, kafkafake.WithTopic("orders", 4))
	ep := kafkaclient.Endpoint{Brokers: s.Brokers()}
	p := newClient(t, ep)
	sent, err := p.Produce(timeout(t), kafkaclient.Message{
		Topic:     "orders",
		Key:       []byte("customer-1"),
		Value:     []byte("order-1"),
		Headers:   []kafkaclient.Header{{Key: "trace", Value: []byte("abc")}},
		Partition: kafkaclient.Partition(3),
	})
	require.NoError(t, err)
	require.Equal(t, int32(3), *sent.Partition)
	require.Equal(t, int64(0), sent.Offset)

	c := newClient(t, ep, kafkaclient.WithTopics("orders"))
	got := pollN(t, c, 1)[0]
	require.Equal(t, "customer-1", string(got.Key))
	require.Equal(t, "order-1", string(got.Value))
	require.Equal(t, []kafkaclient.Header{{Key: "trace", Value: []byte("abc")}}, got.Headers)
	require.Equal(t, int32(3), *got.Partition)
}

func TestSameKeySamePartition(t *testing.T) {
	s := fake(t, kafkafake.WithTopic("t", 8))
	p := newClient(t, kafkaclient.Endpoint{Brokers: s.Brokers()})
	parts := map[int32]bool{}
	for i := 0; i < 20; i++ {
		m, err := p.Produce(timeout(t), kafkaclient.Message{Topic: "t", Key: []byte("same"), Value: []byte{byte(i)}})
		require.NoError(t, err)
		parts[*m.Partition] = true
	}
	require.Len(t, parts, 1)
}

func TestProduceAsyncReportsEveryDelivery(t *testing.T) {
	s := fake(t, kafkafake.WithTopic("t", 2))
	p := newClient(t, kafkaclient.Endpoint{Brokers: s.Brokers()})
	var mu sync.Mutex
	var got []kafkaclient.Delivery
	for i := 0; i < 100; i++ {
		p.ProduceAsync(timeout(t), kafkaclient.Message{Topic: "t", Value: []byte{byte(i)}}, func(d kafkaclient.Delivery) {
			mu.Lock()
			got = append(got, d)
			mu.Unlock()
		})
	}
	require.NoError(t, p.Flush(timeout(t)))
	require.Len(t, got, 100)
	for _, d := range got {
		require.NoError(t, d.Err)
		require.GreaterOrEqual(t, d.Message.Offset, int64(0))
	}

	var missing kafkaclient.Delivery
	done := make(chan struct{})
	p.ProduceAsync(timeout(t), kafkaclient.Message{Topic: "t", Partition: kafkaclient.Partition(9), Value: []byte("x")},
		func(d kafkaclient.Delivery) { missing = d; close(done) })
	<-done
	require.Error(t, missing.Err, "partition 9 of a 2-partition topic does not exist")
}

func TestGroupCommitResumesAfterCommitted(t *testing.T) {
	s := fake(t, kafkafake.WithTopic("t", 1))
	ep := kafkaclient.Endpoint{Brokers: s.Brokers()}
	p := newClient(t, ep)
	for i := 0; i < 4; i++ {
		_, err := p.Produce(timeout(t), kafkaclient.Message{Topic: "t", Value: []byte{byte('a' + i)}})
		require.NoError(t, err)
	}
	c1 := newClient(t, ep, kafkaclient.WithGroup("g", "t"))
	msgs := pollN(t, c1, 4)
	require.NoError(t, c1.Commit(timeout(t), msgs[:2]...)) // processed a, b
	c1.Close()

	offsets, err := s.CommittedOffsets(timeout(t), "g")
	require.NoError(t, err)
	require.Equal(t, int64(2), offsets["t"][0])

	c2 := newClient(t, ep, kafkaclient.WithGroup("g", "t"))
	again := pollN(t, c2, 2)
	require.Equal(t, "c", string(again[0].Value), "uncommitted records are redelivered")

	notGroup := newClient(t, ep, kafkaclient.WithTopics("t"))
	require.Error(t, notGroup.Commit(timeout(t), again[0]))
}

func TestEndpointSASLOverTLS(t *testing.T) {
	s := fake(t, kafkafake.WithTopic("t", 1), kafkafake.WithTLS(),
		kafkafake.WithUser("svc", "pw"))
	ep := kafkaclient.Endpoint{Brokers: s.Brokers(), TLS: s.ClientTLSConfig(),
		SASL: &kafkaclient.SASL{Mechanism: "SCRAM-SHA-512", User: "svc", Password: "pw"}}
	p := newClient(t, ep)
	_, err := p.Produce(timeout(t), kafkaclient.Message{Topic: "t", Value: []byte("secure")})
	require.NoError(t, err)

	_, err = kafkaclient.New(kafkaclient.Endpoint{Brokers: s.Brokers(), SASL: &kafkaclient.SASL{Mechanism: "GSSAPI"}})
	require.ErrorContains(t, err, "GSSAPI")
	_, err = kafkaclient.New(kafkaclient.Endpoint{})
	require.Error(t, err)
}

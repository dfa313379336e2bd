package pulsarfake_test

import (
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/stretchr/testify/require"
)

func TestProduceConsume(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	for _, batching := range []bool{false, true} {
		p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: !batching})
		require.NoError(t, err)
		msgs := payloads(10, "m")
		msgs[3].Key = "k3"
		msgs[4].Properties = map[string]string{"a": "b"}
		if batching {
			for _, m := range msgs {
				p.SendAsync(ctxT(t), m, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) { require.NoError(t, err) })
			}
			require.NoError(t, p.FlushWithCtx(ctxT(t)))
		} else {
			produce(t, p, msgs...)
		}
		got := receive(t, cons, 10, true)
		require.Equal(t, strs(got), []string{"m-0", "m-1", "m-2", "m-3", "m-4", "m-5", "m-6", "m-7", "m-8", "m-9"})
		require.Equal(t, "k3", got[3].Key())
		require.Equal(t, map[string]string{"a": "b"}, got[4].Properties())
		p.Close()
	}
}

func TestHTTPServiceURLLookup(t *testing.T) {
	// Not parallel: pulsar-client-go's HTTP lookup writes a package-level
	// transport that pulsaradmin.NewClient reads, a race between the two
	// client libraries that -race reports when this overlaps an admin test.
	srv := newServer(t)
	require.NoError(t, srv.CreateTopic("http-parted", 2))
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.URL = srv.AdminURL() })
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: "http-parted", SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "http-parted", DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(4, "h")...)
	require.ElementsMatch(t, []string{"h-0", "h-1", "h-2", "h-3"}, strs(receive(t, cons, 4, true)))
}

package kafkaorders_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/clients/kafkaclient"
	"github.com/brokerkit/brokerkit/examples/kafkaorders"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/kafkatest"
)

func TestMain(m *testing.M) { fixtures.Main(m) }

// setup starts the service against a Kafka from kafkatest: the in-process
// fake by default, a container or your own broker via BROKERKIT_KAFKA.
func setup(t *testing.T) (*kafkatest.Env, kafkaorders.Service, *kafkaclient.Client) {
	env := kafkatest.New(t)
	svc := kafkaorders.Service{
		Orders:      env.Topic(t, kafkatest.Partitions(3)),
		Receipts:    env.Topic(t),
		DeadLetters: env.Topic(t),
	}
	svc.In = env.Client(t, kafkaclient.WithGroup(env.Group(t), svc.Orders))
	svc.Out = env.Client(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return env, svc, env.Client(t)
}

func publish(t *testing.T, cl *kafkaclient.Client, topic, key string, v any) {
	raw, ok := v.([]byte)
	if !ok {
		raw, _ = json.Marshal(v)
	}
	_, err := cl.Produce(context.Background(), kafkaclient.Message{Topic: topic, Key: []byte(key), Value: raw})
	require.NoError(t, err)
}

func read(t *testing.T, env *kafkatest.Env, topic string, n int) []kafkaclient.Message {
	c := env.Client(t, kafkaclient.WithTopics(topic))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []kafkaclient.Message
	for len(out) < n {
		msgs, err := c.Poll(ctx)
		require.NoError(t, err, "got %d of %d", len(out), n)
		out = append(out, msgs...)
	}
	return out
}

func TestOrdersArePriced(t *testing.T) {
	env, svc, cl := setup(t)
	publish(t, cl, svc.Orders, "o-1", kafkaorders.Order{ID: "o-1", Items: []kafkaorders.Item{
		{SKU: "tea", Quantity: 2, PriceCents: 350}, {SKU: "cake", Quantity: 1, PriceCents: 420},
	}})
	publish(t, cl, svc.Orders, "o-2", kafkaorders.Order{ID: "o-2", Items: []kafkaorders.Item{{SKU: "tea", Quantity: 1, PriceCents: 350}}})

	totals := map[string]int64{}
	for _, m := range read(t, env, svc.Receipts, 2) {
		var r kafkaorders.Receipt
		require.NoError(t, json.Unmarshal(m.Value, &r))
		require.Equal(t, r.OrderID, string(m.Key))
		totals[r.OrderID] = r.TotalCents
	}
	require.Equal(t, map[string]int64{"o-1": 1120, "o-2": 350}, totals)
}

func TestMalformedOrdersGoToDeadLetters(t *testing.T) {
	env, svc, cl := setup(t)
	publish(t, cl, svc.Orders, "bad", []byte("{not json"))
	publish(t, cl, svc.Orders, "neg", kafkaorders.Order{ID: "neg", Items: []kafkaorders.Item{{SKU: "x", Quantity: -1}}})
	dead := read(t, env, svc.DeadLetters, 2)
	for _, m := range dead {
		require.Equal(t, "error", m.Headers[0].Key)
	}
}

// The fake can fail on cue: the broker refuses the first receipts with a
// retriable error, and the service still delivers exactly the receipts.
func TestReceiptsSurviveBrokerHiccups(t *testing.T) {
	env, svc, cl := setup(t)
	h, err := env.RequireFake(t).FailNext(kmsg.Produce, svc.Receipts, 3, kerr.NotLeaderForPartition)
	require.NoError(t, err)
	publish(t, cl, svc.Orders, "o-3", kafkaorders.Order{ID: "o-3", Items: []kafkaorders.Item{{SKU: "tea", Quantity: 3, PriceCents: 100}}})
	got := read(t, env, svc.Receipts, 1)
	require.Contains(t, string(got[0].Value), `"total_cents":300`)
	require.Equal(t, 3, h.Hits())
}

func TestPrice(t *testing.T) {
	_, err := kafkaorders.Price([]byte(`{"items":[]}`))
	require.ErrorContains(t, err, "no id")
	r, err := kafkaorders.Price([]byte(`{"id":"x","items":[{"sku":"a","qty":4,"price_cents":25}]}`))
	require.NoError(t, err)
	require.Equal(t, kafkaorders.Receipt{OrderID: "x", TotalCents: 100, Lines: 1}, r)
}

package mqtttelemetry_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/examples/mqtttelemetry"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/mqtttest"
)

func TestMain(m *testing.M) { fixtures.Main(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// start runs an Aggregator against the Env until the test ends.
func start(t *testing.T, env *mqtttest.Env, root string) *mqtttelemetry.Aggregator {
	agg := &mqtttelemetry.Aggregator{Root: root, Client: env.Client(t), Window: 3, Threshold: 30}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agg.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return agg
}

func sensor(t *testing.T, env *mqtttest.Env, root, id string) mqtttelemetry.Sensor {
	return mqtttelemetry.Sensor{Root: root, ID: id, Client: env.Client(t)}
}

// eventually waits for cond, which reads the aggregator's state.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 20*time.Second, 5*time.Millisecond, msg)
}

func TestAveragesPerSensorAndAlertsOncePerCrossing(t *testing.T) {
	env := mqtttest.New(t) // the fake, a Mosquitto container or yours, per BROKERKIT_MQTT
	root := env.Topic(t)
	alerts, err := env.Client(t).SubscribeChan(ctx(t), root+"/alerts/+", 1, 16)
	require.NoError(t, err)
	agg := start(t, env, root)
	// The status subscription is up once a status message gets through.
	kitchen, attic := sensor(t, env, root, "kitchen"), sensor(t, env, root, "attic")
	require.NoError(t, kitchen.Online(ctx(t)))
	eventually(t, func() bool { return agg.Snapshot()["kitchen"].Online }, "kitchen online")

	for _, v := range []float64{20, 21, 22} {
		require.NoError(t, kitchen.Report(ctx(t), v))
	}
	for _, v := range []float64{25, 35, 45, 50} { // avg of the last 3: 43.3
		require.NoError(t, attic.Report(ctx(t), v))
	}
	eventually(t, func() bool {
		s := agg.Snapshot()
		return s["kitchen"].Readings == 3 && s["attic"].Readings == 4
	}, "all readings counted")
	s := agg.Snapshot()
	require.InDelta(t, 21.0, s["kitchen"].Avg, 1e-9)
	require.InDelta(t, 130.0/3, s["attic"].Avg, 1e-9)
	require.False(t, s["kitchen"].Alerting)
	require.True(t, s["attic"].Alerting)

	select {
	case m := <-alerts:
		var a mqtttelemetry.Alert
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		require.Equal(t, root+"/alerts/attic", m.Topic)
		require.Equal(t, "attic", a.Sensor)
		require.InDelta(t, 35.0, a.Avg, 1e-9, "raised when the average first crossed 30 (25,35,45)")
	case <-ctx(t).Done():
		t.Fatal("no alert")
	}
	// Still over the threshold: no second alert. A kitchen reading after
	// the attic's last one shows the pipeline drained.
	require.NoError(t, kitchen.Report(ctx(t), 20))
	eventually(t, func() bool { return agg.Snapshot()["kitchen"].Readings == 4 }, "kitchen drained")
	require.Empty(t, alerts, "one alert per crossing")
}

func TestLateAggregatorLearnsStatusFromRetainedMessages(t *testing.T) {
	env := mqtttest.New(t)
	root := env.Topic(t)
	a, b := sensor(t, env, root, "a"), sensor(t, env, root, "b")
	require.NoError(t, a.Online(ctx(t)))
	require.NoError(t, b.Online(ctx(t)))
	require.NoError(t, b.Offline(ctx(t))) // the retained status is replaced

	agg := start(t, env, root)
	eventually(t, func() bool { return len(agg.Snapshot()) == 2 }, "both statuses replayed")
	require.True(t, agg.Snapshot()["a"].Online)
	require.False(t, agg.Snapshot()["b"].Online)

	// Leave no retained messages behind on a shared broker.
	cl := env.Client(t)
	for _, id := range []string{"a", "b"} {
		require.NoError(t, cl.Publish(ctx(t), root+"/sensors/"+id+"/status", nil, 1, true))
	}
}

func TestMalformedReadingsAreCountedNotFatal(t *testing.T) {
	env := mqtttest.New(t)
	root := env.Topic(t)
	agg := start(t, env, root)
	s := sensor(t, env, root, "s1")
	require.NoError(t, s.Online(ctx(t)))
	eventually(t, func() bool { return agg.Snapshot()["s1"].Online }, "subscribed")
	require.NoError(t, s.Client.Publish(ctx(t), root+"/sensors/s1/temperature", []byte("not json"), 1, false))
	require.NoError(t, s.Report(ctx(t), 10))
	eventually(t, func() bool { return agg.Snapshot()["s1"].Readings == 1 }, "valid reading after the bad one")
	require.Equal(t, 1, agg.Malformed())
	require.NoError(t, s.Client.Publish(ctx(t), root+"/sensors/s1/status", nil, 1, true))
}

// In fake mode the broker can be inspected: the alert is on record.
func TestFakeRecordsAlerts(t *testing.T) {
	t.Setenv("BROKERKIT_MQTT", "fake")
	env := mqtttest.New(t)
	root := env.Topic(t)
	agg := start(t, env, root)
	s := sensor(t, env, root, "hot")
	require.NoError(t, s.Online(ctx(t)))
	eventually(t, func() bool { return agg.Snapshot()["hot"].Online }, "subscribed")
	require.NoError(t, s.Report(ctx(t), 99))
	eventually(t, func() bool { return len(env.Fake().Published(root+"/alerts/hot")) == 1 }, "alert published")
	var a mqtttelemetry.Alert
	require.NoError(t, json.Unmarshal(env.Fake().Published(root + "/alerts/hot")[0].Payload, &a))
	require.Equal(t, mqtttelemetry.Alert{Sensor: "hot", Avg: 99}, a)
}

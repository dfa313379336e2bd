package mqtttelemetry_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brokerkit/brokerkit/examples/mqtttelemetry"
	"github.com/brokerkit/brokerkit/fixtures/mqtttest"
	"github.com/brokerkit/brokerkit/internal/tbrec"
)

// A sensor reporting to the aggregator over the fake broker; telemetry_test.go
// covers alerts, retained status and bad input. (tbrec.Example stands in for
// a test's *testing.T.)
func ExampleAggregator() {
	t := tbrec.Example("TestTelemetry")
	defer t.Done()
	env := mqtttest.New(t)
	root := env.Topic(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	agg := &mqtttelemetry.Aggregator{Root: root, Client: env.Client(t), Threshold: 30}
	stopped := make(chan error, 1)
	go func() { stopped <- agg.Run(ctx) }()
	s := mqtttelemetry.Sensor{Root: root, ID: "t1", Client: env.Client(t)}
	for agg.Snapshot()["t1"].Readings == 0 { // the aggregator may still be subscribing
		if err := s.Report(ctx, 21.5); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := agg.Snapshot()["t1"]
	fmt.Println(st.Avg, st.Alerting)
	cancel()
	<-stopped
	// Output: 21.5 false
}

// go get github.com/brokerkit/brokerkit
package quickstart_test

import (
	"testing"

	"github.com/brokerkit/brokerkit/fixtures/mqtttest"
)

func TestTelemetry(t *testing.T) {
	ctx := t.Context()
	env := mqtttest.New(t) // fake unless BROKERKIT_MQTT says otherwise
	prefix := env.Topic(t) // unique: tests may share one broker
	c := env.Client(t)     // mqttclient (MQTT 5, autopaho); c.Raw() is native
	msgs, err := c.SubscribeChan(ctx, prefix+"/sensors/#", 1, 16)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, prefix+"/sensors/t1", []byte("21.5"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := <-msgs; string(m.Payload) != "21.5" {
		t.Fatalf("got %q on %s", m.Payload, m.Topic)
	}
}

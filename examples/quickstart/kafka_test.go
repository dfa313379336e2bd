// go get github.com/brokerkit/brokerkit
package quickstart_test

import (
	"testing"

	"github.com/brokerkit/brokerkit/clients/kafkaclient"
	"github.com/brokerkit/brokerkit/fixtures/kafkatest"
)

func TestOrders(t *testing.T) {
	ctx := t.Context()
	env := kafkatest.New(t)                        // fake unless BROKERKIT_KAFKA says otherwise
	topic := env.Topic(t, kafkatest.Partitions(3)) // unique, created, deleted on cleanup
	cl := env.Client(t, kafkaclient.WithGroup(env.Group(t), topic))
	if _, err := cl.Produce(ctx, kafkaclient.Message{Topic: topic, Key: []byte("k"), Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	msgs, err := cl.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || string(msgs[0].Value) != "v" {
		t.Fatalf("polled %v", msgs)
	}
	if err := cl.Commit(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// go get github.com/brokerkit/brokerkit
package quickstart_test

import (
	"testing"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/brokerkit/brokerkit/fixtures/pulsartest"
)

func TestWorker(t *testing.T) {
	ctx := t.Context()
	env := pulsartest.New(t)                        // fake unless BROKERKIT_PULSAR says otherwise
	topic := env.Topic(t, pulsartest.Partitions(3)) // unique topic in the Env's namespace, deleted on cleanup
	cl := env.Client(t)                             // pulsarclient; cl.Raw() is the pulsar.Client
	// Subscribe first: a new subscription starts at the latest message.
	c, err := cl.Subscribe(topic, "workers", pulsarclient.Shared)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cl.Producer(topic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, pulsarclient.Message{Key: "k", Payload: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	m, err := c.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ack(m); err != nil {
		t.Fatal(err)
	}
}

func TestWorkerRidesOutBrokerErrors(t *testing.T) {
	ctx := t.Context()
	env := pulsartest.New(t)
	srv := env.RequireFake(t) // skips, saying why, against a container or external broker
	topic := env.Topic(t)
	p, err := env.Client(t).Producer(topic, pulsarclient.WithoutBatching())
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.FailNext(pulsarfake.OpSend, topic, 1, pulsarfake.PersistenceError)
	if err != nil {
		t.Fatal(err)
	}
	// pulsar-client-go reconnects and resends after a SEND_ERROR.
	if _, err := p.Send(ctx, pulsarclient.Message{Payload: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if h.Hits() != 1 {
		t.Fatalf("the fault was hit %d times", h.Hits())
	}
}

package pulsarfake_test

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

// A fake broker, the real client, and an injected failure answered the way
// the broker answers it.
func ExampleNew() {
	srv, err := pulsarfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: srv.ServiceURL(), Logger: plog.DefaultNopLogger()})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	h, err := srv.FailNext(pulsarfake.OpProducer, "orders", 1, pulsarfake.ProducerBusy)
	if err != nil {
		panic(err)
	}
	_, err = client.CreateProducer(pulsar.ProducerOptions{Topic: "orders"})
	fmt.Println("first producer failed:", err != nil, "hits:", h.Hits())

	p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: "orders"})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: []byte("paid")}); err != nil {
		panic(err)
	}
	msgs, _ := srv.Messages("orders")
	fmt.Println(len(msgs), string(msgs[0].Payload))

	_, err = srv.FailNext("PRODUCE", "", 1, pulsarfake.ServiceNotReady)
	fmt.Println("unknown op:", err != nil)
	// Output:
	// first producer failed: true hits: 1
	// 1 paid
	// unknown op: true
}

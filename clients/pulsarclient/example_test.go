package pulsarclient_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

func ExampleNew() {
	srv, err := pulsarfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	cl, err := pulsarclient.New(pulsarclient.Endpoint{URL: srv.ServiceURL()})
	if err != nil {
		panic(err)
	}
	defer cl.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topic := "persistent://public/default/example"
	c, err := cl.Subscribe(topic, "workers", pulsarclient.Shared)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	p, err := cl.Producer(topic)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	if _, err := p.Send(ctx, pulsarclient.Message{Key: "k", Payload: []byte("hello")}); err != nil {
		panic(err)
	}
	m, err := c.Receive(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Key(), string(m.Payload()))
	_ = c.Ack(m)
	// Output: k hello
}

package kafkaclient_test

import (
	"context"
	"fmt"

	"github.com/brokerkit/brokerkit/clients/kafkaclient"
	"github.com/brokerkit/brokerkit/fakes/kafkafake"
)

func ExampleNew() {
	srv, err := kafkafake.New(kafkafake.WithTopic("orders", 1))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	cl, err := kafkaclient.New(kafkaclient.Endpoint{Brokers: srv.Brokers()}, kafkaclient.WithTopics("orders"))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if _, err := cl.Produce(ctx, kafkaclient.Message{Topic: "orders", Key: []byte("o-1"), Value: []byte("tea")}); err != nil {
		panic(err)
	}
	msgs, err := cl.Poll(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(msgs[0].Key), string(msgs[0].Value))
	// Output: o-1 tea
}

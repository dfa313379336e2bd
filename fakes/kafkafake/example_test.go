package kafkafake_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fault"
)

func Example() {
	srv, err := kafkafake.New(kafkafake.WithTopic("orders", 1))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	cl, err := kgo.NewClient(kgo.SeedBrokers(srv.Brokers()...))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("order-1")}).FirstErr(); err != nil {
		panic(err)
	}

	recs, err := srv.Records(ctx, "orders", 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(recs), string(recs[0].Value))
	// Output: 1 order-1
}

func ExampleServer_FailNext() {
	srv, err := kafkafake.New(kafkafake.WithTopic("orders", 1))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// The next produce to "orders" is refused with a non-retriable error.
	h, err := srv.FailNext(kmsg.Produce, "orders", 1, kerr.TopicAuthorizationFailed)
	if err != nil {
		panic(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(srv.Addr()))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	ctx := context.Background()
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("x")}).FirstErr()
	fmt.Println(errors.Is(err, kerr.TopicAuthorizationFailed), h.Hits())

	_, err = srv.FailNext(kmsg.Key(4), fault.Any, 1, nil) // LeaderAndIsr: broker-internal
	fmt.Println(err != nil)
	// Output:
	// true 1
	// true
}

package kafkafake_test

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
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

package quickstart_test

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
)

// A fake on its own, outside `go test` (a dev server, a benchmark, another
// test framework): it is a real listener any client can dial.
func Example_fakeAlone() {
	srv, err := kafkafake.New(kafkafake.WithTopic("orders", 3))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(srv.Brokers()...), kgo.ConsumeTopics("orders"))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("order-1")}).FirstErr(); err != nil {
		panic(err)
	}
	fetches := cl.PollFetches(ctx)
	fetches.EachRecord(func(r *kgo.Record) { fmt.Println(r.Topic, string(r.Value)) })
	// Output: orders order-1
}

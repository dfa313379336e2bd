package pulsarworker_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
	"github.com/brokerkit/brokerkit/examples/pulsarworker"
	"github.com/brokerkit/brokerkit/fixtures/pulsartest"
	"github.com/brokerkit/brokerkit/internal/tbrec"
)

// A worker handling one job, against the fake Pulsar; worker_test.go covers
// retries and dead letters. (tbrec.Example stands in for a test's *testing.T.)
func ExampleNew() {
	t := tbrec.Example("TestWorker")
	defer t.Done()
	env := pulsartest.New(t)
	cl := env.Client(t)
	topic := env.Topic(t)

	done := make(chan string, 1)
	w, err := pulsarworker.New(cl, pulsarworker.Config{Topic: topic, Subscription: "workers", DeadLetters: topic + "-dlq", MaxAttempts: 3, RetryDelay: time.Second},
		func(_ context.Context, job []byte) error { done <- string(job); return nil })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- w.Run(ctx) }()

	p, err := cl.Producer(topic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(ctx, pulsarclient.Message{Payload: []byte("resize image 42")}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("handled:", <-done)
	cancel()
	<-stopped
	// Output: handled: resize image 42
}

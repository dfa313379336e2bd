package mqttclient_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
)

func Example() {
	srv, err := mqttfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqttclient.New(mqttclient.Endpoint{URLs: []string{srv.URL()}})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	msgs, err := c.SubscribeChan(ctx, "sensors/#", 1, 10)
	if err != nil {
		panic(err)
	}
	if err := c.Publish(ctx, "sensors/t1", []byte("21.5"), 1, false); err != nil {
		panic(err)
	}
	m := <-msgs
	fmt.Printf("%s = %s\n", m.Topic, m.Payload)
	// Output: sensors/t1 = 21.5
}

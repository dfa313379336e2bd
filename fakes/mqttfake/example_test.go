package mqttfake_test

import (
	"context"
	"fmt"
	"net"

	"github.com/eclipse/paho.golang/paho"

	"github.com/brokerkit/brokerkit/fakes/mqttfake"
)

func Example() {
	srv, err := mqttfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		panic(err)
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn})
	ctx := context.Background()
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "example", CleanStart: true}); err != nil {
		panic(err)
	}
	if _, err := c.Publish(ctx, &paho.Publish{Topic: "greetings", Payload: []byte("hello"), QoS: 1, Retain: true}); err != nil {
		panic(err)
	}
	_ = c.Disconnect(&paho.Disconnect{})
	<-c.Done()

	for _, m := range srv.Retained() {
		fmt.Printf("%s: %s (from %s)\n", m.Topic, m.Payload, m.ClientID)
	}
	// Output: greetings: hello (from example)
}

// A test that needs a broker configured like a particular deployment asks
// for it; clients read the settings from the CONNACK.
func ExampleWithReceiveMaximum() {
	srv, err := mqttfake.New(mqttfake.WithReceiveMaximum(20), mqttfake.WithServerKeepAlive(15))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		panic(err)
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn})
	ca, err := c.Connect(context.Background(), &paho.Connect{ClientID: "settings", CleanStart: true, KeepAlive: 60})
	if err != nil {
		panic(err)
	}
	fmt.Println("receive maximum:", *ca.Properties.ReceiveMaximum)
	fmt.Println("server keep-alive:", *ca.Properties.ServerKeepAlive)
	fmt.Println("topic alias maximum:", *ca.Properties.TopicAliasMaximum)
	_ = c.Disconnect(&paho.Disconnect{})
	<-c.Done()
	// Output:
	// receive maximum: 20
	// server keep-alive: 15
	// topic alias maximum: 10
}

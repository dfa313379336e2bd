// Package mqttclient is a thin, typed MQTT 5 client for tests and small
// apps, over paho.golang's autopaho: it reconnects by itself, resubscribes
// after a reconnect the broker did not keep the session for, and turns
// reason codes into errors. Raw exposes the autopaho ConnectionManager.
//
//	c, err := mqttclient.New(mqttclient.Endpoint{URLs: []string{"mqtt://127.0.0.1:1883"}})
//	...
//	defer c.Close()
//	msgs, _ := c.SubscribeChan(ctx, "sensors/#", 1, 100)
//	_ = c.Publish(ctx, "sensors/t1", []byte("21.5"), 1, false)
//	m := <-msgs
package mqttclient

// Package mqttprobe checks an MQTT listener end to end with a real client
// (autopaho, any of mqtt://, mqtts://, ws://, wss://), for tests of the
// fake's listeners and of brokerkit up.
package mqttprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// RoundTrip connects as clientID to raw (trusting tlsCfg for mqtts and
// wss), subscribes to the topic clientID at QoS 1, publishes a message to
// it and returns once that message has come back, then disconnects. It
// fails when ctx ends first. whileUp, if not nil, runs once the
// subscription is made, to inspect the broker while the client is there.
func RoundTrip(ctx context.Context, raw, clientID string, tlsCfg *tls.Config, whileUp func() error) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan []byte, 1)
	up := make(chan struct{}, 1)
	cm, err := autopaho.NewConnection(ctx, autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		TlsCfg:                        tlsCfg,
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		OnConnectionUp:                func(*autopaho.ConnectionManager, *paho.Connack) { up <- struct{}{} },
		ClientConfig: paho.ClientConfig{
			ClientID: clientID,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) {
					select {
					case got <- pr.Packet.Payload:
					default:
					}
					return true, nil
				},
			},
		},
	})
	if err != nil {
		return err
	}
	defer func() { <-cm.Done() }()
	select {
	case <-up:
	case <-ctx.Done():
		return fmt.Errorf("no connection to %s: %w", raw, ctx.Err())
	}
	defer cm.Disconnect(context.Background())
	if _, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: clientID, QoS: 1}}}); err != nil {
		return err
	}
	if whileUp != nil {
		if err := whileUp(); err != nil {
			return err
		}
	}
	want := "over " + u.Scheme
	if _, err := cm.Publish(ctx, &paho.Publish{Topic: clientID, QoS: 1, Payload: []byte(want)}); err != nil {
		return err
	}
	select {
	case p := <-got:
		if string(p) != want {
			return fmt.Errorf("got %q over %s, want %q", p, raw, want)
		}
		return nil
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("no message over %s", raw), ctx.Err())
	}
}

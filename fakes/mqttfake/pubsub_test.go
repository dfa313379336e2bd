package mqttfake

import (
	"fmt"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	pahov3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

func TestPubSubAllQoS(t *testing.T) {
	s := newServer(t)
	sub := mustV5(t, s.Addr(), "sub")
	pub := mustV5(t, s.Addr(), "pub")
	sub.sub(t, "a/+", 2)
	for qos := byte(0); qos <= 2; qos++ {
		pub.pub(t, "a/b", fmt.Sprint("q", qos), qos, false)
		m := sub.next(t)
		require.Equal(t, "a/b", m.Topic)
		require.Equal(t, fmt.Sprint("q", qos), string(m.Payload))
		require.Equal(t, qos, m.QoS)
	}
	pub.sync(t)
	got := s.Published("a/b")
	require.Len(t, got, 3)
	require.Equal(t, "pub", got[2].ClientID)
	require.Equal(t, byte(2), got[2].QoS)
	require.Contains(t, s.PublishedTopics(), "a/b") // the sync topic may be recorded too
}

func TestV311ClientAndRetained(t *testing.T) {
	s := newServer(t)
	require.NoError(t, s.Publish("seed/x", []byte("seeded"), 1, true))

	opts := pahov3.NewClientOptions().AddBroker(s.URL()).SetClientID("v3").SetProtocolVersion(4)
	c := pahov3.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	defer c.Disconnect(100)

	got := make(chan pahov3.Message, 10)
	tok = c.Subscribe("seed/#", 1, func(_ pahov3.Client, m pahov3.Message) { got <- m })
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	select {
	case m := <-got:
		require.Equal(t, "seeded", string(m.Payload()))
		require.True(t, m.Retained())
	case <-time.After(wait):
		t.Fatal("retained message not delivered")
	}

	tok = c.Publish("seed/y", 1, true, "v3-retained")
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	select {
	case m := <-got:
		require.Equal(t, "v3-retained", string(m.Payload()))
	case <-time.After(wait):
		t.Fatal("live message not delivered")
	}
	ret := s.Retained()
	require.Len(t, ret, 2)
	require.Equal(t, "seed/x", ret[0].Topic)
	require.Equal(t, "v3-retained", string(ret[1].Payload))

	ci, ok := s.Client("v3")
	require.True(t, ok)
	require.Equal(t, byte(4), ci.ProtocolVersion)
	require.Equal(t, []string{"seed/#"}, ci.Subscriptions)
}

func TestWillWithDelay(t *testing.T) {
	s := newServer(t)
	watcher := mustV5(t, s.Addr(), "watcher")
	watcher.sub(t, "wills/#", 1)

	conn := raw(t, s.Addr())
	delay := uint32(1)
	c := paho.NewClient(paho.ClientConfig{ClientID: "dying", Conn: conn})
	_, err := c.Connect(ctx(t), &paho.Connect{
		ClientID: "dying", CleanStart: true, KeepAlive: 30,
		WillMessage:    &paho.WillMessage{Topic: "wills/dying", Payload: []byte("gone"), QoS: 1},
		WillProperties: &paho.WillProperties{WillDelayInterval: &delay},
	})
	require.NoError(t, err)
	require.NoError(t, s.DisconnectClient("dying")) // abnormal end: the will must fire
	<-c.Done()
	m := watcher.next(t)
	require.Equal(t, "wills/dying", m.Topic)
	require.Equal(t, "gone", string(m.Payload))
}

func TestPersistentSessionGetsQueuedMessages(t *testing.T) {
	s := newServer(t)
	c1 := mustV5(t, s.Addr(), "durable", withSession(3600))
	c1.sub(t, "q/#", 1)
	c1.close()

	pub := mustV5(t, s.Addr(), "pub")
	const n = 50 // enough to catch mochi's shuffled resend, which the fake fixes
	for i := range n {
		pub.pub(t, "q/1", fmt.Sprint(i), 1, false)
	}
	pub.sync(t)
	ci, ok := s.Client("durable")
	require.True(t, ok)
	require.False(t, ci.Connected)
	require.Equal(t, n, ci.Pending)

	c2 := mustV5(t, s.Addr(), "durable", withSession(3600))
	require.True(t, c2.connack.SessionPresent)
	for i := range n {
		require.Equal(t, fmt.Sprint(i), string(c2.next(t).Payload))
	}
}

func TestSharedSubscription(t *testing.T) {
	s := newServer(t)
	a := mustV5(t, s.Addr(), "a")
	b := mustV5(t, s.Addr(), "b")
	a.sub(t, "$share/g/jobs", 1)
	b.sub(t, "$share/g/jobs", 1)
	pub := mustV5(t, s.Addr(), "pub")
	const n = 20
	for i := range n {
		pub.pub(t, "jobs", fmt.Sprint(i), 1, false)
	}
	seen := map[string]bool{}
	for range n {
		var m *paho.Publish
		select {
		case m = <-a.msgs:
		case m = <-b.msgs:
		case <-time.After(wait):
			t.Fatal("shared message missing")
		}
		require.False(t, seen[string(m.Payload)], "delivered twice: %s", m.Payload)
		seen[string(m.Payload)] = true
	}
	pub.pub(t, "jobs", "sync", 1, false) // a round trip: any duplicate would be queued by now
	_ = func() *paho.Publish {
		select {
		case m := <-a.msgs:
			return m
		case m := <-b.msgs:
			return m
		case <-time.After(wait):
			t.Fatal("sync message missing")
			return nil
		}
	}()
	a.none(t)
	b.none(t)
}

func TestTopicAliasFromClient(t *testing.T) {
	s := newServer(t)
	sub := mustV5(t, s.Addr(), "sub")
	sub.sub(t, "alias/#", 0)
	pub := mustV5(t, s.Addr(), "pub")
	alias := uint16(1)
	_, err := pub.Publish(ctx(t), &paho.Publish{Topic: "alias/long/topic", Payload: []byte("1"), QoS: 1,
		Properties: &paho.PublishProperties{TopicAlias: &alias}})
	require.NoError(t, err)
	_, err = pub.Publish(ctx(t), &paho.Publish{Topic: "", Payload: []byte("2"), QoS: 1,
		Properties: &paho.PublishProperties{TopicAlias: &alias}})
	require.NoError(t, err)
	require.Equal(t, "alias/long/topic", sub.next(t).Topic)
	require.Equal(t, "alias/long/topic", sub.next(t).Topic)
	pub.sync(t)
	require.Len(t, s.Published("alias/long/topic"), 2)
}

func TestMQTT31Client(t *testing.T) {
	s := newServer(t)
	opts := pahov3.NewClientOptions().AddBroker(s.URL()).SetClientID("v31").SetProtocolVersion(3)
	c := pahov3.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	defer c.Disconnect(100)
	got := make(chan string, 1)
	tok = c.Subscribe("old/#", 2, func(_ pahov3.Client, m pahov3.Message) { got <- string(m.Payload()) })
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	tok = c.Publish("old/1", 2, false, "mqisdp")
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	select {
	case p := <-got:
		require.Equal(t, "mqisdp", p)
	case <-time.After(wait):
		t.Fatal("no message")
	}
	ci, ok := s.Client("v31")
	require.True(t, ok)
	require.Equal(t, byte(3), ci.ProtocolVersion)
}

func TestTopicAliasToClient(t *testing.T) {
	s := newServer(t)
	max := uint16(10)
	sub := mustV5(t, s.Addr(), "sub", func(c *paho.Connect, _ *paho.ClientConfig) {
		c.Properties = &paho.ConnectProperties{TopicAliasMaximum: &max}
	})
	sub.sub(t, "out/#", 0)
	for range 2 {
		require.NoError(t, s.Publish("out/long/topic/name", []byte("x"), 0, false))
	}
	first, second := sub.next(t), sub.next(t)
	require.Equal(t, "out/long/topic/name", first.Topic)
	require.NotNil(t, second.Properties.TopicAlias, "mochi sent the second one by alias")
	require.Equal(t, *first.Properties.TopicAlias, *second.Properties.TopicAlias)
	// paho.golang's Client does not resolve inbound aliases: the caller sees
	// an empty topic plus the alias (mqttclient never enables aliases).
	require.Empty(t, second.Topic)
}

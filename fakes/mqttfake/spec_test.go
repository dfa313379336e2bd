package mqttfake

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"
)

// rawV5 connects with paho.golang's packet codec over a plain socket, for
// what the paho client hides (PUBREC properties, bursts past Receive
// Maximum); it returns the socket and the CONNACK.
func rawV5(t *testing.T, addr, id string) (net.Conn, *packets.Connack) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(wait)))
	_, err = (&packets.Connect{ProtocolName: "MQTT", ProtocolVersion: 5, ClientID: id, CleanStart: true, KeepAlive: 30}).WriteTo(c)
	require.NoError(t, err)
	cp, err := packets.ReadPacket(c)
	require.NoError(t, err)
	ca, ok := cp.Content.(*packets.Connack)
	require.True(t, ok, "got %s", cp)
	require.Zero(t, ca.ReasonCode)
	return c, ca
}

var publisherProps = []paho.UserProperty{{Key: "a", Value: "from the publisher"}}

// [MQTT-3.4.2.2] lets a broker put properties on PUBACK and PUBREC, but
// none echoes the publisher's own: Mosquitto sends `40 03 0001 10`-style
// acks with no properties. mochi copied them unless NoInheritedPropertiesOnAck.
func TestAcksCarryNoPublisherProperties(t *testing.T) {
	s := newServer(t)
	c := mustV5(t, s.Addr(), "ack-props")
	resp, err := c.Publish(ctx(t), &paho.Publish{
		Topic: "ack/props", QoS: 1, Payload: []byte("x"),
		Properties: &paho.PublishProperties{User: publisherProps},
	})
	require.NoError(t, err)
	if resp.Properties != nil {
		require.Empty(t, resp.Properties.User, "PUBACK echoes the publisher's user properties")
	}

	sa, err := c.Subscribe(ctx(t), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "ack/props", QoS: 1}},
		Properties: &paho.SubscribeProperties{User: publisherProps}})
	require.NoError(t, err)
	if sa.Properties != nil {
		require.Empty(t, sa.Properties.User, "SUBACK echoes the subscriber's user properties")
	}
	ua, err := c.Unsubscribe(ctx(t), &paho.Unsubscribe{Topics: []string{"ack/props"},
		Properties: &paho.UnsubscribeProperties{User: publisherProps}})
	require.NoError(t, err)
	if ua.Properties != nil {
		require.Empty(t, ua.Properties.User, "UNSUBACK echoes the subscriber's user properties")
	}

	conn, _ := rawV5(t, s.Addr(), "ack-props-qos2")
	up := packets.User{Key: "a", Value: "from the publisher"}
	_, err = (&packets.Publish{Topic: "ack/props", QoS: 2, PacketID: 7, Payload: []byte("x"),
		Properties: &packets.Properties{User: []packets.User{up}}}).WriteTo(conn)
	require.NoError(t, err)
	cp, err := packets.ReadPacket(conn)
	require.NoError(t, err)
	rec, ok := cp.Content.(*packets.Pubrec)
	require.True(t, ok, "got %s", cp)
	require.Equal(t, uint16(7), rec.PacketID)
	if rec.Properties != nil {
		require.Empty(t, rec.Properties.User, "PUBREC echoes the publisher's user properties")
	}
}

// [MQTT-3.3.2-5]: no Message Expiry Interval means the message does not
// expire; a broker must not invent one for live, retained or queued copies.
func TestNoInventedMessageExpiry(t *testing.T) {
	s := newServer(t)
	sub := mustV5(t, s.Addr(), "expiry-sub")
	sub.sub(t, "expiry/#", 1)
	pub := mustV5(t, s.Addr(), "expiry-pub")
	pub.pub(t, "expiry/live", "live", 1, false)
	pub.pub(t, "expiry/kept", "kept", 1, true)
	for range 2 {
		m := sub.next(t)
		require.Nil(t, m.Properties.MessageExpiry, "%s delivered with an invented expiry", m.Topic)
	}
	late := mustV5(t, s.Addr(), "expiry-late")
	late.sub(t, "expiry/kept", 1)
	m := late.next(t)
	require.Equal(t, "kept", string(m.Payload))
	require.Nil(t, m.Properties.MessageExpiry, "retained message delivered with an invented expiry")

	// A publisher's own interval is kept (less the time spent in the broker).
	exp := uint32(300)
	_, err := pub.Publish(ctx(t), &paho.Publish{Topic: "expiry/set", QoS: 1, Payload: []byte("x"),
		Properties: &paho.PublishProperties{MessageExpiry: &exp}})
	require.NoError(t, err)
	m = sub.next(t)
	require.NotNil(t, m.Properties.MessageExpiry)
	require.InDelta(t, 300, *m.Properties.MessageExpiry, 2)
}

// WithMaxMessageExpiry caps every message's lifetime, for tests that want a
// broker configured like that.
func TestMaxMessageExpiry(t *testing.T) {
	s := newServer(t, WithMaxMessageExpiry(time.Minute))
	sub := mustV5(t, s.Addr(), "maxexp-sub")
	sub.sub(t, "maxexp", 1)
	pub := mustV5(t, s.Addr(), "maxexp-pub")
	pub.pub(t, "maxexp", "x", 1, false)
	m := sub.next(t)
	require.NotNil(t, m.Properties.MessageExpiry)
	require.InDelta(t, 60, *m.Properties.MessageExpiry, 2)
}

// After a DISCONNECT with a reason, a client that is still writing reads
// the DISCONNECT and then an orderly end of stream, and its writes are not
// reset: the fake half-closes and drains instead of closing with unread
// bytes (which makes the kernel answer with a reset).
func TestServerDisconnectIsReadableWhileClientWrites(t *testing.T) {
	s := newServer(t, WithReceiveMaximum(1))
	conn, ca := rawV5(t, s.Addr(), "rm-burst")
	require.NotNil(t, ca.Properties.ReceiveMaximum)
	require.Equal(t, uint16(1), *ca.Properties.ReceiveMaximum)

	// Two QoS 2 publishes without PUBREL exceed Receive Maximum 1; the rest
	// of the burst is still being written when the fake gives up.
	written := make(chan error, 1)
	go func() {
		payload := make([]byte, 16<<10)
		for id := uint16(1); id <= 64; id++ {
			if _, err := (&packets.Publish{Topic: "rm", QoS: 2, PacketID: id, Payload: payload}).WriteTo(conn); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	var got []*packets.ControlPacket
	var err error
	for {
		var cp *packets.ControlPacket
		if cp, err = packets.ReadPacket(conn); err != nil {
			break
		}
		got = append(got, cp)
	}
	require.ErrorIs(t, err, io.EOF, "read after the DISCONNECT ended with %v, not an orderly close", err)
	require.NotEmpty(t, got)
	last, ok := got[len(got)-1].Content.(*packets.Disconnect)
	require.True(t, ok, "last packet %s", got[len(got)-1])
	require.Equal(t, byte(0x93), last.ReasonCode)
	require.NoError(t, <-written, "the client's writes were reset")
}

// WithServerKeepAlive makes the fake answer every v5 CONNECT with Server
// Keep Alive n, which the client must use instead of its own
// [MQTT-3.1.2-21]; paho.golang adopts it.
func TestServerKeepAlive(t *testing.T) {
	s := newServer(t, WithServerKeepAlive(7))
	c := mustV5(t, s.Addr(), "ska")
	require.NotNil(t, c.connack.Properties)
	require.True(t, c.connack.Properties.ServerKeepAlive != nil)
	require.Equal(t, uint16(7), *c.connack.Properties.ServerKeepAlive)

	// Without the option, no Server Keep Alive is sent (as Mosquitto without
	// max_keepalive overrides).
	plain := mustV5(t, newServer(t).Addr(), "no-ska")
	require.Nil(t, plain.connack.Properties.ServerKeepAlive)

	// The broker enforces the keep-alive it told the client: 1.5 × 7 s of
	// silence would end the connection; the client's own 30 s no longer counts.
	ci, ok := s.Client("ska")
	require.True(t, ok)
	require.Equal(t, 7, ci.KeepAlive)
}

// Receive Maximum defaults to Mosquitto's max_inflight_messages (20) and is
// advertised in CONNACK; WithReceiveMaximum changes it.
func TestReceiveMaximum(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		want uint16
	}{{nil, DefaultReceiveMaximum}, {[]Option{WithReceiveMaximum(3)}, 3}} {
		s := newServer(t, tc.opts...)
		c := mustV5(t, s.Addr(), "rm")
		require.NotNil(t, c.connack.Properties.ReceiveMaximum)
		require.Equal(t, tc.want, *c.connack.Properties.ReceiveMaximum)
	}
}

// A subscriber with Receive Maximum 2 gets every QoS 1 message, in order:
// mochi alone sends the ones it held back in any order and forgets them,
// so the last ones never arrive [MQTT-3.3.4-9].
func TestClientReceiveMaximumDeliversEverythingInOrder(t *testing.T) {
	s := newServer(t)
	rm := uint16(2)
	sub := mustV5(t, s.Addr(), "rm2-sub", func(c *paho.Connect, _ *paho.ClientConfig) {
		c.Properties = &paho.ConnectProperties{ReceiveMaximum: &rm}
	})
	sub.sub(t, "rm2", 1)
	pub := mustV5(t, s.Addr(), "rm2-pub")
	const n = 50
	for i := range n {
		pub.pub(t, "rm2", fmt.Sprint(i), 1, false)
	}
	for i := range n {
		require.Equal(t, fmt.Sprint(i), string(sub.next(t).Payload))
	}
}

// The fake advertises the topic aliases it accepts (Mosquitto's default 10;
// mochi accepted 65535 without saying so, so no client used them), and a
// publisher's alias resolves for subscribers.
func TestTopicAliasMaximumAdvertised(t *testing.T) {
	s := newServer(t)
	sub := mustV5(t, s.Addr(), "alias-sub")
	sub.sub(t, "alias/#", 1)
	conn, ca := rawV5(t, s.Addr(), "alias-pub")
	require.NotNil(t, ca.Properties.TopicAliasMaximum)
	require.Equal(t, uint16(DefaultTopicAliasMaximum), *ca.Properties.TopicAliasMaximum)
	one := uint16(1)
	for i, topic := range []string{"alias/x", ""} {
		_, err := (&packets.Publish{Topic: topic, QoS: 1, PacketID: uint16(i + 1), Payload: []byte{byte('a' + i)},
			Properties: &packets.Properties{TopicAlias: &one}}).WriteTo(conn)
		require.NoError(t, err)
	}
	for _, want := range []string{"a", "b"} {
		m := sub.next(t)
		require.Equal(t, "alias/x", m.Topic)
		require.Equal(t, want, string(m.Payload))
	}

	none := newServer(t, WithTopicAliasMaximum(0))
	_, ca = rawV5(t, none.Addr(), "no-alias")
	require.Nil(t, ca.Properties.TopicAliasMaximum)
}

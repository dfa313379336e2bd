package mqttfake

import (
	"io"
	"net"
	"testing"

	"github.com/eclipse/paho.golang/paho"
	pahov3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

func TestAuthCodesMatchMosquitto(t *testing.T) {
	s := newServer(t, WithUser("alice", "secret"))

	conn, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	c, err := dialV5(t, conn, "bad", withCreds("alice", "wrong"))
	require.Error(t, err)
	require.Equal(t, byte(0x87), c.connack.ReasonCode) // Mosquitto 2.0.11: 0x87, not 0x86

	conn, err = net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	c, err = dialV5(t, conn, "anon")
	require.Error(t, err)
	require.Equal(t, byte(0x87), c.connack.ReasonCode)

	// 3.1.1 wrong password: 20 02 00 05, exactly Mosquitto's bytes.
	flags := byte(0xC2) // username, password, clean session
	rc := raw(t, s.Addr(), connectPacket("MQTT", 4, flags, "v3", str("alice"), str("nope"))...)
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x05}, readAll(t, rc))

	mustV5(t, s.Addr(), "good", withCreds("alice", "secret"))
}

func TestAnonymousAllowedWithUsers(t *testing.T) {
	s := newServer(t, WithUser("alice", "secret"), WithAnonymous(true))
	mustV5(t, s.Addr(), "anon")
}

func TestACL(t *testing.T) {
	s := newServer(t, WithUser("dev", "pw"), WithACL("dev",
		ACL{Filter: "cmd/#", Read: true},
		ACL{Filter: "telemetry/#", Write: true},
		ACL{Filter: "echo/#", Read: true, Write: true},
	), WithUser("admin", "pw"))
	dev := mustV5(t, s.Addr(), "dev", withCreds("dev", "pw"))
	admin := mustV5(t, s.Addr(), "admin", withCreds("admin", "pw"))

	// Subscribe: allowed filters get their QoS, others 0x87.
	sa, err := dev.Subscribe(ctx(t), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{
		{Topic: "cmd/#", QoS: 1}, {Topic: "secret/#", QoS: 1}, {Topic: "echo/1", QoS: 1},
	}})
	require.Error(t, err) // paho.golang: "at least one requested subscription failed"
	require.Equal(t, []byte{1, 0x87, 1}, sa.Reasons)

	// Publish: a write-denied QoS 1 publish gets PUBACK 0x87 and goes nowhere.
	admin.sub(t, "#", 1)
	pr, err := dev.Publish(ctx(t), &paho.Publish{Topic: "cmd/reboot", Payload: []byte("x"), QoS: 1})
	if err == nil { // paho.golang returns the PUBACK with an error for codes >= 0x80
		t.Fatalf("publish to read-only topic succeeded: %+v", pr)
	}
	require.Equal(t, byte(0x87), pr.ReasonCode)
	dev.pub(t, "telemetry/t1", "ok", 1, false)
	m := admin.next(t)
	require.Equal(t, "telemetry/t1", m.Topic)

	admin.pub(t, "cmd/reboot", "now", 1, false)
	require.Equal(t, "cmd/reboot", dev.next(t).Topic)
	dev.pub(t, "echo/1", "e", 1, false)
	require.Equal(t, "echo/1", dev.next(t).Topic)

	// admin's own message (via "#") and dev's, in either order: mochi routes
	// each connection's messages on its own goroutine.
	require.ElementsMatch(t, []string{"cmd/reboot", "echo/1"}, []string{admin.next(t).Topic, admin.next(t).Topic})

	// 3.1.1: a denied QoS 1 publish is acknowledged (rc 0) and dropped, as
	// Mosquitto 2.0.11 does; the connection stays up.
	opts := pahov3.NewClientOptions().AddBroker(s.URL()).SetClientID("dev3").
		SetUsername("dev").SetPassword("pw").SetProtocolVersion(4)
	v3 := pahov3.NewClient(opts)
	tok := v3.Connect()
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	defer v3.Disconnect(100)
	tok = v3.Publish("cmd/reboot", 1, false, "denied")
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	tok = v3.Publish("telemetry/t3", 1, false, "allowed")
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	require.Equal(t, "telemetry/t3", admin.next(t).Topic, "denied message never arrived, connection kept")
	require.True(t, v3.IsConnected())
	var denied []Message
	for _, m := range s.Published("cmd/reboot") {
		if string(m.Payload) == "denied" {
			denied = append(denied, m)
		}
	}
	require.Len(t, denied, 1)
	require.True(t, denied[0].Dropped)
}

// mochi checks write ACLs on the raw topic name, which is empty when a
// publish uses a topic alias; the fake checks the resolved topic.
func TestACLWithTopicAlias(t *testing.T) {
	s := newServer(t, WithUser("dev", "pw"), WithACL("dev", ACL{Filter: "telemetry/#", Read: true, Write: true}))
	c := mustV5(t, s.Addr(), "dev", withCreds("dev", "pw"))
	c.sub(t, "telemetry/#", 1)
	alias := uint16(1)
	for _, topic := range []string{"telemetry/t1", ""} {
		_, err := c.Publish(ctx(t), &paho.Publish{Topic: topic, Payload: []byte("v"), QoS: 1,
			Properties: &paho.PublishProperties{TopicAlias: &alias}})
		require.NoError(t, err)
		require.Equal(t, "telemetry/t1", c.next(t).Topic)
	}
}

func TestACLForUnknownUser(t *testing.T) {
	_, err := New(WithUser("dev", "pw"), WithACL("ghost", ACL{Filter: "#", Read: true}))
	require.ErrorContains(t, err, "ghost")
}

// An empty password (flag set, zero length) is just a wrong password:
// Mosquitto 2.0.11 answers 20 02 00 05 (3.1.1) and 20 03 00 87 00 (v5),
// and accepts it on an anonymous broker; mochi alone sends 0x82.
func TestEmptyPassword(t *testing.T) {
	connect := func(level byte) []byte {
		return connectPacket("MQTT", level, 0x80|0x40|0x02, "empty-pw", str("dev"), str(""))
	}
	s := newServer(t, WithUser("dev", "secret"))
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x05}, readAll(t, raw(t, s.Addr(), connect(4)...)))
	require.Equal(t, []byte{0x20, 0x03, 0x00, 0x87, 0x00}, readAll(t, raw(t, s.Addr(), connect(5)...)))

	open := newServer(t)
	c := raw(t, open.Addr(), connect(4)...)
	ack := make([]byte, 4)
	_, err := io.ReadFull(c, ack)
	require.NoError(t, err)
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x00}, ack)
}

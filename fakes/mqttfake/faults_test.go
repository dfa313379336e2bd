package mqttfake

import (
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"
)

func TestRejectConnect(t *testing.T) {
	s := newServer(t)
	s.RejectConnect("", 2, 0x88) // server unavailable

	conn, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	c, err := dialV5(t, conn, "one")
	require.Error(t, err)
	require.Equal(t, byte(0x88), c.connack.ReasonCode)

	rc := raw(t, s.Addr(), connectPacket("MQTT", 4, 2, "v3")...)
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x03}, readAll(t, rc), "v3 gets server unavailable")

	mustV5(t, s.Addr(), "third") // only two were rejected

	s.RejectConnect("banned", -1, 0x8A)
	conn, err = net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	c, err = dialV5(t, conn, "banned")
	require.Error(t, err)
	require.Equal(t, byte(0x8A), c.connack.ReasonCode)
	mustV5(t, s.Addr(), "other")
	s.ResetFaults()
	mustV5(t, s.Addr(), "banned")

	s.DelayConnect(10 * time.Millisecond) // slower, still accepted
	mustV5(t, s.Addr(), "slow")
	s.DelayConnect(0)
}

func TestFailPublish(t *testing.T) {
	s := newServer(t)
	c := mustV5(t, s.Addr(), "c")
	c.sub(t, "f/#", 2)
	s.FailPublish("f/1", 1, 0x97) // quota exceeded
	for _, qos := range []byte{1, 2} {
		if qos == 2 {
			s.FailPublish("f/1", 1, 0x97)
		}
		pr, err := c.Publish(ctx(t), &paho.Publish{Topic: "f/1", QoS: qos, Payload: []byte("x")})
		if qos == 1 {
			require.Error(t, err)
		} // paho.golang returns a failing PUBREC as a response without error
		require.Equal(t, byte(0x97), pr.ReasonCode)
	}
	c.pub(t, "f/1", "after", 1, false)
	require.Equal(t, "after", string(c.next(t).Payload), "failed publishes were not delivered")
	c.none(t)
}

func TestDropAndDelayDeliveries(t *testing.T) {
	s := newServer(t)
	c := mustV5(t, s.Addr(), "c")
	c.sub(t, "d/#", 1)
	s.DropDeliveries("d/+", 2)
	c.pub(t, "d/1", "lost1", 1, true)
	c.pub(t, "d/2", "lost2", 1, false)
	c.pub(t, "d/3", "kept", 1, false)
	require.Equal(t, "kept", string(c.next(t).Payload))
	c.none(t)
	c.sync(t)
	require.Empty(t, s.Retained(), "a dropped message is not retained")
	require.True(t, s.Published("d/1")[0].Dropped)
	require.False(t, s.Published("d/3")[0].Dropped)

	s.DelayDeliveries("d/slow", 20*time.Millisecond)
	c.pub(t, "d/slow", "late", 1, false)
	require.Equal(t, "late", string(c.next(t).Payload))
	s.DelayDeliveries("d/slow", 0)
}

func TestDisconnectAllKeepsServing(t *testing.T) {
	s := newServer(t)
	a := mustV5(t, s.Addr(), "a")
	b := mustV5(t, s.Addr(), "b")
	require.Equal(t, 2, s.DisconnectAll())
	for _, c := range []*v5{a, b} {
		select {
		case <-c.Done():
		case <-time.After(wait):
			t.Fatal("client not disconnected")
		}
	}
	require.Error(t, s.DisconnectClient("a"), "already gone")
	mustV5(t, s.Addr(), "a")
	require.NoError(t, s.DisconnectClient("a"))
}

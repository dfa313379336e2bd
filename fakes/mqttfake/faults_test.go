package mqttfake

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fault"
)

// must checks that a fault was installed: must(t)(s.FailNext(...)).
func must(t testing.TB) func(*fault.Handle, error) *fault.Handle {
	return func(h *fault.Handle, err error) *fault.Handle {
		t.Helper()
		require.NoError(t, err)
		return h
	}
}

func TestFailNextUnknownOpIsAnError(t *testing.T) {
	s := newServer(t)
	_, err := s.FailNext("PINGREQ", "", 1, 0x80)
	require.ErrorContains(t, err, "unknown operation")
	_, err = s.Delay("connect", time.Second)
	require.Error(t, err, "operation names are exact")
	require.Empty(t, s.Faults(), "nothing installed")
}

func TestFailNextConnect(t *testing.T) {
	s := newServer(t)
	h := must(t)(s.FailNext(OpConnect, fault.Any, 2, 0x88)) // server unavailable

	conn, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	c, err := dialV5(t, conn, "one")
	require.Error(t, err)
	require.Equal(t, byte(0x88), c.connack.ReasonCode)

	rc := raw(t, s.Addr(), connectPacket("MQTT", 4, 2, "v3")...)
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x03}, readAll(t, rc), "v3 gets server unavailable")

	mustV5(t, s.Addr(), "third") // only two were rejected
	require.Equal(t, 2, h.Hits())
	require.Empty(t, s.Faults(), "a used-up rule is uninstalled")

	must(t)(s.FailNext(OpConnect, "banned", -1, 0x8A))
	require.Equal(t, []fault.Rule{{Kind: "fail", Op: "CONNECT", Target: "banned", Left: -1, Code: "138"}}, s.Faults())
	conn, err = net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	c, err = dialV5(t, conn, "banned")
	require.Error(t, err)
	require.Equal(t, byte(0x8A), c.connack.ReasonCode)
	mustV5(t, s.Addr(), "other")
	s.ResetFaults()
	mustV5(t, s.Addr(), "banned")

	d := must(t)(s.Delay(OpConnect, 10*time.Millisecond)) // slower, still accepted
	mustV5(t, s.Addr(), "slow")
	require.Equal(t, 1, d.Hits())
	d.Remove()
	require.Empty(t, s.Faults())
}

// A handle's Wait lets a test block until the fault has fired, here on a
// client the code under test connects in the background.
func TestHandleWait(t *testing.T) {
	s := newServer(t)
	h := must(t)(s.FailNext(OpPublish, "w/1", 1, 0x97))
	c := mustV5(t, s.Addr(), "c")
	go func() {
		_, _ = c.Publish(context.Background(), &paho.Publish{Topic: "w/1", QoS: 1, Payload: []byte("x")})
	}()
	require.NoError(t, h.Wait(ctx(t), 1))
	require.Equal(t, 1, h.Hits())
	short, cancel := context.WithTimeout(ctx(t), 10*time.Millisecond)
	defer cancel()
	require.Error(t, h.Wait(short, 2), "only one hit")
}

// A delay ends when the server closes, instead of outliving it.
func TestDelayEndsOnClose(t *testing.T) {
	s, err := New()
	require.NoError(t, err)
	h := must(t)(s.Delay(OpConnect, time.Hour))
	conn, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = dialV5(t, conn, "stuck")
	}()
	require.NoError(t, h.Wait(ctx(t), 1))
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(wait):
		t.Fatal("Close waited for the delay")
	}
	<-done
}

func TestFailNextSubscribe(t *testing.T) {
	s := newServer(t)
	c := mustV5(t, s.Addr(), "c")
	h := must(t)(s.FailNext(OpSubscribe, "s/bad", 1, 0x97))
	sa, err := c.Subscribe(ctx(t), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{
		{Topic: "s/ok", QoS: 1}, {Topic: "s/bad", QoS: 1},
	}})
	require.Error(t, err, "paho reports a failed filter")
	require.Equal(t, []byte{1, 0x97}, sa.Reasons)
	require.Equal(t, 1, h.Hits())
	cl, _ := s.Client("c")
	require.Equal(t, []string{"s/ok"}, cl.Subscriptions, "the failed filter is not subscribed")
	c.sub(t, "s/bad", 1) // only once
}

func TestFailNextPublish(t *testing.T) {
	s := newServer(t)
	c := mustV5(t, s.Addr(), "c")
	c.sub(t, "f/#", 2)
	must(t)(s.FailNext(OpPublish, "f/1", 1, 0x97)) // quota exceeded
	for _, qos := range []byte{1, 2} {
		if qos == 2 {
			must(t)(s.FailNext(OpPublish, "f/1", 1, 0x97))
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

func TestDropConnectionsKeepsServing(t *testing.T) {
	s := newServer(t)
	a := mustV5(t, s.Addr(), "a")
	b := mustV5(t, s.Addr(), "b")
	require.Equal(t, 2, s.DropConnections())
	for _, c := range []*v5{a, b} {
		select {
		case <-c.Done():
		case <-time.After(wait):
			t.Fatal("client not disconnected")
		}
	}
	// The client sees its socket close before the server has finished
	// stopping it, so "gone" is awaited rather than asserted at once.
	require.Eventually(t, func() bool { _, ok := s.Client("a"); return !ok || s.DisconnectClient("a") != nil },
		wait, 5*time.Millisecond, "already gone")
	mustV5(t, s.Addr(), "a")
	require.NoError(t, s.DisconnectClient("a"))
}

package mqttfake

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wait = 10 * time.Second

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return c
}

func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// v5 is a paho.golang (MQTT 5) client with its received messages on a channel.
type v5 struct {
	*paho.Client
	msgs    chan *paho.Publish
	connack *paho.Connack
}

type v5opt func(*paho.Connect, *paho.ClientConfig)

func withSession(expiry uint32) v5opt {
	return func(c *paho.Connect, _ *paho.ClientConfig) {
		c.CleanStart = false
		c.Properties = &paho.ConnectProperties{SessionExpiryInterval: &expiry}
	}
}

func withCreds(user, pass string) v5opt {
	return func(c *paho.Connect, _ *paho.ClientConfig) {
		c.Username, c.UsernameFlag = user, true
		c.Password, c.PasswordFlag = []byte(pass), true
	}
}

// dialV5 connects a paho.golang client; the connection is closed at cleanup.
func dialV5(t testing.TB, conn net.Conn, id string, opts ...v5opt) (*v5, error) {
	t.Helper()
	c := &v5{msgs: make(chan *paho.Publish, 1<<17)}
	cfg := paho.ClientConfig{
		ClientID: id,
		// paho.golang writes a packet in several Write calls from several
		// goroutines; only plain TCP (writev) keeps them whole. Over TLS,
		// unwrapped, packets interleave and the broker sees garbage.
		Conn: packets.NewThreadSafeConn(conn),
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){
			func(pr paho.PublishReceived) (bool, error) { c.msgs <- pr.Packet; return true, nil },
		},
	}
	cp := &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 30}
	for _, o := range opts {
		o(cp, &cfg)
	}
	c.Client = paho.NewClient(cfg)
	ca, err := c.Connect(ctx(t), cp)
	c.connack = ca
	if err != nil {
		return c, err
	}
	t.Cleanup(func() { c.close() })
	return c, nil
}

func (c *v5) close() {
	_ = c.Disconnect(&paho.Disconnect{ReasonCode: 0})
	<-c.Done()
}

func mustV5(t testing.TB, addr, id string, opts ...v5opt) *v5 {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	c, err := dialV5(t, conn, id, opts...)
	require.NoError(t, err)
	return c
}

func mustV5TLS(t testing.TB, addr string, cfg *tls.Config, id string) *v5 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	require.NoError(t, err)
	c, err := dialV5(t, conn, id)
	require.NoError(t, err)
	return c
}

func (c *v5) sub(t testing.TB, filter string, qos byte) {
	t.Helper()
	sa, err := c.Subscribe(ctx(t), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: qos}}})
	require.NoError(t, err)
	require.Equal(t, []byte{qos}, sa.Reasons)
}

func (c *v5) pub(t testing.TB, topic, payload string, qos byte, retain bool) {
	t.Helper()
	_, err := c.Publish(ctx(t), &paho.Publish{Topic: topic, Payload: []byte(payload), QoS: qos, Retain: retain})
	require.NoError(t, err)
}

// sync returns once every message c published before has been routed: mochi
// acks a QoS 1 publish before routing it, but handles one connection's
// packets in order.
func (c *v5) sync(t testing.TB) {
	t.Helper()
	c.pub(t, "mqttfake-test/sync", "", 1, false)
}

func (c *v5) next(t testing.TB) *paho.Publish {
	t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(wait):
		t.Fatal("no message received")
		return nil
	}
}

// none checks that nothing is waiting, after a round trip that lets any
// message already routed arrive first (mochi routes before it acks).
func (c *v5) none(t testing.TB) {
	t.Helper()
	select {
	case m := <-c.msgs:
		t.Fatalf("unexpected message on %s: %q", m.Topic, m.Payload)
	default:
	}
}

// raw dials and writes bytes, returning the connection.
func raw(t testing.TB, addr string, b ...byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	if len(b) > 0 {
		_, err = c.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, c.SetDeadline(time.Now().Add(wait)))
	return c
}

// readAll reads until the peer closes the connection.
func readAll(t testing.TB, c net.Conn) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 256)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "connection not closed; got % x", out)
			return out
		}
	}
}

func str(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

// connectPacket builds a CONNECT by hand (name, level, flags, props for v5).
func connectPacket(name string, level, flags byte, id string, extra ...[]byte) []byte {
	vh := append(str(name), level, flags, 0, 30)
	if level == 5 {
		vh = append(vh, 0)
	}
	vh = append(vh, str(id)...)
	for _, e := range extra {
		vh = append(vh, e...)
	}
	return append(append([]byte{0x10}, varint(len(vh))...), vh...)
}

func varint(n int) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}

package mqttfake

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// A connection that never completes its CONNECT (nothing, half a CONNECT,
// half a TLS ClientHello) is closed after the CONNECT deadline; Mosquitto
// closes such connections after 1.5 × its 60 s default keep-alive
// (measured: 93 s for all three on 2.0.11).
func TestConnectDeadline(t *testing.T) {
	s := newServer(t, WithTLS(), WithConnectTimeout(200*time.Millisecond))
	cases := []struct {
		name, addr string
		in         []byte
	}{
		{"nothing", s.Addr(), nil},
		{"half a CONNECT", s.Addr(), []byte{0x10, 0x20, 0x00, 0x04, 'M'}},
		{"CONNECT header announcing 1 MiB", s.Addr(), []byte{0x10, 0x80, 0x80, 0x40}},
		{"half a ClientHello", s.TLSAddr(), []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00}},
		{"TCP to the TLS port, nothing", s.TLSAddr(), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c := raw(t, tc.addr, tc.in...)
			got := readAll(t, c)
			t.Logf("closed after %v (got % x)", time.Since(start).Round(time.Millisecond), got)
		})
	}

	// A client that connects in time is not affected by the deadline.
	ok := mustV5TLS(t, s.TLSAddr(), s.ClientTLSConfig(), "in-time")
	time.Sleep(400 * time.Millisecond) // past the CONNECT deadline, on purpose
	ok.sub(t, "t", 1)
	ok.pub(t, "t", "p", 1, false)
	require.Equal(t, "p", string(ok.next(t).Payload))
}

// A connected client silent for 1.5 × its keep-alive is closed (mochi sets
// the deadline, [MQTT-3.1.2-22]); one that pings stays.
func TestKeepAliveTimeout(t *testing.T) {
	s := newServer(t)
	connect := func(id string) net.Conn {
		pk := connectPacket("MQTT", 4, 2, id)
		pk[10], pk[11] = 0, 1 // keep-alive 1 s
		c := raw(t, s.Addr(), pk...)
		ack := make([]byte, 4)
		_, err := io.ReadFull(c, ack)
		require.NoError(t, err)
		require.Equal(t, []byte{0x20, 0x02, 0x00, 0x00}, ack)
		return c
	}
	silent := connect("silent")
	pinger := connect("pinger")
	start := time.Now()
	stop := make(chan struct{})
	pinged := make(chan error, 1)
	go func() {
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				pinged <- nil
				return
			case <-tick.C:
				if _, err := pinger.Write([]byte{0xc0, 0x00}); err != nil {
					pinged <- err
					return
				}
				resp := make([]byte, 2)
				if _, err := io.ReadFull(pinger, resp); err != nil {
					pinged <- err
					return
				}
			}
		}
	}()
	require.Empty(t, readAll(t, silent))
	t.Logf("silent client (keep-alive 1 s) closed after %v", time.Since(start).Round(time.Millisecond))
	close(stop)
	require.NoError(t, <-pinged, "the pinging client stays connected")
}

// The CONNECT deadline applies after a WebSocket upgrade too.
func TestConnectDeadlineWebSocket(t *testing.T) {
	s := newServer(t, WithWebSocket(), WithConnectTimeout(200*time.Millisecond))
	d := websocket.Dialer{Subprotocols: []string{"mqtt"}}
	ws, resp, err := d.Dial(s.WSURL(), nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = ws.Close() })
	require.NoError(t, ws.WriteMessage(websocket.BinaryMessage, []byte{0x10, 0x20, 0x00}))
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(wait)))
	start := time.Now()
	_, _, err = ws.ReadMessage()
	require.Error(t, err)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "closed by the server, not by our deadline")
	t.Logf("closed after %v", time.Since(start).Round(time.Millisecond))
}

package mqttfake

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// mqttConn is what mochi reads from: it replays the CONNECT head the fake
// already consumed, reads packets so that mochi never allocates more than
// the client sent (packetreader.go), enforces the packet size limits, and
// serialises writes so the fake's own DISCONNECT never lands inside one of
// mochi's packets.
type mqttConn struct {
	net.Conn
	pr      packetReader
	level   byte
	wmu     sync.Mutex
	readErr error
	closed  atomic.Bool
}

// newMQTTConn wraps c; connected runs once the whole CONNECT has been read.
func newMQTTConn(c net.Conn, head []byte, level byte, max uint32, connected func()) *mqttConn {
	src := io.MultiReader(bytes.NewReader(head), bufio.NewReaderSize(c, 4096))
	return &mqttConn{Conn: c, level: level, pr: packetReader{src: src, max: max, first: connected}}
}

func (c *mqttConn) Read(p []byte) (int, error) {
	if c.readErr != nil {
		return 0, c.readErr
	}
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := c.pr.Read(p)
	if err != nil && c.closed.Load() {
		return n, net.ErrClosed // the deadline Close set, not the client
	}
	if err == errPacketTooLarge || err == errMalformedLen || err == errMalformedTopic {
		c.refuse(err)
	}
	return n, err
}

// refuse tells a v5 client why it is being dropped with DISCONNECT 0x95
// (packet too large) or 0x81 (malformed: a PUBLISH topic that is not valid
// UTF-8), byte for byte what Mosquitto 2.0.11 sends. Anything before
// CONNECT, a malformed length and v3 clients just see the connection
// close, as with Mosquitto.
func (c *mqttConn) refuse(err error) {
	c.readErr = err
	if c.level != 5 || c.pr.packets == 0 {
		return
	}
	switch err {
	case errPacketTooLarge:
		_, _ = c.Write([]byte{0xe0, 0x01, 0x95})
	case errMalformedTopic:
		_, _ = c.Write([]byte{0xe0, 0x01, 0x81})
	}
}

func (c *mqttConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// lingerTimeout bounds how long a closed connection is drained while the
// client has not closed its side.
const lingerTimeout = 2 * time.Second

// Close is how mochi and the fake end a connection. It stops the broker
// reading and writing, but only half-closes the socket (FIN after
// everything written, the DISCONNECT with its reason included); linger
// then drains what the client still sends. Closing outright with unread
// bytes makes the kernel reset the connection, and a client still writing
// gets "connection reset by peer" instead of reading why it was dropped.
// WebSocket connections have no half-close and are closed at once.
func (c *mqttConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	hc, ok := halfCloser(c.Conn)
	if !ok || hc.CloseWrite() != nil {
		return c.Conn.Close()
	}
	return c.Conn.SetReadDeadline(time.Now()) // wakes the broker's reader
}

// linger runs once the broker is done with the connection: it half-closes
// the socket (if nobody did) and discards what the client sends until it
// closes its side, d passes, or the server shuts (the gate closes the
// socket). The caller then closes the socket.
func (c *mqttConn) linger(d time.Duration) {
	_ = c.Close()
	if _, ok := halfCloser(c.Conn); !ok {
		return
	}
	if c.Conn.SetReadDeadline(time.Now().Add(d)) != nil {
		return
	}
	_, _ = io.Copy(io.Discard, c.Conn)
}

// halfCloser finds CloseWrite on c or a connection it wraps: TCP sends a
// FIN, TLS a close_notify.
func halfCloser(c net.Conn) (interface{ CloseWrite() error }, bool) {
	for {
		if hc, ok := c.(interface{ CloseWrite() error }); ok {
			return hc, true
		}
		u, ok := c.(interface{ Unwrap() net.Conn })
		if !ok {
			return nil, false
		}
		c = u.Unwrap()
	}
}

package mqttfake

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"sync"
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
	n, err := c.pr.Read(p)
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
	return c.Conn.Write(p)
}

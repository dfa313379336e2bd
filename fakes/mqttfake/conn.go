package mqttfake

import (
	"net"
	"sync"
)

// mqttConn is what mochi reads from: it replays the CONNECT head the fake
// already consumed, enforces the packet size limit, and serialises writes
// so the fake's own DISCONNECT never lands inside one of mochi's packets.
type mqttConn struct {
	net.Conn
	head    []byte
	level   byte
	fr      framer
	limit   bool
	wmu     sync.Mutex
	readErr error
}

func newMQTTConn(c net.Conn, head []byte, level byte, max uint32) *mqttConn {
	mc := &mqttConn{Conn: c, head: head, level: level, fr: framer{max: max}, limit: max > 0}
	if mc.limit {
		if _, err := mc.fr.feed(head); err != nil {
			mc.refuse(err)
			mc.head = nil
		}
	}
	return mc
}

func (c *mqttConn) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		return n, nil
	}
	if c.readErr != nil {
		return 0, c.readErr
	}
	n, err := c.Conn.Read(p)
	if n > 0 && c.limit {
		ok, ferr := c.fr.feed(p[:n])
		if ferr != nil {
			c.refuse(ferr)
			if ok > 0 {
				return ok, nil // hand mochi the complete packets before the bad one
			}
			return 0, c.readErr
		}
	}
	return n, err
}

// refuse tells a v5 client why it is being dropped with DISCONNECT 0x95,
// byte for byte what Mosquitto 2.0.11 sends. An oversized CONNECT, a
// malformed length and v3 clients just see the connection close, as with
// Mosquitto.
func (c *mqttConn) refuse(err error) {
	c.readErr = err
	if err != errPacketTooLarge || c.level != 5 || c.fr.packets == 0 {
		return
	}
	_, _ = c.Write([]byte{0xe0, 0x01, 0x95}) // DISCONNECT, Packet too large
}

func (c *mqttConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.Conn.Write(p)
}

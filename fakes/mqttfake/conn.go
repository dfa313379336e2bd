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

// refuse tells a v5 client why it is being dropped: CONNACK 0x95 if the
// CONNECT itself was too large, otherwise DISCONNECT 0x95. Malformed lengths
// and v3 clients just see the connection close, as the spec asks.
func (c *mqttConn) refuse(err error) {
	c.readErr = err
	if err != errPacketTooLarge || c.level != 5 {
		return
	}
	pk := []byte{0xe0, 0x01, 0x95} // DISCONNECT, Packet too large
	if c.fr.packets == 0 {
		pk = []byte{0x20, 0x03, 0x00, 0x95, 0x00} // CONNACK, no properties
	}
	_, _ = c.Write(pk)
}

func (c *mqttConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.Conn.Write(p)
}

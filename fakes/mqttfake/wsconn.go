package mqttfake

import (
	"errors"
	"io"
	"net"
	"sync"

	"github.com/gorilla/websocket"
)

// wsConn presents a WebSocket as the byte stream mochi expects: MQTT packets
// travel in binary messages, which may split or join packets freely.
type wsConn struct {
	net.Conn // the hijacked TCP connection: addresses, deadlines, Close
	ws       *websocket.Conn
	r        io.Reader
	wmu      sync.Mutex
}

var errTextFrame = errors.New("mqttfake: MQTT over WebSocket needs binary frames")

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			typ, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if typ != websocket.BinaryMessage {
				return 0, errTextFrame
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error { return c.ws.Close() }

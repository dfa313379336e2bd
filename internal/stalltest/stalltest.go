// Package stalltest checks that a server closes a connection that stops
// sending half way, as a client that hangs or attacks would.
package stalltest

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// Closed dials addr, writes start (a request's first bytes, or nothing),
// then stays silent and fails t unless the server closes the connection
// within limit. Anything the server writes before closing is ignored.
func Closed(t testing.TB, addr string, start []byte, limit time.Duration) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(start) > 0 {
		if _, err := c.Write(start); err != nil {
			t.Fatal(err)
		}
	}
	if err := WaitClosed(c, limit); err != nil {
		t.Fatalf("%s: %v after %q", addr, err, start)
	}
}

// WaitClosed reads from c, ignoring what the server writes, until the
// server closes it; it returns an error if c is still open after limit.
func WaitClosed(c net.Conn, limit time.Duration) error {
	if err := c.SetReadDeadline(time.Now().Add(limit)); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("connection still open after %v", limit)
		}
		return nil
	}
}

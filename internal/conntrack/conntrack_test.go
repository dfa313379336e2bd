package conntrack

import (
	"net"
	"testing"
)

func TestCloseAllCutsAcceptedConnections(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var tr Tracker
	ln := tr.Listener(raw)
	defer ln.Close()
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
		<-accepted
	}
	if tr.Count() != 3 {
		t.Fatalf("Count = %d, want 3", tr.Count())
	}
	if n := tr.CloseAll(); n != 3 {
		t.Fatalf("CloseAll = %d, want 3", n)
	}
	if tr.Count() != 0 {
		t.Fatalf("Count after CloseAll = %d", tr.Count())
	}
	for _, c := range clients {
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("client connection still open after CloseAll")
		}
	}
}

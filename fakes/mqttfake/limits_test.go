package mqttfake

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hugeConnect is the start of a CONNECT announcing 256 MiB (issue 14 item 1).
var hugeConnect = []byte{0x10, 0xff, 0xff, 0xff, 0x7f, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

const attackers = 30

// A CONNECT announcing 256 MiB is over the 1 MiB CONNECT bound: the
// connection is closed without the fake allocating what was announced.
func TestHugeConnectAllocatesNothing(t *testing.T) {
	s := newServer(t, WithMaxPacketSize(0)) // even with the protocol maximum
	before := heapInUse()
	for i := 0; i < attackers; i++ {
		c := raw(t, s.Addr(), hugeConnect...)
		require.Empty(t, readAll(t, c), "closed without a CONNACK")
	}
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("%d × 256 MiB CONNECT: heap %d → %d KiB (%+d KiB)", attackers, before>>10, after>>10, growth>>10)
	require.Less(t, growth, int64(8<<20))

	// Under the bound (a CONNECT announcing 1 MiB), held open: each costs
	// what it sent plus one 64 KiB read buffer.
	before = heapInUse()
	held := make([]net.Conn, attackers)
	const sent = 100
	for i := range held {
		held[i] = raw(t, s.Addr(), append([]byte{0x10, 0xf6, 0xff, 0x3f, 0, 4, 'M', 'Q', 'T', 'T', 5}, make([]byte, sent-6)...)...)
	}
	waitFor(t, func() bool { return heldBytes.Load() >= attackers*sent })
	after = heapInUse()
	growth = int64(after) - int64(before)
	t.Logf("%d × 1 MiB CONNECT holding (%d bytes sent each): heap %d → %d KiB (%+d KiB)", attackers, sent+4, before>>10, after>>10, growth>>10)
	require.Less(t, growth, int64(8<<20))
	for _, c := range held {
		require.NoError(t, c.Close())
	}
	waitFor(t, func() bool { return heldBytes.Load() == 0 })

	ok := mustV5(t, s.Addr(), "after-huge-connect")
	ok.sub(t, "t", 1)
	ok.pub(t, "t", "p", 1, false)
	require.Equal(t, "p", string(ok.next(t).Payload))
}

// bigConnect builds a v5 CONNECT of exactly size bytes, filled with user
// properties.
func bigConnect(t testing.TB, size int) []byte {
	t.Helper()
	const id = "big-connect"
	for l := size; l > 0; l-- { // l: properties length
		rem := len(str("MQTT")) + 4 + len(varint(l)) + l + len(str(id))
		if 1+len(varint(rem))+rem != size {
			continue
		}
		var props []byte
		for left := l; left > 0; {
			v := min(left-6, 60000)
			if left-(6+v) > 0 && left-(6+v) < 6 {
				v -= 6 // leave room for a last property
			}
			props = append(props, 0x26)
			props = append(props, str("k")...)
			props = append(props, str(strings.Repeat("u", v))...)
			left -= 6 + v
		}
		require.Len(t, props, l)
		vh := append(str("MQTT"), 5, 2, 0, 30)
		vh = append(vh, varint(l)...)
		vh = append(vh, props...)
		vh = append(vh, str(id)...)
		pk := append(append([]byte{0x10}, varint(len(vh))...), vh...)
		require.Len(t, pk, size)
		return pk
	}
	t.Fatalf("no CONNECT of %d bytes", size)
	return nil
}

// A CONNECT of 1 MiB is accepted, one byte more closes the connection.
func TestConnectSizeBound(t *testing.T) {
	s := newServer(t, WithMaxPacketSize(0))
	c := raw(t, s.Addr(), bigConnect(t, maxConnectSize)...)
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 4)
	require.Equal(t, []byte{0x20}, buf[:1], "CONNACK")
	require.Equal(t, byte(0), buf[3], "success, got % x", buf[:n])

	// The server closes after the header, while the client is still
	// writing: the write may fail with a reset.
	over := bigConnect(t, maxConnectSize+1)
	c = raw(t, s.Addr())
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, _ = c.Write(over)
	}()
	require.Empty(t, readAll(t, c))
	<-wrote
}

// After CONNECT, packets announcing more than was sent are buffered as the
// bytes arrive: 30 clients announcing 256 MiB PUBLISHes and holding cost
// only what they sent, and the broker keeps serving.
func TestHugePublishHeldCheaply(t *testing.T) {
	s := newServer(t, WithMaxPacketSize(0)) // the protocol maximum: 256 MiB
	const sent = 1000
	conns := make([]net.Conn, attackers)
	for i := range conns {
		c := raw(t, s.Addr(), connectPacket("MQTT", 4, 2, fmt.Sprintf("holder-%d", i))...)
		ack := make([]byte, 4)
		_, err := c.Read(ack)
		require.NoError(t, err)
		require.Equal(t, []byte{0x20, 0x02, 0x00, 0x00}, ack)
		conns[i] = c
	}
	// Measured from here: what connected clients cost anyway is not the
	// attack's (mochi allocates each client's write queue up front).
	before := heapInUse()
	for _, c := range conns {
		_, err := c.Write(append([]byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0, 1, 'a'}, make([]byte, sent)...))
		require.NoError(t, err)
	}
	waitFor(t, func() bool { return heldBytes.Load() >= attackers*(sent+3) })
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("%d × 256 MiB PUBLISH holding (%d bytes sent each): heap %d → %d KiB (%+d KiB)",
		attackers, sent+8, before>>10, after>>10, growth>>10)
	require.Less(t, growth, int64(16<<20))

	ok := mustV5(t, s.Addr(), "after-huge-publish")
	ok.sub(t, "t", 1)
	ok.pub(t, "t", "p", 1, false)
	require.Equal(t, "p", string(ok.next(t).Payload))
}

// At the default limit (16 MiB) a 256 MiB PUBLISH ends the connection at
// once: DISCONNECT 0x95 for v5, a close for 3.1.1.
func TestHugePublishOverDefaultLimit(t *testing.T) {
	s := newServer(t)
	huge := []byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0, 1, 'a'}

	c := raw(t, s.Addr(), connectPacket("MQTT", 5, 2, "huge5")...)
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.NoError(t, err)
	require.Equal(t, byte(0x20), buf[0], "CONNACK % x", buf[:n])
	_, err = c.Write(huge)
	require.NoError(t, err)
	require.Equal(t, []byte{0xe0, 0x01, 0x95}, readAll(t, c))

	c = raw(t, s.Addr(), connectPacket("MQTT", 4, 2, "huge3")...)
	n, err = c.Read(buf)
	require.NoError(t, err)
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x00}, buf[:n])
	_, err = c.Write(huge)
	require.NoError(t, err)
	require.Empty(t, readAll(t, c))
}

// waitFor polls cond until it holds (or fails the test after wait).
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

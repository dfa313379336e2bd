package mqttfake

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/datadir"
)

// TestCloseWhileConnecting hammers mochi #541: Close racing connections that
// are still sending CONNECT must neither race (under -race) nor panic nor
// hang, in any phase of the handshake.
func TestCloseWhileConnecting(t *testing.T) {
	cycles := 40
	if testing.Short() {
		cycles = 10
	}
	for i := range cycles {
		s, err := New()
		require.NoError(t, err)
		addr := s.Addr()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					c, err := net.Dial("tcp", addr)
					if err != nil {
						return // listener closed
					}
					pk := connectPacket("MQTT", 4+byte(n%2), 2, fmt.Sprintf("h%d-%d-%d", i, w, n))
					switch n % 3 {
					case 0:
						_, _ = c.Write(pk) // full CONNECT
					case 1:
						_, _ = c.Write(pk[:5]) // stalled mid-CONNECT
					}
					if n%4 == 0 {
						_ = c.Close()
					} else {
						defer c.Close()
					}
				}
			}()
		}
		time.Sleep(time.Duration(i%5) * time.Millisecond) // vary the phase Close lands in
		require.NoError(t, s.Close())
		require.NoError(t, s.Close(), "Close is idempotent")
		close(stop)
		wg.Wait()
	}
}

func TestRestartKeepsRetainedAndSessions(t *testing.T) {
	s := newServer(t)
	addr := s.Addr()
	c := mustV5(t, addr, "durable", withSession(3600))
	c.sub(t, "r/#", 1)
	c.pub(t, "other/retained", "kept", 1, true) // not r/#: nothing left unacked in the session
	c.close()

	pub := mustV5(t, addr, "pub")
	pub.pub(t, "r/queued", "while away", 1, false)
	require.NoError(t, s.Restart())
	<-pub.Done() // the restart dropped it
	require.Equal(t, addr, s.Addr(), "same address after restart")

	c2 := mustV5(t, addr, "durable", withSession(3600))
	require.True(t, c2.connack.SessionPresent, "session survived the restart")
	require.Equal(t, "while away", string(c2.next(t).Payload), "queued QoS 1 message survived")
	c2.pub(t, "r/after", "sub survived", 1, false)
	require.Equal(t, "sub survived", string(c2.next(t).Payload))

	ret := s.Retained()
	require.Len(t, ret, 1)
	require.Equal(t, "other/retained", ret[0].Topic)
	require.Equal(t, "kept", string(ret[0].Payload))
}

func TestDataDirPersistsAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	s1, err := New(WithDataDir(dir))
	require.NoError(t, err)
	c := mustV5(t, s1.Addr(), "durable", withSession(3600))
	c.sub(t, "d/#", 1)
	// mochi sends SUBACK before scanning retained messages, so a message
	// retained right after SUBACK could arrive twice (scan + live route);
	// a round trip on c lets the scan finish first.
	c.sync(t)
	c.close()
	require.NoError(t, s1.Publish("d/retained", []byte("on disk"), 1, true))
	require.NoError(t, s1.Close())

	s2 := newServer(t, WithDataDir(dir))
	require.Len(t, s2.Retained(), 1)
	ci, ok := s2.Client("durable")
	require.True(t, ok)
	require.False(t, ci.Connected)
	require.Equal(t, []string{"d/#"}, ci.Subscriptions)

	pub := mustV5(t, s2.Addr(), "pub")
	pub.pub(t, "d/live", "queued", 1, false)
	pub.sync(t) // queued for the offline session, not routed live to c2
	c2 := mustV5(t, s2.Addr(), "durable", withSession(3600))
	require.True(t, c2.connack.SessionPresent)
	// The retained seed matched d/# while the session was offline, so it was
	// queued too, and that queue came back from disk.
	require.Equal(t, "on disk", string(c2.next(t).Payload))
	require.Equal(t, "queued", string(c2.next(t).Payload))
}

func TestFixedAddr(t *testing.T) {
	s := newServer(t)
	addr := s.Addr()
	require.NoError(t, s.Close())
	s2 := newServer(t, WithAddr(addr)) // the port is free again after Close
	require.Equal(t, addr, s2.Addr())
	require.Equal(t, "mqtt://"+addr, s2.URL())
}

func TestInspectClientsAndStats(t *testing.T) {
	s := newServer(t)
	a := mustV5(t, s.Addr(), "a")
	a.sub(t, "x/#", 0)
	infos := s.Clients()
	require.Len(t, infos, 1)
	require.Equal(t, ClientInfo{ID: "a", ProtocolVersion: 5, Connected: true, Listener: "tcp",
		Remote: infos[0].Remote, Subscriptions: []string{"x/#"}, KeepAlive: 30}, infos[0])
	a.pub(t, "x/1", "m", 0, false)
	a.next(t)
	a.sync(t)
	st := s.Stats()
	require.Equal(t, int64(1), st.ClientsConnected)
	require.Zero(t, st.MessagesDropped)
	_, err := a.Publish(ctx(t), &paho.Publish{Topic: "x/2", QoS: 1, Payload: []byte("p"),
		Properties: &paho.PublishProperties{User: paho.UserProperties{{Key: "k", Value: "v"}}, ContentType: "text/plain"}})
	require.NoError(t, err)
	a.sync(t) // mochi acks before it routes (and records)
	m := s.Published("x/2")[0]
	require.Equal(t, []UserProperty{{"k", "v"}}, m.UserProperties)
	require.Equal(t, "text/plain", m.ContentType)
	s.ClearPublished()
	require.Empty(t, s.Published("x/2"))
}

func TestPublishLogKeepsTheLastN(t *testing.T) {
	s := newServer(t, WithPublishLog(3))
	for i := range 10 {
		require.NoError(t, s.Publish("log", []byte(fmt.Sprint(i)), 0, false))
	}
	var got []string
	for _, m := range s.Published("log") {
		got = append(got, string(m.Payload))
	}
	require.Equal(t, []string{"7", "8", "9"}, got)
}

func TestRestartKeepsEveryListenerAddress(t *testing.T) {
	s := newServer(t, WithTLS(), WithWebSocket())
	before := []string{s.Addr(), s.TLSAddr(), s.WSAddr()}
	require.NoError(t, s.Restart())
	require.Equal(t, before, []string{s.Addr(), s.TLSAddr(), s.WSAddr()})
	c := mustV5TLS(t, s.TLSAddr(), s.ClientTLSConfig(), "after-restart")
	c.sub(t, "t", 0)
	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Restart(), ErrClosed)
}

// crash stops s as a killed process would: nothing more reaches the data
// dir (no final snapshot), and its lock is released.
func crash(t *testing.T, s *Server) {
	t.Helper()
	s.mu.Lock()
	st := s.store
	s.store = nil
	s.mu.Unlock()
	require.NoError(t, st.close())
	require.NoError(t, s.Close())
}

// Every acknowledged change is in the data dir before Close: a crash loses
// none of it.
func TestDataDirIsWriteThrough(t *testing.T) {
	dir := t.TempDir()
	s1, err := New(WithDataDir(dir))
	require.NoError(t, err)
	t.Cleanup(func() { s1.Close() })

	_, err = New(WithDataDir(dir))
	require.ErrorIs(t, err, datadir.ErrLocked, "a second server cannot use the dir")

	c := mustV5(t, s1.Addr(), "durable", withSession(3600))
	c.sub(t, "w/#", 1)
	c.sub(t, "gone/#", 1)
	_, err = c.Unsubscribe(ctx(t), &paho.Unsubscribe{Topics: []string{"gone/#"}})
	require.NoError(t, err)
	c.close()
	pub := mustV5(t, s1.Addr(), "pub")
	pub.pub(t, "w/retained", "kept", 1, true)
	pub.pub(t, "w/cleared", "x", 1, true)
	pub.pub(t, "w/cleared", "", 1, true)
	pub.pub(t, "w/live", "queued", 1, false)
	pub.sync(t) // the queued copy is written as it is routed, after the PUBACK
	crash(t, s1)

	s2 := newServer(t, WithDataDir(dir))
	ret := s2.Retained()
	require.Len(t, ret, 1)
	require.Equal(t, "kept", string(ret[0].Payload))
	ci, ok := s2.Client("durable")
	require.True(t, ok)
	require.Equal(t, []string{"w/#"}, ci.Subscriptions)
	// The session was offline for the retained publishes too.
	require.Equal(t, 4, ci.Pending)
	c2 := mustV5(t, s2.Addr(), "durable", withSession(3600))
	require.True(t, c2.connack.SessionPresent)
	var got []string
	for range 4 {
		got = append(got, string(c2.next(t).Payload))
	}
	require.Equal(t, []string{"kept", "x", "", "queued"}, got)
}

// A crash mid-append leaves a torn record: it is cut, never a failed start.
func TestDataDirTornTail(t *testing.T) {
	dir := t.TempDir()
	s1, err := New(WithDataDir(dir))
	require.NoError(t, err)
	require.NoError(t, s1.Publish("t/1", []byte("whole"), 0, true))
	crash(t, s1)
	f, err := os.OpenFile(filepath.Join(dir, logFile), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{0, 0, 0, 40, 1, 2, 3, 4, '{', '"'}) // header of a record that never got written
	require.NoError(t, err)
	require.NoError(t, f.Close())

	s2 := newServer(t, WithDataDir(dir))
	ret := s2.Retained()
	require.Len(t, ret, 1)
	require.Equal(t, "whole", string(ret[0].Payload))
	require.NoError(t, s2.Publish("t/2", []byte("after"), 0, true))
	require.NoError(t, s2.Close())
	s3 := newServer(t, WithDataDir(dir))
	require.Len(t, s3.Retained(), 2)
}

// The log is folded into the snapshot as it grows, so its size (and the
// replay at start) stays bounded.
func TestDataDirCompacts(t *testing.T) {
	dir := t.TempDir()
	s1, err := New(WithDataDir(dir), func(c *config) { c.compactAt = 1024 })
	require.NoError(t, err)
	for i := range 200 {
		require.NoError(t, s1.Publish(fmt.Sprintf("c/%d", i%20), []byte(fmt.Sprint(i)), 0, true))
	}
	fi, err := os.Stat(filepath.Join(dir, logFile))
	require.NoError(t, err)
	require.Less(t, fi.Size(), int64(1024))
	_, err = os.Stat(filepath.Join(dir, snapshotFile))
	require.NoError(t, err)
	crash(t, s1)

	s2 := newServer(t, WithDataDir(dir))
	ret := s2.Retained()
	require.Len(t, ret, 20)
	require.Equal(t, "199", string(s2.Retained()[slices.IndexFunc(ret, func(m Message) bool { return m.Topic == "c/19" })].Payload))
}

// Restart keeps installed faults: their handles stay valid.
func TestRestartKeepsFaults(t *testing.T) {
	s := newServer(t)
	h, err := s.FailNext(OpConnect, "later", 1, 0x88)
	require.NoError(t, err)
	mustV5(t, s.Addr(), "a")
	require.NoError(t, s.Restart())
	require.Len(t, s.Faults(), 1)
	conn, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	_, err = dialV5(t, conn, "later")
	require.Error(t, err)
	require.Equal(t, 1, h.Hits())
	mustV5(t, s.Addr(), "later")
}

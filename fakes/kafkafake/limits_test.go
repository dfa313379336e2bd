package kafkafake

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/brokerkit/brokerkit/fault"
	"github.com/brokerkit/brokerkit/internal/stalltest"
)

// heapNow returns HeapInuse and TotalAlloc after a collection.
func heapNow() (inuse, total uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.TotalAlloc
}

// waitFrames waits until the server's shim has read n length prefixes.
func waitFrames(t *testing.T, s *Server, n int64) {
	t.Helper()
	require.Eventually(t, func() bool { return s.shim.framesStarted.Load() >= n },
		10*time.Second, time.Millisecond, "shim read %d of %d length prefixes", s.shim.framesStarted.Load(), n)
}

// waitClosed reads until the fake closes the connection; it fails on the
// deadline instead.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, stalltest.WaitClosed(c, 5*time.Second))
}

// TestLargeAnnouncedFramesAreReadIncrementally is issue 14 item 3: a length
// prefix alone must not make the fake allocate the announced size.
func TestLargeAnnouncedFramesAreReadIncrementally(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	roundTrip(t, s, "t") // warm up the cluster and the client code
	const conns, announced = 20, 50 << 20
	before := s.shim.framesStarted.Load()
	inuse0, total0 := heapNow()
	var attackers []net.Conn
	for range conns {
		c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		frame := binary.BigEndian.AppendUint32(nil, announced)
		frame = append(frame, 0, 0, 0, 9, 0, 0, 0, 1, 0xff, 0xff) // Produce v9 header
		_, err = c.Write(frame)
		require.NoError(t, err)
		attackers = append(attackers, c)
	}
	waitFrames(t, s, before+conns)
	inuse1, total1 := heapNow()
	dInuse, dTotal := int64(inuse1)-int64(inuse0), int64(total1)-int64(total0)
	t.Logf("%d connections announcing %d MiB each: HeapInuse %+.2f MiB, TotalAlloc %+.2f MiB",
		conns, announced>>20, float64(dInuse)/(1<<20), float64(dTotal)/(1<<20))
	require.Less(t, dInuse, int64(8<<20), "heap in use grew by %d bytes", dInuse)
	require.Less(t, dTotal, int64(16<<20), "allocated %d bytes", dTotal)

	require.NoError(t, s.CreateTopic("during", 1))
	roundTrip(t, s, "during") // a normal client works during the attack
	for _, c := range attackers {
		c.Close()
	}
	require.NoError(t, s.CreateTopic("after", 1))
	roundTrip(t, s, "after")
}

// A real large frame still arrives whole.
func TestLargeFrameStillWorks(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	cl := client(t, s, kgo.ProducerBatchMaxBytes(4<<20), kgo.FetchMaxBytes(8<<20))
	val := bytes.Repeat([]byte("x"), 900<<10)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: val}).FirstErr())
	c := client(t, s, kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs := c.PollFetches(ctx(t))
	require.NoError(t, fs.Err())
	require.Len(t, fs.Records(), 1)
	require.Equal(t, val, fs.Records()[0].Value)
}

// TestPreAuthFrameLimit: with SASL, a frame over sasl.server.max.receive.size
// (512 KiB) before authentication closes the connection without being read,
// as Kafka's SaslServerAuthenticator does; after authentication the normal
// limit applies.
func TestPreAuthFrameLimit(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithUser("alice", "alice-secret"))
	inuse0, _ := heapNow()
	var attackers []net.Conn
	for range 20 {
		c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		_, err = c.Write(binary.BigEndian.AppendUint32(nil, 100<<20))
		require.NoError(t, err)
		attackers = append(attackers, c)
	}
	for _, c := range attackers {
		waitClosed(t, c)
	}
	inuse1, _ := heapNow()
	t.Logf("20 unauthenticated 100 MiB prefixes: HeapInuse %+.2f MiB", float64(int64(inuse1)-int64(inuse0))/(1<<20))

	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(binary.BigEndian.AppendUint32(nil, defaultSASLMaxReceiveSize+1))
	require.NoError(t, err)
	waitClosed(t, c)

	val := bytes.Repeat([]byte("y"), 700<<10) // a frame over 512 KiB
	for name, mech := range map[string]kgo.Opt{
		"plain":  kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()),
		"scram":  kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha256Mechanism()),
		"scram5": kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()),
	} {
		t.Run(name, func(t *testing.T) {
			cl := client(t, s, mech)
			require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: val}).FirstErr())
		})
	}
}

// BenchmarkAnnouncedFrame measures what one connection announcing 50 MiB
// and sending 10 bytes costs the server.
func BenchmarkAnnouncedFrame(b *testing.B) {
	s, err := New()
	require.NoError(b, err)
	defer s.Close()
	inuse0, total0 := heapNow()
	var conns []net.Conn
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", s.Addr())
		require.NoError(b, err)
		conns = append(conns, c)
		_, err = c.Write(append(binary.BigEndian.AppendUint32(nil, 50<<20), 0, 0, 0, 9, 0, 0, 0, 1, 0xff, 0xff))
		require.NoError(b, err)
	}
	for s.shim.framesStarted.Load() < int64(b.N) {
		runtime.Gosched()
	}
	inuse1, total1 := heapNow()
	b.ReportMetric(float64(int64(inuse1)-int64(inuse0))/float64(b.N), "heap-B/conn")
	b.ReportMetric(float64(total1-total0)/float64(b.N), "alloc-B/conn")
	for _, c := range conns {
		c.Close()
	}
}

// TestAbsurdTagCountClosesPromptly is issue 14 item 4: a request claiming
// 2^31-1 tagged fields is closed by the shim before kmsg loops on it.
func TestAbsurdTagCountClosesPromptly(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	tags := []byte{0xff, 0xff, 0xff, 0xff, 0x07}
	hdr := []byte{0, 18, 0, 3, 0, 0, 0, 1, 0xff, 0xff} // ApiVersions v3, null client ID
	for name, body := range map[string][]byte{
		"header":       append(append([]byte(nil), hdr...), tags...),
		"body":         append(append([]byte(nil), hdr...), append([]byte{0, 1, 0, 1, 0}, tags...)...),
		"metadata":     append([]byte{0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0}, tags...),
		"array length": {0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff},
	} {
		t.Run(name, func(t *testing.T) {
			var conns []net.Conn
			for range 8 {
				c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
				require.NoError(t, err)
				t.Cleanup(func() { c.Close() })
				_, err = c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
				require.NoError(t, err)
				conns = append(conns, c)
			}
			start := time.Now()
			for _, c := range conns {
				waitClosed(t, c)
			}
			t.Logf("8 connections closed in %v", time.Since(start))
			require.NoError(t, s.CreateTopic("ok-"+strings.ReplaceAll(name, " ", "-"), 1))
			roundTrip(t, s, "ok-"+strings.ReplaceAll(name, " ", "-"))
		})
	}
}

// The pre-auth limit follows sasl.server.max.receive.size when it is set.
func TestPreAuthFrameLimitConfigurable(t *testing.T) {
	s := start(t, WithUser("alice", "alice-secret"), WithBrokerConfig("sasl.server.max.receive.size", "1024"))
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(binary.BigEndian.AppendUint32(nil, 1025))
	require.NoError(t, err)
	waitClosed(t, c)
	require.NoError(t, client(t, s, kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism())).Ping(ctx(t)))

	_, err = New(WithUser("a", "b"), WithBrokerConfig("sasl.server.max.receive.size", "lots"))
	require.Error(t, err)
}

// After kfake has read a large frame, the shim lets its buffer go.
func TestLargeFrameBufferReleased(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	c := newConn(server, &shimConfig{maxFrame: 100 << 20, delays: &fault.Injector[int16]{}, logger: slog.New(slog.DiscardHandler)})
	defer c.Close()
	body := make([]byte, 3<<20)
	copy(body, []byte{0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff}) // ApiVersions v0
	go func() {
		client.Write(binary.BigEndian.AppendUint32(nil, uint32(len(body))))
		client.Write(body)
	}()
	got := make([]byte, 4+len(body))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, body, got[4:])
	require.Nil(t, c.rbuf, "buffer of %d bytes kept", cap(c.rbuf))
}

// A request newer than any known version: ApiVersions is answered (Kafka
// answers UNSUPPORTED_VERSION so the client can retry lower), anything else
// closes the connection, as Kafka does.
func TestFutureVersions(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	r := dialRaw(t, s.Addr())
	// ApiVersions v99 with a field no schema knows between the strings and
	// the tagged fields.
	r.writeFrame([]byte{0, 18, 0, 99, 0, 0, 0, 1, 0xff, 0xff, 0, 2, 'x', 2, 'y', 0xff, 0xff, 0xff, 0xff, 0x07, 0})
	body, err := r.readFrame()
	require.NoError(t, err)
	require.Equal(t, []byte{0, 0, 0, 1, 0, 35}, body[:6], "correlation 1, UNSUPPORTED_VERSION")

	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte{0, 0, 0, 11, 0, 0, 0, 99, 0, 0, 0, 1, 0xff, 0xff, 0})
	require.NoError(t, err)
	waitClosed(t, c)
	roundTrip(t, s, "t")
}

// TestIdleConnectionsAreClosed: a connection that sends nothing complete for
// connections.max.idle.ms is closed, as Kafka's Selector closes it: a silent
// one, a half-sent frame, and a TLS handshake that stops half way. One that
// keeps sending requests stays open past the limit.
func TestIdleConnectionsAreClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	s := start(t, WithBrokerConfig("connections.max.idle.ms", "300"))

	silent := dialRaw(t, s.Addr())
	half := dialRaw(t, s.Addr())
	_, err := half.c.Write([]byte{0, 0, 0, 20, 0, 18, 0})
	require.NoError(t, err)

	busy := dialRaw(t, s.Addr())
	for deadline := time.Now().Add(3 * idle); time.Now().Before(deadline); {
		busy.request(kmsg.NewPtrApiVersionsRequest(), kmsg.NewPtrApiVersionsResponse())
		time.Sleep(idle / 4) // the gap between requests is the thing under test
	}
	waitClosed(t, silent.c)
	waitClosed(t, half.c)
	waitClosed(t, busy.c)

	ts := start(t, WithTLS(), WithBrokerConfig("connections.max.idle.ms", "300"))
	hello := dialRaw(t, ts.Addr())
	_, err = hello.c.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}) // a ClientHello's first bytes
	require.NoError(t, err)
	waitClosed(t, hello.c)
}

func TestIdleConfig(t *testing.T) {
	for _, bad := range []string{"0", "-2", "soon"} {
		_, err := New(WithBrokerConfig("connections.max.idle.ms", bad))
		require.ErrorContains(t, err, "connections.max.idle.ms", bad)
	}
	s := start(t, WithBrokerConfig("connections.max.idle.ms", "-1"))
	require.Zero(t, s.shim.idle)
	require.Equal(t, 10*time.Minute, start(t).shim.idle)
}

package pulsarfake

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"github.com/brokerkit/brokerkit/internal/stalltest"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// rawClient speaks the protocol by hand, to send what a real client never
// would.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, s *Server) *rawClient {
	nc, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawClient) write(b []byte) {
	_, err := r.nc.Write(b)
	require.NoError(r.t, err)
}

func (r *rawClient) send(cmd *wire.BaseCommand) { r.write(wire.AppendCommand(nil, cmd)) }

func (r *rawClient) read() (wire.Frame, error) {
	r.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	return wire.ReadFrame(r.br, 64<<20)
}

func (r *rawClient) expect(typ wire.BaseCommand_Type) wire.Frame {
	r.t.Helper()
	for {
		f, err := r.read()
		require.NoError(r.t, err, "waiting for %v", typ)
		if f.Cmd.GetType() == wire.BaseCommand_PING {
			continue
		}
		require.Equal(r.t, typ, f.Cmd.GetType(), "%v", f.Cmd)
		return f
	}
}

// expectClosed checks that the server closes the connection, answering
// nothing but possibly pings first.
func (r *rawClient) expectClosed() {
	r.t.Helper()
	for {
		f, err := r.read()
		if err != nil {
			var ne net.Error
			require.False(r.t, errors.As(err, &ne) && ne.Timeout(), "connection still open")
			require.True(r.t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err), "%v", err)
			return
		}
		require.Equal(r.t, wire.BaseCommand_PING, f.Cmd.GetType(), "unexpected %v before close", f.Cmd)
	}
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

func (r *rawClient) connect() {
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_CONNECT.Enum(), Connect: &wire.CommandConnect{
		ClientVersion: proto.String("raw"), ProtocolVersion: proto.Int32(20)}})
	f := r.expect(wire.BaseCommand_CONNECTED)
	require.NotEmpty(r.t, f.Cmd.Connected.GetServerVersion())
}

// producer creates a producer with id 1 on topic.
func (r *rawClient) producer(topic string) {
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_PRODUCER.Enum(), Producer: &wire.CommandProducer{
		Topic: proto.String(topic), ProducerId: proto.Uint64(1), RequestId: proto.Uint64(1)}})
	r.expect(wire.BaseCommand_PRODUCER_SUCCESS)
}

func sendFrame(seq uint64, payload []byte) []byte {
	hp, _ := wire.BuildPayload(&wire.MessageMetadata{ProducerName: proto.String("raw"), SequenceId: proto.Uint64(seq),
		PublishTime: proto.Uint64(uint64(time.Now().UnixMilli()))}, payload)
	return wire.AppendPayloadCommand(nil, &wire.BaseCommand{Type: wire.BaseCommand_SEND.Enum(), Send: &wire.CommandSend{
		ProducerId: proto.Uint64(1), SequenceId: proto.Uint64(seq)}}, hp)
}

// healthy checks that the server still serves a well-behaved client.
func healthy(t *testing.T, s *Server) {
	t.Helper()
	r := dialRaw(t, s)
	r.connect()
	r.producer("healthy")
	r.write(sendFrame(0, []byte("ok")))
	f := r.expect(wire.BaseCommand_SEND_RECEIPT)
	require.EqualValues(t, 0, f.Cmd.SendReceipt.GetSequenceId())
}

func newTestServer(t *testing.T, opts ...Option) *Server {
	s, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestWireBadChecksumIsRejectedNotFatal(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := dialRaw(t, s)
	r.connect()
	r.producer("cs")
	frame := sendFrame(0, []byte("payload"))
	frame[len(frame)-1] ^= 0x55
	r.write(frame)
	f := r.expect(wire.BaseCommand_SEND_ERROR)
	require.Equal(t, wire.ServerError_ChecksumError, f.Cmd.SendError.GetError())
	// The connection keeps working and nothing was stored.
	r.write(sendFrame(1, []byte("good")))
	r.expect(wire.BaseCommand_SEND_RECEIPT)
	msgs, err := s.Messages("cs")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "good", string(msgs[0].Payload))
	healthy(t, s)
}

func TestWireCommandBeforeConnectClosesConnection(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := dialRaw(t, s)
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_LOOKUP.Enum(), Lookup: &wire.CommandLookupTopic{
		Topic: proto.String("x"), RequestId: proto.Uint64(1)}})
	r.expectClosed()
	healthy(t, s)
}

func TestWirePingBeforeConnectIsAnswered(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := dialRaw(t, s)
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_PING.Enum(), Ping: &wire.CommandPing{}})
	r.expect(wire.BaseCommand_PONG)
}

func TestWireUnknownCommandClosesConnection(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	for name, body := range map[string][]byte{
		"unknown type 999":      {0x08, 0xe7, 0x07},
		"broker-only response":  mustMarshal(&wire.BaseCommand{Type: wire.BaseCommand_SEND_RECEIPT.Enum(), SendReceipt: &wire.CommandSendReceipt{ProducerId: proto.Uint64(1), SequenceId: proto.Uint64(1)}}),
		"watch topic list":      {0x08, 64},
		"missing command body":  {0x08, byte(wire.BaseCommand_LOOKUP)},
		"garbage protobuf":      {0xff, 0xff, 0xff},
		"missing required type": {},
	} {
		t.Run(name, func(t *testing.T) {
			r := dialRaw(t, s)
			r.connect()
			var b []byte
			b = binary.BigEndian.AppendUint32(b, uint32(4+len(body)))
			b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
			r.write(append(b, body...))
			r.expectClosed()
		})
	}
	healthy(t, s)
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func TestWireOversizedFrameClosesConnection(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithMaxMessageSize(1024))
	r := dialRaw(t, s)
	r.connect()
	r.producer("big")
	r.write(sendFrame(0, make([]byte, 1024+wire.FramePadding+1)))
	r.expectClosed()
	healthy(t, s)
	// Just below the limit is fine.
	r = dialRaw(t, s)
	r.connect()
	r.producer("big2")
	r.write(sendFrame(0, make([]byte, 1024)))
	r.expect(wire.BaseCommand_SEND_RECEIPT)
}

func TestWireTruncatedFrame(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := dialRaw(t, s)
	r.connect()
	frame := sendFrame(0, []byte("cut"))
	r.write(frame[:len(frame)-2])
	r.nc.(*net.TCPConn).CloseWrite()
	r.expectClosed()
	// A frame whose command size exceeds the frame is garbage too.
	r = dialRaw(t, s)
	r.connect()
	r.write([]byte{0, 0, 0, 6, 0, 0, 0, 9, 8, 18})
	r.expectClosed()
	healthy(t, s)
}

func TestWireSecondConnectClosesConnection(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := dialRaw(t, s)
	r.connect()
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_CONNECT.Enum(), Connect: &wire.CommandConnect{ClientVersion: proto.String("raw")}})
	r.expectClosed()
}

func TestWireBrokerPingsAndClosesIdle(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithKeepAlive(50*time.Millisecond))
	r := dialRaw(t, s)
	r.connect()
	f, err := r.read()
	require.NoError(t, err)
	require.Equal(t, wire.BaseCommand_PING, f.Cmd.GetType())
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_PONG.Enum(), Pong: &wire.CommandPong{}})
	// Silence for more than two intervals gets the connection closed.
	r.expectClosed()
}

// TestWireHandshakeMustCompleteWithinKeepAlive: a connection that never
// completes CONNECT (silent, or stopped half way through a frame) is closed
// after one keep-alive interval without a PING, as PulsarHandler does.
func TestWireHandshakeMustCompleteWithinKeepAlive(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithKeepAlive(100*time.Millisecond))
	silent := dialRaw(t, s)
	half := dialRaw(t, s)
	half.write([]byte{0, 0, 0, 40, 0, 0, 0, 36, 8}) // a frame's start, then nothing
	f, err := silent.read()
	require.Error(t, err, "got %v: the broker sends no PING before CONNECT, it closes", f.Cmd.GetType())
	half.expectClosed()

	// A completed handshake is kept: the client answers the PING and the
	// connection stays up past the handshake limit.
	r := dialRaw(t, s)
	r.connect()
	f, err = r.read()
	require.NoError(t, err)
	require.Equal(t, wire.BaseCommand_PING, f.Cmd.GetType())
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_PONG.Enum(), Pong: &wire.CommandPong{}})
	f, err = r.read()
	require.NoError(t, err)
	require.Equal(t, wire.BaseCommand_PING, f.Cmd.GetType())
}

func TestWireConnectionTeardownCleansUp(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	r := dialRaw(t, s)
	r.connect()
	r.producer("td")
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_SUBSCRIBE.Enum(), Subscribe: &wire.CommandSubscribe{
		Topic: proto.String("td"), Subscription: proto.String("s"), SubType: wire.CommandSubscribe_Shared.Enum(),
		ConsumerId: proto.Uint64(1), RequestId: proto.Uint64(2)}})
	r.expect(wire.BaseCommand_SUCCESS)
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_FLOW.Enum(), Flow: &wire.CommandFlow{ConsumerId: proto.Uint64(1), MessagePermits: proto.Uint32(10)}})
	r.write(sendFrame(0, []byte("x")))
	got := map[wire.BaseCommand_Type]bool{}
	for len(got) < 2 {
		f, err := r.read()
		require.NoError(t, err)
		got[f.Cmd.GetType()] = true
	}
	require.True(t, got[wire.BaseCommand_SEND_RECEIPT] && got[wire.BaseCommand_MESSAGE], "%v", got)
	require.Len(t, s.Producers("td"), 1)
	require.Len(t, s.Consumers("td"), 1)
	r.nc.Close()
	require.Eventually(t, func() bool { return len(s.Producers("td")) == 0 && len(s.Consumers("td")) == 0 }, 3*time.Second, 5*time.Millisecond)
	subs := s.Subscriptions("td")
	require.Len(t, subs, 1)
	require.EqualValues(t, 1, subs[0].Backlog)
	require.Zero(t, subs[0].Unacked)
}

func TestWireRejectedConnectGetsError(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithTokens("right"))
	r := dialRaw(t, s)
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_CONNECT.Enum(), Connect: &wire.CommandConnect{
		ClientVersion: proto.String("raw"), AuthMethodName: proto.String("token"), AuthData: []byte("wrong")}})
	f := r.expect(wire.BaseCommand_ERROR)
	require.Equal(t, wire.ServerError_AuthenticationError, f.Cmd.Error.GetError())
	require.Equal(t, uint64(noRequestID), f.Cmd.Error.GetRequestId())
	r.expectClosed()
	r = dialRaw(t, s)
	r.send(&wire.BaseCommand{Type: wire.BaseCommand_CONNECT.Enum(), Connect: &wire.CommandConnect{
		ClientVersion: proto.String("raw"), AuthMethodName: proto.String("token"), AuthData: []byte("right")}})
	r.expect(wire.BaseCommand_CONNECTED)
}

// TestAdminClosesStalledRequests: an admin request whose body stops coming,
// and a keep-alive connection left idle, are closed after the HTTP limit
// (Jetty's idle timeout on the broker), not held forever.
func TestAdminClosesStalledRequests(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(o *options) { o.httpTimeout = 300 * time.Millisecond })
	addr := strings.TrimPrefix(s.AdminURL(), "http://")
	stalltest.Closed(t, addr, []byte("PUT /admin/v2/persistent/public/default/t/partitions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n12"), 5*time.Second)
	stalltest.Closed(t, addr, []byte("GET /admin/v2/clusters HTTP/1.1\r\nHost: x\r\n\r\n"), 5*time.Second)
}

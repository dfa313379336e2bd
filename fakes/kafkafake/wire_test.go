package kafkafake

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// rawClient speaks the Kafka wire protocol by hand, the way old clients do.
type rawClient struct {
	t    *testing.T
	c    net.Conn
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	return &rawClient{t: t, c: c}
}

func (r *rawClient) writeFrame(b []byte) {
	r.t.Helper()
	_, err := r.c.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
	require.NoError(r.t, err)
	_, err = r.c.Write(b)
	require.NoError(r.t, err)
}

// readFrame returns the next frame's body, or an error if the fake closed.
func (r *rawClient) readFrame() ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r.c, size[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err := io.ReadFull(r.c, b)
	return b, err
}

// request sends req with a v1 (non-flexible) or v2 header and decodes resp.
func (r *rawClient) request(req kmsg.Request, resp kmsg.Response) {
	r.t.Helper()
	r.corr++
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(r.corr))
	b = binary.BigEndian.AppendUint16(b, 3)
	b = append(b, "raw"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	r.writeFrame(b)
	body, err := r.readFrame()
	require.NoError(r.t, err)
	require.Equal(r.t, r.corr, int32(binary.BigEndian.Uint32(body)))
	body = body[4:]
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() && resp.Key() != int16(kmsg.ApiVersions) {
		body = body[1:]
	}
	require.NoError(r.t, resp.ReadFrom(body))
}

func (r *rawClient) handshakeV0(mech string) {
	r.t.Helper()
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.Version = 0
	req.Mechanism = mech
	resp := kmsg.NewPtrSASLHandshakeResponse()
	r.request(req, resp)
	require.Zero(r.t, resp.ErrorCode)
	require.Contains(r.t, resp.SupportedMechanisms, mech)
}

// rawAuth runs a SASL session with raw tokens, as after a v0 handshake.
func (r *rawClient) rawAuth(m sasl.Mechanism) error {
	sess, msg, err := m.Authenticate(context.Background(), r.c.RemoteAddr().String())
	require.NoError(r.t, err)
	for {
		r.writeFrame(msg)
		challenge, err := r.readFrame()
		if err != nil {
			return err
		}
		done, next, err := sess.Challenge(challenge)
		require.NoError(r.t, err)
		if done {
			return nil
		}
		msg = next
	}
}

func (r *rawClient) metadataWorks() {
	r.t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 1
	resp := kmsg.NewPtrMetadataResponse()
	r.request(req, resp)
	require.NotEmpty(r.t, resp.Brokers)
}

func TestApiVersionsAdvertisesSaslHandshakeV0(t *testing.T) {
	s := start(t)
	for _, v := range []int16{0, 2, 3} {
		r := dialRaw(t, s.Addr())
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = v
		req.ClientSoftwareName, req.ClientSoftwareVersion = "raw", "1"
		resp := kmsg.NewPtrApiVersionsResponse()
		r.request(req, resp)
		require.Zero(t, resp.ErrorCode)
		found := false
		for _, k := range resp.ApiKeys {
			if k.ApiKey == int16(kmsg.SASLHandshake) {
				found = true
				require.Zero(t, k.MinVersion, "ApiVersions v%d", v)
				require.Equal(t, int16(1), k.MaxVersion)
			}
		}
		require.True(t, found)
	}
}

func TestLegacySASLHandshakeV0WithRawTokens(t *testing.T) {
	s := start(t, WithUser("alice", "pw1"), WithUser("bob", "pw2"), WithUser("carol", "pw3"))
	cases := []struct {
		name string
		mech string
		ok   sasl.Mechanism
		bad  sasl.Mechanism
	}{
		{"plain", "PLAIN", plain.Auth{User: "alice", Pass: "pw1"}.AsMechanism(), plain.Auth{User: "alice", Pass: "nope"}.AsMechanism()},
		{"scram-256", "SCRAM-SHA-256", scram.Auth{User: "bob", Pass: "pw2"}.AsSha256Mechanism(), scram.Auth{User: "bob", Pass: "nope"}.AsSha256Mechanism()},
		{"scram-512", "SCRAM-SHA-512", scram.Auth{User: "carol", Pass: "pw3"}.AsSha512Mechanism(), scram.Auth{User: "carol", Pass: "nope"}.AsSha512Mechanism()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, s.Addr())
			r.handshakeV0(tc.mech)
			require.NoError(t, r.rawAuth(tc.ok))
			r.metadataWorks() // back to framed requests once authenticated

			bad := dialRaw(t, s.Addr())
			bad.handshakeV0(tc.mech)
			require.Error(t, bad.rawAuth(tc.bad), "wrong password must close the connection")
		})
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithMaxFrameSize(1<<20))
	healthy := client(t, s)
	require.NoError(t, healthy.Ping(ctx(t)))

	cases := map[string][]byte{
		"oversized frame":  binary.BigEndian.AppendUint32(nil, 1<<30),
		"negative size":    binary.BigEndian.AppendUint32(nil, 0xffffffff),
		"unknown API key":  frame([]byte{0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff}),
		"truncated header": frame([]byte{0, 3, 0}),
		"malformed body":   frame([]byte{0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 0xde, 0xad}),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			r := dialRaw(t, s.Addr())
			_, err := r.c.Write(b)
			require.NoError(t, err)
			_, err = r.readFrame()
			require.Error(t, err, "the fake must close the connection, as Kafka does")
			require.NoError(t, healthy.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte(name)}).FirstErr(),
				"other clients keep working")
		})
	}
}

func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

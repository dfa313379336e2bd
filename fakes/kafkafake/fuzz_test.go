package kafkafake

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fault"
)

// FuzzShimRead feeds arbitrary client bytes through the frame shim: it must
// never panic, and whatever it passes on must be a whole frame of a known API.
func FuzzShimRead(f *testing.F) {
	f.Add(frame([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 0}))
	f.Add(frame([]byte{0, 17, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 5, 'P', 'L', 'A', 'I', 'N'}))
	f.Add(frame([]byte{0, 17, 0, 0, 0, 0, 0, 1, 0, 2}))
	f.Add(binary.BigEndian.AppendUint32(nil, 1<<31))
	f.Add(frame([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x07})) // 2^31-1 header tags
	f.Fuzz(func(t *testing.T, in []byte) {
		client, server := net.Pipe()
		defer client.Close()
		c := newConn(server, &shimConfig{maxFrame: 1 << 16, delays: &fault.Injector[int16]{}, logger: slog.New(slog.DiscardHandler)})
		defer c.Close()
		go func() {
			client.Write(in)
			client.Close()
		}()
		server.SetDeadline(time.Now().Add(time.Second))
		var size [4]byte
		for {
			if _, err := io.ReadFull(c, size[:]); err != nil {
				return
			}
			body := make([]byte, binary.BigEndian.Uint32(size[:]))
			if _, err := io.ReadFull(c, body); err != nil {
				return
			}
			if len(body) < 2 || kmsg.RequestForKey(int16(binary.BigEndian.Uint16(body))) == nil {
				t.Fatalf("shim passed an invalid frame: %x", body)
			}
		}
	})
}

// FuzzAdvertiseHandshakeV0 checks the ApiVersions rewrite on arbitrary
// responses: no panic, and output that is still a well-sized frame.
func FuzzAdvertiseHandshakeV0(f *testing.F) {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 3
	k := kmsg.NewApiVersionsResponseApiKey()
	k.ApiKey, k.MinVersion, k.MaxVersion = 17, 1, 1
	resp.ApiKeys = append(resp.ApiKeys, k)
	f.Add(append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, resp.AppendTo(nil)...), int16(3))
	f.Fuzz(func(t *testing.T, fr []byte, version int16) {
		if len(fr) < 8 {
			return
		}
		out := advertiseHandshakeV0(fr, version)
		if len(out) < 8 {
			t.Fatalf("short output %x", out)
		}
	})
}

// FuzzValidateTopicName checks the validator against Kafka's rule written
// as a regular expression.
func FuzzValidateTopicName(f *testing.F) {
	for _, s := range []string{"", ".", "..", "...", "a/b", "ok_name-1.x", strings.Repeat("a", 250)} {
		f.Add(s)
	}
	legal := regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)
	f.Fuzz(func(t *testing.T, name string) {
		want := legal.MatchString(name) && name != "." && name != ".."
		if got := ValidateTopicName(name) == nil; got != want {
			t.Fatalf("ValidateTopicName(%q) valid=%v, want %v", name, got, want)
		}
	})
}

// FuzzBearerToken parses arbitrary OAUTHBEARER client messages.
func FuzzBearerToken(f *testing.F) {
	f.Add([]byte("n,,\x01auth=Bearer abc.def.ghi\x01\x01"))
	f.Add([]byte("n,a=user,\x01host=x\x01auth=bearer t\x01\x01"))
	f.Add([]byte("\x01\x01"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if tok, ok := bearerToken(msg); ok && tok == "" {
			t.Fatal("empty token accepted")
		}
	})
}

// FuzzResponseRewrites feeds arbitrary response frames to the JoinGroup and
// Produce rewrites: no panic, and a frame whose length prefix is right.
func FuzzResponseRewrites(f *testing.F) {
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 1}, int16(5))
	f.Add([]byte{0, 0, 0, 5, 0, 0, 0, 1, 0}, int16(9))
	f.Fuzz(func(t *testing.T, frame []byte, version int16) {
		if len(frame) < 8 || version < 0 || version > 13 {
			return
		}
		c := &conn{shim: &shimConfig{}}
		c.shim.epochs.issued(1, 5)
		for _, out := range [][]byte{
			c.joinResponse(frame, pendingResp{kind: respJoinGroup, version: min(version, 9), group: "g"}),
			c.produceResponse(frame, pendingResp{kind: respProduce, version: max(version, 3), pid: 1, epoch: 0}),
		} {
			if int(binary.BigEndian.Uint32(out))+4 != len(out) && !bytes.Equal(out, frame) {
				t.Fatalf("bad frame length: %x", out)
			}
		}
	})
}

package mqttfake

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Expected bytes were captured from Mosquitto 2.0.11 (Debian bookworm) with
// the same raw packets.
func TestBadInput(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"level 0", connectPacket("MQTT", 0, 2, "x"), []byte{0x20, 0x02, 0x00, 0x01}},
		{"level 6 (after v5)", connectPacket("MQTT", 6, 2, "x"), []byte{0x20, 0x02, 0x00, 0x01}},
		{"MQIsdp with level 4", connectPacket("MQIsdp", 4, 2, "x"), []byte{0x20, 0x02, 0x00, 0x01}},
		{"unknown protocol name", connectPacket("MQTX", 4, 2, "x"), nil},
		{"3.1.1 empty id without clean session", connectPacket("MQTT", 4, 0, ""), []byte{0x20, 0x02, 0x00, 0x02}},
		{"remaining length over 4 bytes", []byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x01}, nil},
		{"first packet not CONNECT", []byte{0x30, 0x03, 0x00, 0x01, 'a'}, nil},
		{"truncated CONNECT then EOF", []byte{0x10, 0x20, 0x00}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := raw(t, s.Addr(), tc.in...)
			if tc.name == "truncated CONNECT then EOF" {
				require.NoError(t, c.(*net.TCPConn).CloseWrite())
			}
			require.Equal(t, tc.want, nonNil(readAll(t, c)))
		})
	}

	// A malformed packet after a good CONNECT closes only that connection.
	c := raw(t, s.Addr(), connectPacket("MQTT", 4, 2, "mal")...)
	ack := make([]byte, 4)
	_, err := c.Read(ack)
	require.NoError(t, err)
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x00}, ack)
	_, err = c.Write([]byte{0x82, 0x02, 0x00, 0x01}) // SUBSCRIBE with no topic filter
	require.NoError(t, err)
	require.Empty(t, readAll(t, c))

	// And the broker still serves everybody else.
	ok := mustV5(t, s.Addr(), "still-fine")
	ok.sub(t, "x", 1)
	ok.pub(t, "x", "y", 1, false)
	require.Equal(t, "y", string(ok.next(t).Payload))
}

func nonNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func TestMaxPacketSize(t *testing.T) {
	s := newServer(t, WithMaxPacketSize(128))
	ok := mustV5(t, s.Addr(), "ok")
	require.NotNil(t, ok.connack.Properties.MaximumPacketSize, "limit advertised in CONNACK")
	require.Equal(t, uint32(128), *ok.connack.Properties.MaximumPacketSize)

	publish := func(size int) []byte {
		body := append(str("big"), 0) // topic, no properties (v5)
		body = append(body, strings.Repeat("x", size)...)
		return append(append([]byte{0x30}, varint(len(body))...), body...)
	}

	// v5: DISCONNECT 0x95 after the CONNACK (Mosquitto sends the same bytes).
	c := raw(t, s.Addr(), connectPacket("MQTT", 5, 2, "big5")...)
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.NoError(t, err)
	require.Equal(t, byte(0x20), buf[0])
	_, err = c.Write(publish(200))
	require.NoError(t, err)
	require.Equal(t, []byte{0xe0, 0x01, 0x95}, readAll(t, c), "got CONNACK % x", buf[:n])

	// v3: just closed.
	c = raw(t, s.Addr(), connectPacket("MQTT", 4, 2, "big3")...)
	n, err = c.Read(buf)
	require.NoError(t, err)
	require.Equal(t, []byte{0x20, 0x02, 0x00, 0x00}, buf[:n])
	_, err = c.Write(publish(200))
	require.NoError(t, err)
	require.Empty(t, readAll(t, c))

	// A CONNECT that is itself too large is just closed, as by Mosquitto.
	c = raw(t, s.Addr(), connectPacket("MQTT", 5, 2, strings.Repeat("i", 200))...)
	require.Empty(t, readAll(t, c))

	// Packets under the limit still flow, and the good client was untouched.
	ok.sub(t, "small", 1)
	ok.pub(t, "small", "fits", 1, false)
	require.Equal(t, "fits", string(ok.next(t).Payload))
}

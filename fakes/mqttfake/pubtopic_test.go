package mqttfake

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// PUBLISH topics a broker must refuse: Mosquitto 2.0.11 closes a 3.1.1
// connection silently and sends a v5 client DISCONNECT 0x82 (protocol
// error: wildcard or empty topic without an alias) or 0x81 (malformed:
// invalid UTF-8, U+0000, a surrogate). Bytes captured with the same raw
// packets against the Debian package.
func TestPublishTopicValidation(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		topic    string
		v5reason byte
	}{
		{"a/+", 0x82},
		{"a/#", 0x82},
		{"+", 0x82},
		{"a/+/b", 0x82},
		{"", 0x82},
		{"a/\xff", 0x81},
		{"a\x00b", 0x81},
		{"a/\xed\xa0\x80", 0x81}, // U+D800, a surrogate
	}
	publish := func(level byte, topic string, qos byte) []byte {
		body := str(topic)
		if qos > 0 {
			body = append(body, 0, 1)
		}
		if level == 5 {
			body = append(body, 0)
		}
		body = append(body, "pl"...)
		return append(append([]byte{0x30 | qos<<1}, varint(len(body))...), body...)
	}
	for _, tc := range cases {
		for _, level := range []byte{4, 5} {
			for _, qos := range []byte{0, 1} {
				c := raw(t, s.Addr(), connectPacket("MQTT", level, 2, "bad-topic")...)
				hdr := make([]byte, 2)
				_, err := io.ReadFull(c, hdr)
				require.NoError(t, err)
				require.Equal(t, byte(0x20), hdr[0])
				_, err = io.ReadFull(c, make([]byte, hdr[1]))
				require.NoError(t, err)
				_, err = c.Write(publish(level, tc.topic, qos))
				require.NoError(t, err)
				got := readAll(t, c)
				if level < 5 {
					require.Empty(t, got, "topic %q, QoS %d", tc.topic, qos)
					continue
				}
				// mochi may add a reason string; the code is what counts.
				require.GreaterOrEqual(t, len(got), 3, "topic %q, QoS %d: % x", tc.topic, qos, got)
				require.Equal(t, []byte{0xe0, tc.v5reason}, []byte{got[0], got[2]},
					"topic %q, QoS %d: % x", tc.topic, qos, got)
			}
		}
	}

	// The broker keeps serving, and the bad topics were never stored.
	ok := mustV5(t, s.Addr(), "after-bad-topics")
	ok.sub(t, "#", 1)
	ok.pub(t, "fine", "p", 1, false)
	require.Equal(t, "fine", ok.next(t).Topic)
}

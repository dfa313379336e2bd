package mqttfake

import (
	"bytes"
	"testing"
)

// FuzzFramer checks that the framer never panics, and that how the stream
// is split into reads does not change its verdict.
func FuzzFramer(f *testing.F) {
	f.Add([]byte{0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 0}, uint32(0), uint8(3))
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0x7f}, uint32(128), uint8(1))
	f.Add([]byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x01}, uint32(0), uint8(2))
	f.Add([]byte{0xc0, 0x00, 0xc0, 0x00, 0x30, 0x80, 0x01}, uint32(64), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, max uint32, split uint8) {
		whole := framer{max: max}
		wOff, wErr := whole.feed(data)

		chunked := framer{max: max}
		step := int(split%7) + 1
		base, cOff := 0, len(data)
		var cErr error
		for base < len(data) {
			end := min(base+step, len(data))
			off, err := chunked.feed(data[base:end])
			if err != nil {
				cErr, cOff = err, base+off
				break
			}
			base = end
		}
		if wErr != cErr {
			t.Fatalf("whole %v, chunked %v", wErr, cErr)
		}
		if wErr != nil {
			// A header split across reads is reported at the read it ends in.
			if cOff < wOff || wOff > len(data) {
				t.Fatalf("bad offsets: whole %d, chunked %d (len %d)", wOff, cOff, len(data))
			}
		} else if whole.packets != chunked.packets {
			t.Fatalf("packets: whole %d, chunked %d", whole.packets, chunked.packets)
		}
	})
}

// FuzzReadConnectHead checks that the CONNECT pre-parser never panics and
// replays exactly the bytes it consumed.
func FuzzReadConnectHead(f *testing.F) {
	f.Add([]byte{0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 0})
	f.Add([]byte{0x10, 0x0e, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 2, 0, 30, 0, 0})
	f.Add([]byte{0x10, 0x80})
	f.Add([]byte{0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		head, ci, _ := readConnectHead(bytes.NewReader(data))
		if !bytes.HasPrefix(data, head) {
			t.Fatalf("head % x is not a prefix of the input", head)
		}
		if ci.badLevel() && (ci.name != "MQTT" && ci.name != "MQIsdp") {
			t.Fatalf("bad level reported for unknown name %q", ci.name)
		}
	})
}

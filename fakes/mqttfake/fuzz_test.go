package mqttfake

import (
	"bytes"
	"io"
	"testing"
)

// chunkReader returns data in reads of at most step bytes.
type chunkReader struct {
	data []byte
	step int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// FuzzPacketReader checks that the packet reader never panics, hands on
// exactly a prefix of its input, and that neither how the stream is split
// into reads nor how the caller reads changes what it hands on or why it
// stops.
func FuzzPacketReader(f *testing.F) {
	f.Add([]byte{0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 0}, uint32(0), uint8(3))
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0x7f}, uint32(128), uint8(1))
	f.Add([]byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x01}, uint32(0), uint8(2))
	f.Add([]byte{0xc0, 0x00, 0xc0, 0x00, 0x30, 0x80, 0x01}, uint32(64), uint8(5))
	f.Add([]byte{0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, 0, 0x30, 0x14, 0, 1, 'a'}, uint32(0), uint8(4))
	f.Add([]byte{0x30, 0x05, 0, 2, 'a', 0xff, 'p'}, uint32(0), uint8(6))
	f.Add([]byte{0x32, 0x0e, 0, 9, 'a', '/', 'b', '/', 'c', '/', 'd', '/', 'e', 0, 1, 'p'}, uint32(0), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, max uint32, split uint8) {
		if len(data) > 1024 {
			return // long inputs add nothing (holdMin is 8) and make minimizing crawl
		}
		run := func(step, bufSize int) ([]byte, int, error) {
			// Bodies over 8 bytes are held, so short inputs reach that path.
			p := packetReader{src: &chunkReader{data: data, step: step}, max: max, holdMin: 8}
			var out []byte
			buf := make([]byte, bufSize)
			for {
				n, err := p.Read(buf)
				out = append(out, buf[:n]...)
				if err != nil {
					return out, p.packets, err
				}
			}
		}
		wOut, wPk, wErr := run(len(data)+1, 4096)
		cOut, cPk, cErr := run(int(split%7)+1, int(split%5)+1)
		if !bytes.HasPrefix(data, wOut) {
			t.Fatalf("output is not a prefix of the input")
		}
		if !bytes.Equal(wOut, cOut) || wPk != cPk || wErr != cErr {
			t.Fatalf("whole: %d bytes, %d packets, %v; chunked: %d bytes, %d packets, %v",
				len(wOut), wPk, wErr, len(cOut), cPk, cErr)
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

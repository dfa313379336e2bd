package mqttfake

import (
	"errors"
	"io"
)

// mochi checks its own MaximumPacketSize while reading a fixed header and
// then just closes the socket, so a v5 client never learns why. The fake
// therefore keeps mochi's limit off and tracks packet boundaries on the raw
// byte stream itself: framer finds each fixed header and reports a packet
// over the limit before mochi reads it, so the connection can say 0x95.

var (
	errPacketTooLarge = errors.New("mqttfake: packet exceeds maximum packet size")
	errMalformedLen   = errors.New("mqttfake: malformed remaining length")
)

// framer follows MQTT packet boundaries across arbitrary read chunks.
type framer struct {
	max     uint32 // whole-packet limit; 0 = none
	state   uint8  // 0: expect type byte, 1: in remaining length, 2: in body
	nvar    int    // remaining-length bytes seen
	rem     uint32 // remaining length being decoded
	skip    uint32 // body bytes left
	packets int    // completed fixed headers (0 while in the first packet)
}

// feed consumes p. On a malformed length or an oversized packet it returns
// the offset in p at which the bad packet starts (0 if its header began in
// an earlier chunk) and the error; the caller must stop reading after it.
func (f *framer) feed(p []byte) (int, error) {
	start := 0
	for i := 0; i < len(p); {
		switch f.state {
		case 0:
			start = i
			f.state, f.nvar, f.rem = 1, 0, 0
			i++
		case 1:
			b := p[i]
			i++
			f.rem |= uint32(b&0x7f) << (7 * f.nvar)
			f.nvar++
			if b&0x80 != 0 {
				if f.nvar == 4 {
					return start, errMalformedLen
				}
				continue
			}
			if f.max > 0 && uint64(1+f.nvar)+uint64(f.rem) > uint64(f.max) {
				return start, errPacketTooLarge
			}
			f.packets++
			f.skip = f.rem
			f.state = 2
			if f.skip == 0 {
				f.state = 0
			}
		case 2:
			n := uint32(len(p) - i)
			if n > f.skip {
				n = f.skip
			}
			f.skip -= n
			i += int(n)
			if f.skip == 0 {
				f.state = 0
			}
		}
	}
	return len(p), nil
}

// connectInfo is what the fake learns from the head of the first packet.
type connectInfo struct {
	isConnect bool   // first byte is a CONNECT
	name      string // protocol name ("MQTT", "MQIsdp")
	level     byte   // protocol level (3, 4, 5)
	complete  bool   // name and level were read
	badName   bool   // a protocol name that is neither MQTT nor MQIsdp
}

// badLevel reports a known protocol name with a level this broker (like
// Mosquitto) refuses with CONNACK 0x01.
func (ci connectInfo) badLevel() bool {
	switch {
	case !ci.complete:
		return false
	case ci.name == "MQTT":
		return ci.level != 4 && ci.level != 5
	case ci.name == "MQIsdp":
		return ci.level != 3
	}
	return false
}

// readConnectHead reads the first packet's fixed header, protocol name and
// level, returning every byte consumed so they can be replayed to mochi.
// Anything unexpected stops the parse early; mochi then rejects the packet
// itself.
func readConnectHead(r io.Reader) (head []byte, ci connectInfo, err error) {
	buf := make([]byte, 0, 16)
	read := func(n int) ([]byte, error) {
		at := len(buf)
		buf = append(buf, make([]byte, n)...)
		_, err := io.ReadFull(r, buf[at:])
		if err != nil {
			buf = buf[:at]
		}
		return buf[at:], err
	}
	b, err := read(1)
	if err != nil || b[0] != 0x10 {
		return buf, ci, err
	}
	ci.isConnect = true
	var rem uint32
	for i := 0; ; i++ {
		b, err := read(1)
		if err != nil {
			return buf, ci, err
		}
		rem |= uint32(b[0]&0x7f) << (7 * i)
		if b[0]&0x80 == 0 {
			break
		}
		if i == 3 {
			return buf, ci, nil
		}
	}
	if rem < 2 {
		return buf, ci, nil
	}
	b, err = read(2)
	if err != nil {
		return buf, ci, err
	}
	n := uint32(b[0])<<8 | uint32(b[1])
	if n != 4 && n != 6 {
		ci.badName = true
		return buf, ci, nil
	}
	if rem < 2+n+1 {
		return buf, ci, nil
	}
	b, err = read(int(n) + 1)
	if err != nil {
		return buf, ci, err
	}
	ci.name, ci.level, ci.complete = string(b[:n]), b[n], true
	ci.badName = ci.name != "MQTT" && ci.name != "MQIsdp"
	return buf, ci, nil
}

package mqttfake

import "io"

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

package mqttfake

import (
	"errors"
	"io"
	"sync/atomic"
)

// mochi allocates a packet's announced remaining length as soon as it has
// read the fixed header (ReadPacket: make([]byte, Remaining)), before a
// single body byte has arrived and, for the first packet, before auth. A
// client announcing 256 MiB in a 5-byte header would make it allocate
// 256 MiB (twice: it copies the body before decoding). The fake therefore
// reads packets itself: a small packet's header is handed on at once and
// its body streamed through; a larger one is buffered as its bytes arrive
// (the buffer grows with what was received, never with what was announced)
// and handed to mochi only once it is complete. The limits are checked on
// the header, before anything is buffered: a packet over the limit ends the
// connection (mochi's own MaximumPacketSize stays off, since it would close
// without telling a v5 client why).

const (
	// holdOver is the largest body handed to mochi before it has arrived.
	holdOver = 64 << 10
	// maxConnectSize bounds the first packet, before any authentication.
	// Every CONNECT field (client ID, will topic and payload, username,
	// password) has a 16-bit length, so a CONNECT is at most ~320 KiB plus
	// its v5 properties; 1 MiB leaves room for generous user properties.
	maxConnectSize = 1 << 20
	// DefaultMaxPacketSize is the inbound packet limit after CONNECT when
	// WithMaxPacketSize is not given. Mosquitto's max_packet_size defaults to
	// the protocol maximum (256 MiB); the fake picks a bound a test never
	// reaches but that keeps one client from holding hundreds of MiB.
	DefaultMaxPacketSize = 16 << 20
	// protocolMax is the largest packet MQTT can express: 1 type byte, 4
	// length bytes, 268,435,455 bytes of body.
	protocolMax = 1 + 4 + 268435455
)

var (
	errPacketTooLarge = errors.New("mqttfake: packet exceeds maximum packet size")
	errMalformedLen   = errors.New("mqttfake: malformed remaining length")
	errMalformedTopic = errors.New("mqttfake: PUBLISH topic is not a valid UTF-8 string")
)

// heldBytes counts the bytes of large packets being buffered, in every
// server of the process (tests wait on it).
var heldBytes atomic.Int64

// packetReader hands src's MQTT packets on, never letting the reader see a
// header whose announced body it would have to allocate before it arrived.
type packetReader struct {
	src     io.Reader
	max     uint32 // whole-packet limit after the first packet; 0 = protocol max
	packets int    // packets handed on in full
	first   func() // called once the first packet (CONNECT) has been handed on
	holdMin uint32 // bodies larger than this are held; 0 = holdOver (fuzzing lowers it)

	out    []byte // bytes ready for the caller: a header, or a whole held packet
	stream uint32 // body bytes still to pass straight from src
	hdr    [5]byte
}

// limit is the largest whole packet allowed next.
func (p *packetReader) limit() uint64 {
	lim := uint64(protocolMax)
	if p.max > 0 {
		lim = uint64(p.max)
	}
	if p.packets == 0 && lim > maxConnectSize {
		lim = maxConnectSize
	}
	return lim
}

func (p *packetReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if len(p.out) == 0 && p.stream == 0 {
		if err := p.next(); err != nil {
			return 0, err
		}
	}
	if len(p.out) > 0 {
		n := copy(b, p.out)
		p.out = p.out[n:]
		if len(p.out) == 0 {
			p.out = nil // let a held packet go
			if p.stream == 0 {
				p.done()
			}
		}
		return n, nil
	}
	if uint32(len(b)) > p.stream {
		b = b[:p.stream]
	}
	n, err := p.src.Read(b)
	p.stream -= uint32(n)
	if n > 0 && p.stream == 0 {
		p.done()
	}
	if err == io.EOF && p.stream > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (p *packetReader) done() {
	p.packets++
	if p.packets == 1 && p.first != nil {
		p.first()
	}
}

// prefetch reads the whole first packet (the CONNECT, at most
// maxConnectSize) before anything is handed on. mochi allocates each new
// client's write queue (MaximumClientWritesPending pointers: 2 MiB at the
// fake's setting) as soon as it is given a connection, so the fake gives it
// none before a complete CONNECT has arrived.
func (p *packetReader) prefetch() error {
	if p.packets > 0 || len(p.out) > 0 {
		return nil
	}
	return p.next()
}

// next reads the following fixed header and, for a large packet, its body.
func (p *packetReader) next() error {
	h := p.hdr[:]
	if _, err := io.ReadFull(p.src, h[:1]); err != nil {
		return err
	}
	var rem uint32
	n := 1
	for {
		if _, err := io.ReadFull(p.src, h[n:n+1]); err != nil {
			return unexpected(err)
		}
		b := h[n]
		rem |= uint32(b&0x7f) << (7 * (n - 1))
		n++
		if b&0x80 == 0 {
			break
		}
		if n == 5 {
			return errMalformedLen
		}
	}
	if uint64(n)+uint64(rem) > p.limit() {
		return errPacketTooLarge
	}
	hold := p.holdMin
	if hold == 0 {
		hold = holdOver
	}
	head := append([]byte(nil), h[:n]...)
	if h[0]>>4 == 3 { // PUBLISH
		var err error
		if head, err = p.topic(head, rem); err != nil {
			return err
		}
	}
	body := rem - uint32(len(head)-n)  // still to read
	if body <= hold && p.packets > 0 { // the CONNECT is always read whole: see prefetch
		p.out = head
		p.stream = body
		return nil
	}
	return p.hold(head, n, rem)
}

// topic reads a PUBLISH topic name after its fixed header and checks it is
// an MQTT UTF-8 string (mochi closes on a bad one without telling a v5
// client why; Mosquitto sends DISCONNECT 0x81). Its 16-bit length bounds
// what is read ahead.
func (p *packetReader) topic(head []byte, rem uint32) ([]byte, error) {
	if rem < 2 {
		return head, nil // mochi rejects it
	}
	at := len(head)
	head = append(head, 0, 0)
	if _, err := io.ReadFull(p.src, head[at:]); err != nil {
		return nil, unexpected(err)
	}
	l := uint32(head[at])<<8 | uint32(head[at+1])
	if l > rem-2 {
		return head, nil // malformed: mochi rejects it
	}
	at = len(head)
	head = append(head, make([]byte, l)...)
	if _, err := io.ReadFull(p.src, head[at:]); err != nil {
		return nil, unexpected(err)
	}
	if !validString(string(head[at:])) {
		return nil, errMalformedTopic
	}
	return head, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// hold buffers a whole packet whose first bytes (a fixed header of hlen
// bytes, perhaps more) are in h, growing the buffer as bytes arrive.
func (p *packetReader) hold(h []byte, hlen int, rem uint32) error {
	total := hlen + int(rem)
	buf := make([]byte, len(h), len(h)+min(total-len(h), holdOver))
	copy(buf, h)
	heldBytes.Add(int64(len(h) - hlen))
	defer func() { heldBytes.Add(-int64(len(buf) - hlen)) }()
	for len(buf) < total {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(2*cap(buf), total))
			copy(nb, buf)
			buf = nb
		}
		n, err := p.src.Read(buf[len(buf):min(cap(buf), total)])
		buf = buf[:len(buf)+n]
		heldBytes.Add(int64(n))
		if err != nil && len(buf) < total {
			return unexpected(err)
		}
	}
	p.out = buf
	return nil
}

package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"google.golang.org/protobuf/proto"
)

// Protocol constants.
const (
	// MagicCRC32C starts the checksummed part of a payload command.
	MagicCRC32C uint16 = 0x0e01
	// MagicBrokerEntryMetadata starts optional broker entry metadata, which
	// precedes MagicCRC32C.
	MagicBrokerEntryMetadata uint16 = 0x0e02

	// DefaultMaxMessageSize is the broker's default maxMessageSize (5 MiB).
	DefaultMaxMessageSize = 5 * 1024 * 1024
	// FramePadding is what a frame may carry beyond maxMessageSize (the
	// command and headers); the broker rejects larger frames.
	FramePadding = 10 * 1024

	// ProtocolVersion is the protocol version the fake announces.
	ProtocolVersion = 20
)

// Frame errors. Every one of them means the byte stream can no longer be
// trusted, so the connection has to be closed.
var (
	ErrFrameTooLarge = errors.New("pulsar wire: frame exceeds the maximum frame size")
	ErrBadFrame      = errors.New("pulsar wire: malformed frame")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is CRC32C (Castagnoli), the payload checksum of the protocol.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Frame is one decoded frame.
type Frame struct {
	Cmd *BaseCommand
	// HeadersAndPayload is everything after the command: empty for simple
	// commands, the checksummed metadata and payload for SEND and MESSAGE.
	HeadersAndPayload []byte
}

// ReadFrame reads one frame. maxFrame bounds totalSize (the bytes after the
// size prefix). The returned slices are freshly allocated and owned by the
// caller. A command that does not decode yields ErrBadFrame wrapped with
// the cause.
func ReadFrame(r io.Reader, maxFrame int) (Frame, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Frame{}, err
	}
	total := binary.BigEndian.Uint32(hdr[:])
	if uint64(total) > uint64(maxFrame) {
		return Frame{}, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, total, maxFrame)
	}
	buf := make([]byte, total)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return DecodeFrame(buf)
}

// DecodeFrame decodes a frame body (the bytes after totalSize).
func DecodeFrame(buf []byte) (Frame, error) {
	if len(buf) < 4 {
		return Frame{}, fmt.Errorf("%w: %d bytes, no command size", ErrBadFrame, len(buf))
	}
	cmdSize := binary.BigEndian.Uint32(buf)
	if uint64(cmdSize) > uint64(len(buf)-4) {
		return Frame{}, fmt.Errorf("%w: command size %d exceeds frame size %d", ErrBadFrame, cmdSize, len(buf))
	}
	cmd, err := DecodeCommand(buf[4 : 4+cmdSize])
	if err != nil {
		return Frame{}, err
	}
	return Frame{Cmd: cmd, HeadersAndPayload: buf[4+cmdSize:]}, nil
}

// DecodeCommand decodes a BaseCommand, checking required fields. A type
// value outside the protocol fails like a missing type does.
func DecodeCommand(b []byte) (*BaseCommand, error) {
	cmd := &BaseCommand{}
	if err := proto.Unmarshal(b, cmd); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	// proto2 enums are closed, but the Go runtime keeps unknown numbers of
	// a singular enum field; a command type nobody knows is garbage.
	if BaseCommand_Type_name[int32(cmd.GetType())] == "" {
		return nil, fmt.Errorf("%w: unknown command type %d", ErrBadFrame, cmd.GetType())
	}
	return cmd, nil
}

// AppendCommand appends a simple frame holding cmd.
func AppendCommand(dst []byte, cmd *BaseCommand) []byte {
	size := proto.Size(cmd)
	dst = binary.BigEndian.AppendUint32(dst, uint32(4+size))
	dst = binary.BigEndian.AppendUint32(dst, uint32(size))
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, cmd)
	if err != nil {
		// Only a missing required field gets here: a bug in the fake.
		panic(fmt.Sprintf("pulsar wire: encoding %v: %v", cmd.GetType(), err))
	}
	return dst
}

// AppendPayloadCommand appends a frame holding cmd followed by
// headersAndPayload, which must already carry magic and checksum.
func AppendPayloadCommand(dst []byte, cmd *BaseCommand, headersAndPayload []byte) []byte {
	size := proto.Size(cmd)
	dst = binary.BigEndian.AppendUint32(dst, uint32(4+size+len(headersAndPayload)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(size))
	dst, err := proto.MarshalOptions{}.MarshalAppend(dst, cmd)
	if err != nil {
		panic(fmt.Sprintf("pulsar wire: encoding %v: %v", cmd.GetType(), err))
	}
	return append(dst, headersAndPayload...)
}

// SplitChecksum locates the checksummed part of headersAndPayload, skipping
// broker entry metadata. ok is false when there is no checksum magic (old
// clients may omit it); malformed is true when the headers are cut short.
func SplitChecksum(headersAndPayload []byte) (sum uint32, covered []byte, ok bool, err error) {
	b := headersAndPayload
	if len(b) >= 2 && binary.BigEndian.Uint16(b) == MagicBrokerEntryMetadata {
		if len(b) < 6 {
			return 0, nil, false, fmt.Errorf("%w: broker entry metadata cut short", ErrBadFrame)
		}
		n := binary.BigEndian.Uint32(b[2:])
		if uint64(n) > uint64(len(b)-6) {
			return 0, nil, false, fmt.Errorf("%w: broker entry metadata size %d", ErrBadFrame, n)
		}
		b = b[6+n:]
	}
	if len(b) < 2 || binary.BigEndian.Uint16(b) != MagicCRC32C {
		return 0, b, false, nil
	}
	if len(b) < 6 {
		return 0, nil, false, fmt.Errorf("%w: checksum cut short", ErrBadFrame)
	}
	return binary.BigEndian.Uint32(b[2:]), b[6:], true, nil
}

// VerifyChecksum reports whether headersAndPayload's checksum, if it has
// one, matches its content.
func VerifyChecksum(headersAndPayload []byte) bool {
	sum, covered, ok, err := SplitChecksum(headersAndPayload)
	if err != nil {
		return false
	}
	return !ok || Checksum(covered) == sum
}

// WithChecksum returns metadataAndPayload ([size][metadata][payload])
// prefixed with magic and checksum.
func WithChecksum(metadataAndPayload []byte) []byte {
	out := make([]byte, 6, 6+len(metadataAndPayload))
	binary.BigEndian.PutUint16(out, MagicCRC32C)
	binary.BigEndian.PutUint32(out[2:], Checksum(metadataAndPayload))
	return append(out, metadataAndPayload...)
}

// BuildPayload encodes md and payload as the headersAndPayload of a SEND.
func BuildPayload(md *MessageMetadata, payload []byte) ([]byte, error) {
	mdBytes, err := proto.Marshal(md)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 0, 4+len(mdBytes)+len(payload))
	body = binary.BigEndian.AppendUint32(body, uint32(len(mdBytes)))
	body = append(body, mdBytes...)
	body = append(body, payload...)
	return WithChecksum(body), nil
}

// SplitMetadata returns the encoded MessageMetadata and the payload after it.
func SplitMetadata(headersAndPayload []byte) (metadata, payload []byte, err error) {
	_, b, _, err := SplitChecksum(headersAndPayload)
	if err != nil {
		return nil, nil, err
	}
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: no metadata size", ErrBadFrame)
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, fmt.Errorf("%w: metadata size %d exceeds %d", ErrBadFrame, n, len(b)-4)
	}
	return b[4 : 4+n], b[4+n:], nil
}

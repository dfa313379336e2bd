package wire

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Meta holds the MessageMetadata fields the broker acts on. It is parsed
// field by field, without building the generated message, because it runs
// once per stored entry.
type Meta struct {
	ProducerName string
	SequenceID   uint64
	PublishTime  uint64 // ms since the epoch
	PartitionKey string
	OrderingKey  []byte
	EventTime    uint64
	// NumMessages is num_messages_in_batch, 1 when absent.
	NumMessages int32
	// Batched reports whether num_messages_in_batch was present: the
	// client then reads the payload as a batch, even of one message.
	Batched     bool
	DeliverAt   int64 // ms since the epoch, 0 = immediately
	Compression CompressionType
	TxnLeast    uint64
	TxnMost     uint64
	HasTxn      bool
	UUID        string
	NumChunks   int32
	ChunkID     int32
}

// StickyKey is the key Key_Shared routes an entry by: the ordering key if
// set, else the partition key.
func (m *Meta) StickyKey() string {
	if len(m.OrderingKey) > 0 {
		return string(m.OrderingKey)
	}
	return m.PartitionKey
}

// ParseMeta decodes the fields of an encoded MessageMetadata that Meta holds.
func ParseMeta(b []byte) (Meta, error) {
	m := Meta{NumMessages: 1}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, fmt.Errorf("%w: metadata: %v", ErrBadFrame, protowire.ParseError(n))
		}
		b = b[n:]
		var v uint64
		var bs []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return m, fmt.Errorf("%w: metadata field %d: %v", ErrBadFrame, num, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case typ == protowire.BytesType:
			switch num {
			case 1:
				m.ProducerName = string(bs)
			case 6:
				m.PartitionKey = string(bs)
			case 18:
				m.OrderingKey = append([]byte(nil), bs...)
			case 26:
				m.UUID = string(bs)
			}
		case typ == protowire.VarintType:
			switch num {
			case 2:
				m.SequenceID = v
			case 3:
				m.PublishTime = v
			case 8:
				m.Compression = CompressionType(v)
			case 11:
				m.NumMessages = int32(v)
				m.Batched = true
			case 12:
				m.EventTime = v
			case 19:
				m.DeliverAt = int64(v)
			case 22:
				m.TxnLeast, m.HasTxn = v, true
			case 23:
				m.TxnMost, m.HasTxn = v, true
			case 27:
				m.NumChunks = int32(v)
			case 29:
				m.ChunkID = int32(v)
			}
		}
	}
	return m, nil
}

// ParseHeaders parses the metadata of a stored headersAndPayload.
func ParseHeaders(headersAndPayload []byte) (Meta, error) {
	md, _, err := SplitMetadata(headersAndPayload)
	if err != nil {
		return Meta{NumMessages: 1}, err
	}
	return ParseMeta(md)
}

// SingleMessage is one message of a batch payload.
type SingleMessage struct {
	Meta    *SingleMessageMetadata
	Payload []byte
}

// SplitBatch splits an uncompressed batch payload into its n messages.
func SplitBatch(payload []byte, n int) ([]SingleMessage, error) {
	out := make([]SingleMessage, 0, n)
	for i := 0; i < n; i++ {
		if len(payload) < 4 {
			return out, fmt.Errorf("%w: batch message %d: no size", ErrBadFrame, i)
		}
		size := binary.BigEndian.Uint32(payload)
		if uint64(size) > uint64(len(payload)-4) {
			return out, fmt.Errorf("%w: batch message %d: size %d", ErrBadFrame, i, size)
		}
		smm := &SingleMessageMetadata{}
		if err := proto.Unmarshal(payload[4:4+size], smm); err != nil {
			return out, fmt.Errorf("%w: batch message %d: %v", ErrBadFrame, i, err)
		}
		payload = payload[4+size:]
		ps := int(smm.GetPayloadSize())
		if ps < 0 || ps > len(payload) {
			return out, fmt.Errorf("%w: batch message %d: payload size %d", ErrBadFrame, i, ps)
		}
		out = append(out, SingleMessage{Meta: smm, Payload: payload[:ps:ps]})
		payload = payload[ps:]
	}
	return out, nil
}

package wire

import (
	"encoding/binary"

	"google.golang.org/protobuf/encoding/protowire"
)

// The two commands sent once per stored entry, MESSAGE and SEND_RECEIPT,
// are encoded by hand straight into the connection's write buffer: no
// generated structs, no allocation. Tests check them against the
// generated encoding.

// MessageHeader is the variable part of a MESSAGE command.
type MessageHeader struct {
	ConsumerID      uint64
	LedgerID        uint64
	EntryID         uint64
	Partition       int32 // < 0: not sent
	RedeliveryCount uint32
	AckSet          []int64 // bits set = still unacknowledged
}

func messageIDSize(ledger, entry uint64, partition int32) int {
	n := 1 + protowire.SizeVarint(ledger) + 1 + protowire.SizeVarint(entry)
	if partition >= 0 {
		n += 1 + protowire.SizeVarint(uint64(partition))
	}
	return n
}

func appendMessageID(dst []byte, ledger, entry uint64, partition int32) []byte {
	dst = protowire.AppendTag(dst, 1, protowire.VarintType)
	dst = protowire.AppendVarint(dst, ledger)
	dst = protowire.AppendTag(dst, 2, protowire.VarintType)
	dst = protowire.AppendVarint(dst, entry)
	if partition >= 0 {
		dst = protowire.AppendTag(dst, 3, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(partition))
	}
	return dst
}

// AppendMessage appends a complete MESSAGE frame carrying headersAndPayload.
func AppendMessage(dst []byte, h *MessageHeader, headersAndPayload []byte) []byte {
	idSize := messageIDSize(h.LedgerID, h.EntryID, h.Partition)
	inner := 1 + protowire.SizeVarint(h.ConsumerID) +
		1 + protowire.SizeVarint(uint64(idSize)) + idSize
	if h.RedeliveryCount > 0 {
		inner += 1 + protowire.SizeVarint(uint64(h.RedeliveryCount))
	}
	for _, w := range h.AckSet {
		inner += 1 + protowire.SizeVarint(uint64(w))
	}
	cmdSize := 1 + 1 + 1 + protowire.SizeVarint(uint64(inner)) + inner

	dst = binary.BigEndian.AppendUint32(dst, uint32(4+cmdSize+len(headersAndPayload)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(cmdSize))
	dst = protowire.AppendTag(dst, 1, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(BaseCommand_MESSAGE))
	dst = protowire.AppendTag(dst, 9, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(inner))
	dst = protowire.AppendTag(dst, 1, protowire.VarintType)
	dst = protowire.AppendVarint(dst, h.ConsumerID)
	dst = protowire.AppendTag(dst, 2, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(idSize))
	dst = appendMessageID(dst, h.LedgerID, h.EntryID, h.Partition)
	if h.RedeliveryCount > 0 {
		dst = protowire.AppendTag(dst, 3, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(h.RedeliveryCount))
	}
	for _, w := range h.AckSet {
		dst = protowire.AppendTag(dst, 4, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(w))
	}
	return append(dst, headersAndPayload...)
}

// AppendSendReceipt appends a complete SEND_RECEIPT frame.
func AppendSendReceipt(dst []byte, producerID, sequenceID, highestSequenceID, ledger, entry uint64) []byte {
	idSize := messageIDSize(ledger, entry, -1)
	inner := 1 + protowire.SizeVarint(producerID) +
		1 + protowire.SizeVarint(sequenceID) +
		1 + protowire.SizeVarint(uint64(idSize)) + idSize +
		1 + protowire.SizeVarint(highestSequenceID)
	cmdSize := 1 + 1 + 1 + protowire.SizeVarint(uint64(inner)) + inner

	dst = binary.BigEndian.AppendUint32(dst, uint32(4+cmdSize))
	dst = binary.BigEndian.AppendUint32(dst, uint32(cmdSize))
	dst = protowire.AppendTag(dst, 1, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(BaseCommand_SEND_RECEIPT))
	dst = protowire.AppendTag(dst, 7, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(inner))
	dst = protowire.AppendTag(dst, 1, protowire.VarintType)
	dst = protowire.AppendVarint(dst, producerID)
	dst = protowire.AppendTag(dst, 2, protowire.VarintType)
	dst = protowire.AppendVarint(dst, sequenceID)
	dst = protowire.AppendTag(dst, 3, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(idSize))
	dst = appendMessageID(dst, ledger, entry, -1)
	dst = protowire.AppendTag(dst, 4, protowire.VarintType)
	dst = protowire.AppendVarint(dst, highestSequenceID)
	return dst
}

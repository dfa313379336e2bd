package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestFrameRoundTrip(t *testing.T) {
	cmd := &BaseCommand{Type: BaseCommand_PING.Enum(), Ping: &CommandPing{}}
	b := AppendCommand(nil, cmd)
	f, err := ReadFrame(bytes.NewReader(b), 1024)
	if err != nil {
		t.Fatal(err)
	}
	if f.Cmd.GetType() != BaseCommand_PING || len(f.HeadersAndPayload) != 0 {
		t.Fatalf("got %v %d", f.Cmd.GetType(), len(f.HeadersAndPayload))
	}
}

func TestPayloadFrameAndChecksum(t *testing.T) {
	md := &MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(7), PublishTime: proto.Uint64(99),
		NumMessagesInBatch: proto.Int32(3), OrderingKey: []byte("ok"), PartitionKey: proto.String("pk"), DeliverAtTime: proto.Int64(1234)}
	hp, err := BuildPayload(md, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyChecksum(hp) {
		t.Fatal("checksum of fresh payload does not verify")
	}
	send := &BaseCommand{Type: BaseCommand_SEND.Enum(), Send: &CommandSend{ProducerId: proto.Uint64(1), SequenceId: proto.Uint64(7)}}
	frame := AppendPayloadCommand(nil, send, hp)
	f, err := ReadFrame(bytes.NewReader(frame), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.HeadersAndPayload, hp) {
		t.Fatal("payload changed in transit")
	}
	m, err := ParseHeaders(f.HeadersAndPayload)
	if err != nil {
		t.Fatal(err)
	}
	if m.ProducerName != "p" || m.SequenceID != 7 || m.PublishTime != 99 || m.NumMessages != 3 || !m.Batched ||
		m.StickyKey() != "ok" || m.PartitionKey != "pk" || m.DeliverAt != 1234 {
		t.Fatalf("meta = %+v", m)
	}
	_, payload, err := SplitMetadata(hp)
	if err != nil || string(payload) != "hello" {
		t.Fatalf("payload %q %v", payload, err)
	}
	hp[len(hp)-1] ^= 0xff
	if VerifyChecksum(hp) {
		t.Fatal("corrupted payload verifies")
	}
}

func TestFrameLimits(t *testing.T) {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 2000)
	if _, err := ReadFrame(bytes.NewReader(b), 1000); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	cmd := AppendCommand(nil, &BaseCommand{Type: BaseCommand_PING.Enum(), Ping: &CommandPing{}})
	if _, err := ReadFrame(bytes.NewReader(cmd[:len(cmd)-1]), 1000); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	// Command size larger than the frame.
	bad := []byte{0, 0, 0, 5, 0, 0, 0, 9, 8}
	if _, err := ReadFrame(bytes.NewReader(bad), 1000); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("bad cmd size: %v", err)
	}
	// Unknown command type 999.
	unknown := []byte{0x08, 0xe7, 0x07}
	var fr []byte
	fr = binary.BigEndian.AppendUint32(fr, uint32(4+len(unknown)))
	fr = binary.BigEndian.AppendUint32(fr, uint32(len(unknown)))
	fr = append(fr, unknown...)
	if _, err := ReadFrame(bytes.NewReader(fr), 1000); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("unknown type: %v", err)
	}
}

func TestFastEncodersMatchGenerated(t *testing.T) {
	for _, h := range []MessageHeader{
		{ConsumerID: 3, LedgerID: 17, EntryID: 0, Partition: -1},
		{ConsumerID: 1 << 40, LedgerID: 1 << 50, EntryID: 123456789, Partition: 7, RedeliveryCount: 4, AckSet: []int64{-2, 5}},
	} {
		frame := AppendMessage(nil, &h, []byte("xyz"))
		f, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		m := f.Cmd.GetMessage()
		if f.Cmd.GetType() != BaseCommand_MESSAGE || m.GetConsumerId() != h.ConsumerID ||
			m.GetMessageId().GetLedgerId() != h.LedgerID || m.GetMessageId().GetEntryId() != h.EntryID ||
			m.GetMessageId().GetPartition() != h.Partition || m.GetRedeliveryCount() != h.RedeliveryCount ||
			len(m.GetAckSet()) != len(h.AckSet) || string(f.HeadersAndPayload) != "xyz" {
			t.Fatalf("decoded %v / %q from %+v", f.Cmd, f.HeadersAndPayload, h)
		}
		for i := range h.AckSet {
			if m.GetAckSet()[i] != h.AckSet[i] {
				t.Fatalf("ack set %v want %v", m.GetAckSet(), h.AckSet)
			}
		}
	}
	frame := AppendSendReceipt(nil, 5, 1<<33, 1<<33+9, 77, 88)
	f, err := ReadFrame(bytes.NewReader(frame), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Cmd.GetSendReceipt()
	if r.GetProducerId() != 5 || r.GetSequenceId() != 1<<33 || r.GetHighestSequenceId() != 1<<33+9 ||
		r.GetMessageId().GetLedgerId() != 77 || r.GetMessageId().GetEntryId() != 88 {
		t.Fatalf("receipt %v", r)
	}
}

func TestSplitBatch(t *testing.T) {
	var payload []byte
	for _, s := range []string{"a", "bb", ""} {
		smm, _ := proto.Marshal(&SingleMessageMetadata{PayloadSize: proto.Int32(int32(len(s))), PartitionKey: proto.String("k" + s)})
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(smm)))
		payload = append(payload, smm...)
		payload = append(payload, s...)
	}
	msgs, err := SplitBatch(payload, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || string(msgs[1].Payload) != "bb" || msgs[2].Meta.GetPartitionKey() != "k" {
		t.Fatalf("%+v", msgs)
	}
	if _, err := SplitBatch(payload, 4); err == nil {
		t.Fatal("reading past the batch succeeded")
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(AppendCommand(nil, &BaseCommand{Type: BaseCommand_PING.Enum(), Ping: &CommandPing{}}))
	hp, _ := BuildPayload(&MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(1), PublishTime: proto.Uint64(1)}, []byte("x"))
	f.Add(AppendPayloadCommand(nil, &BaseCommand{Type: BaseCommand_SEND.Enum(), Send: &CommandSend{ProducerId: proto.Uint64(1), SequenceId: proto.Uint64(1)}}, hp))
	f.Add(AppendMessage(nil, &MessageHeader{ConsumerID: 1, LedgerID: 2, EntryID: 3, Partition: 1, AckSet: []int64{1}}, hp))
	f.Add([]byte{0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ReadFrame(bytes.NewReader(b), 1<<16)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same command.
		again, err := ReadFrame(bytes.NewReader(AppendPayloadCommand(nil, fr.Cmd, fr.HeadersAndPayload)), 1<<17)
		if err != nil {
			t.Fatalf("re-decoding %v: %v", fr.Cmd, err)
		}
		if !proto.Equal(again.Cmd, fr.Cmd) || !bytes.Equal(again.HeadersAndPayload, fr.HeadersAndPayload) {
			t.Fatalf("round trip changed %v into %v", fr.Cmd, again.Cmd)
		}
		VerifyChecksum(fr.HeadersAndPayload)
		if m, err := ParseHeaders(fr.HeadersAndPayload); err == nil && m.NumMessages > 0 && m.NumMessages < 1000 {
			_, payload, _ := SplitMetadata(fr.HeadersAndPayload)
			SplitBatch(payload, int(m.NumMessages))
		}
	})
}

func FuzzDecodeCommand(f *testing.F) {
	for _, c := range []*BaseCommand{
		{Type: BaseCommand_CONNECT.Enum(), Connect: &CommandConnect{ClientVersion: proto.String("x"), ProtocolVersion: proto.Int32(20)}},
		{Type: BaseCommand_FLOW.Enum(), Flow: &CommandFlow{ConsumerId: proto.Uint64(1), MessagePermits: proto.Uint32(1000)}},
		{Type: BaseCommand_ACK.Enum(), Ack: &CommandAck{ConsumerId: proto.Uint64(1), AckType: CommandAck_Individual.Enum(),
			MessageId: []*MessageIdData{{LedgerId: proto.Uint64(1), EntryId: proto.Uint64(2), AckSet: []int64{3}}}}},
	} {
		b, _ := proto.Marshal(c)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cmd, err := DecodeCommand(b)
		if err != nil {
			return
		}
		if _, err := proto.Marshal(cmd); err != nil {
			t.Fatalf("decoded command does not re-encode: %v", err)
		}
	})
}

func FuzzParseMeta(f *testing.F) {
	b, _ := proto.Marshal(&MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(1), PublishTime: proto.Uint64(1),
		NumMessagesInBatch: proto.Int32(2), DeliverAtTime: proto.Int64(5), OrderingKey: []byte("k")})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMeta(b)
		if err != nil {
			return
		}
		var full MessageMetadata
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, &full); err == nil {
			if full.NumMessagesInBatch != nil && full.GetNumMessagesInBatch() != m.NumMessages {
				t.Fatalf("num messages %d vs %d", m.NumMessages, full.GetNumMessagesInBatch())
			}
			if full.GetPublishTime() != m.PublishTime || full.GetPartitionKey() != m.PartitionKey {
				t.Fatalf("parse mismatch: %+v vs %v", m, &full)
			}
		}
	})
}

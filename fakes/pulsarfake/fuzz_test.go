package pulsarfake

import (
	"net"
	"testing"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// FuzzHandleCommand feeds arbitrary frames to a connected connection's
// command handler: whatever decodes must be handled or refused without a
// panic.
func FuzzHandleCommand(f *testing.F) {
	seed := func(c *wire.BaseCommand, payload []byte) {
		f.Add(wire.AppendPayloadCommand(nil, c, payload)[4:])
	}
	hp, _ := wire.BuildPayload(&wire.MessageMetadata{ProducerName: proto.String("p"), SequenceId: proto.Uint64(1),
		PublishTime: proto.Uint64(1), NumMessagesInBatch: proto.Int32(3)}, []byte("xyz"))
	seed(&wire.BaseCommand{Type: wire.BaseCommand_PRODUCER.Enum(), Producer: &wire.CommandProducer{
		Topic: proto.String("fz"), ProducerId: proto.Uint64(1), RequestId: proto.Uint64(1)}}, nil)
	seed(&wire.BaseCommand{Type: wire.BaseCommand_SEND.Enum(), Send: &wire.CommandSend{
		ProducerId: proto.Uint64(1), SequenceId: proto.Uint64(1)}}, hp)
	seed(&wire.BaseCommand{Type: wire.BaseCommand_SUBSCRIBE.Enum(), Subscribe: &wire.CommandSubscribe{
		Topic: proto.String("fz"), Subscription: proto.String("s"), SubType: wire.CommandSubscribe_Key_Shared.Enum(),
		ConsumerId: proto.Uint64(1), RequestId: proto.Uint64(2), Durable: proto.Bool(false),
		StartMessageId: &wire.MessageIdData{LedgerId: proto.Uint64(1), EntryId: proto.Uint64(0)}}}, nil)
	seed(&wire.BaseCommand{Type: wire.BaseCommand_ACK.Enum(), Ack: &wire.CommandAck{ConsumerId: proto.Uint64(1),
		AckType: wire.CommandAck_Cumulative.Enum(), MessageId: []*wire.MessageIdData{{LedgerId: proto.Uint64(1),
			EntryId: proto.Uint64(0), AckSet: []int64{5}}}}}, nil)
	seed(&wire.BaseCommand{Type: wire.BaseCommand_SEEK.Enum(), Seek: &wire.CommandSeek{ConsumerId: proto.Uint64(1),
		RequestId: proto.Uint64(3), MessagePublishTime: proto.Uint64(0)}}, nil)
	seed(&wire.BaseCommand{Type: wire.BaseCommand_END_TXN.Enum(), EndTxn: &wire.CommandEndTxn{RequestId: proto.Uint64(4)}}, nil)
	srv, err := New(WithoutAdmin())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		fr, err := wire.DecodeFrame(body)
		if err != nil {
			return
		}
		server, client := net.Pipe()
		defer client.Close()
		c := newConn(srv, server)
		c.connected = true
		c.handle(fr)
		c.close()
	})
}

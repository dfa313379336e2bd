package pulsarfake

import (
	"bufio"
	"errors"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// noRequestID is the request id of errors that answer no request, the
// broker's -1 on the wire.
const noRequestID = math.MaxUint64

// conn is one client connection. One goroutine reads and handles commands
// in order; another writes what handlers and dispatchers queue, so a slow
// reader on the client side never blocks a topic.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string

	wmu        sync.Mutex
	wbuf       []byte
	closeAfter bool // close once wbuf is written
	wake       chan struct{}
	done       chan struct{}
	closeOnce  sync.Once

	lastReadNs atomic.Int64
	accepted   time.Time
	// handshook is set once CONNECT succeeded; the keep-alive task closes
	// connections that have not got there within one interval.
	handshook atomic.Bool

	// Reader-goroutine state.
	connected     bool
	clientVersion string
	role          string
	authMethod    string

	// smu guards the id maps; they are also touched by topics closing
	// consumers and producers from other goroutines.
	smu       sync.Mutex
	producers map[uint64]*producer
	consumers map[uint64]*consumer
	// closedProducers are ids closed on this connection: SENDs still in
	// flight for them are dropped, as the broker does.
	closedProducers map[uint64]struct{}
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		s:         s,
		nc:        nc,
		remote:    nc.RemoteAddr().String(),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		producers: map[uint64]*producer{},
		consumers: map[uint64]*consumer{},

		closedProducers: map[uint64]struct{}{},
	}
	c.accepted = time.Now()
	c.lastReadNs.Store(c.accepted.UnixNano())
	return c
}

func (c *conn) lastRead() time.Time { return time.Unix(0, c.lastReadNs.Load()) }

// ------------------------------------------------------------- writing ---

// wakeWriter tells the writer goroutine there is something to write.
func (c *conn) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writeMessage queues a MESSAGE frame; it is the dispatch hot path.
func (c *conn) writeMessage(h *wire.MessageHeader, data []byte) {
	c.wmu.Lock()
	if !c.closeAfter {
		c.wbuf = wire.AppendMessage(c.wbuf, h, data)
	}
	c.wmu.Unlock()
	c.wakeWriter()
}

// writeReceipt queues a SEND_RECEIPT.
func (c *conn) writeReceipt(producerID, seq, highest, ledger, entry uint64) {
	c.wmu.Lock()
	if !c.closeAfter {
		c.wbuf = wire.AppendSendReceipt(c.wbuf, producerID, seq, highest, ledger, entry)
	}
	c.wmu.Unlock()
	c.wakeWriter()
}

func (c *conn) send(cmd *wire.BaseCommand) {
	c.wmu.Lock()
	if !c.closeAfter {
		c.wbuf = wire.AppendCommand(c.wbuf, cmd)
	}
	c.wmu.Unlock()
	c.wakeWriter()
}

// sendAndClose queues cmd and closes the connection once it is written.
func (c *conn) sendAndClose(cmd *wire.BaseCommand) {
	c.wmu.Lock()
	if !c.closeAfter {
		if cmd != nil {
			c.wbuf = wire.AppendCommand(c.wbuf, cmd)
		}
		c.closeAfter = true
	}
	c.wmu.Unlock()
	c.wakeWriter()
}

func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	var spare []byte
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.wmu.Lock()
		buf := c.wbuf
		c.wbuf = spare[:0]
		closing := c.closeAfter
		c.wmu.Unlock()
		if len(buf) > 0 {
			if _, err := c.nc.Write(buf); err != nil {
				c.close()
				return
			}
		}
		if cap(buf) <= 4<<20 {
			spare = buf
		} else {
			spare = nil
		}
		if closing {
			c.close()
			return
		}
	}
}

func (c *conn) sendPing() {
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_PING.Enum(), Ping: &wire.CommandPing{}})
}

// close tears the connection down: the socket, then every producer and
// consumer it had (their unacknowledged messages go back to be redelivered).
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
		c.s.removeConn(c)
		c.smu.Lock()
		prods := make([]*producer, 0, len(c.producers))
		for _, p := range c.producers {
			prods = append(prods, p)
		}
		cons := make([]*consumer, 0, len(c.consumers))
		for _, cs := range c.consumers {
			cons = append(cons, cs)
		}
		c.producers = map[uint64]*producer{}
		c.consumers = map[uint64]*consumer{}
		c.smu.Unlock()
		for _, p := range prods {
			p.topic.removeProducer(p)
		}
		for _, cs := range cons {
			cs.sub.t.removeConsumer(cs, false)
		}
	})
}

// ------------------------------------------------------------- reading ---

func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer func() {
		// An answer queued by sendAndClose (a rejected CONNECT) goes out
		// before the socket closes: the writer closes it.
		c.wmu.Lock()
		flushing := c.closeAfter
		c.wmu.Unlock()
		if flushing {
			select {
			case <-c.done:
			case <-time.After(5 * time.Second):
			}
		}
		c.close()
	}()
	br := bufio.NewReaderSize(c.nc, 64<<10)
	maxFrame := c.s.opts.maxMessageSize + wire.FramePadding
	for {
		f, err := wire.ReadFrame(br, maxFrame)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Warn("pulsarfake: closing connection", "remote", c.remote, "err", err)
			}
			return
		}
		c.lastReadNs.Store(time.Now().UnixNano())
		if !c.handle(f) {
			return
		}
	}
}

// handle processes one command. It returns false when the connection must
// be closed; like the broker, a command that is not valid in the current
// state, or that only a broker sends, closes the connection.
func (c *conn) handle(f wire.Frame) bool {
	cmd := f.Cmd
	typ := cmd.GetType()
	switch typ {
	case wire.BaseCommand_PING:
		c.send(&wire.BaseCommand{Type: wire.BaseCommand_PONG.Enum(), Pong: &wire.CommandPong{}})
		return true
	case wire.BaseCommand_PONG:
		return true
	case wire.BaseCommand_CONNECT:
		if c.connected || cmd.Connect == nil {
			return c.protocolViolation(typ, "unexpected CONNECT")
		}
		return c.handleConnect(cmd.Connect)
	}
	if !c.connected {
		return c.protocolViolation(typ, "command before CONNECT")
	}
	if c.s.faults.Active() {
		code, fail, delay := c.s.faults.Check(typ.String(), c.commandTopic(cmd))
		if !c.s.faults.Sleep(delay) {
			return false
		}
		if fail {
			return c.injectFailure(cmd, code)
		}
	}
	if h := commandHandlers[typ]; h != nil {
		return h(c, f)
	}
	// Responses only a broker sends, broker-to-broker commands and topic
	// list watchers: the broker has no handler and drops the connection.
	return c.protocolViolation(typ, "unsupported command")
}

// on adapts a handler of one command body to the handler table: the body
// must be present, as the broker's decoder checks before calling a handler.
func on[M proto.Message](body func(*wire.BaseCommand) M, h func(*conn, M) bool) func(*conn, wire.Frame) bool {
	return func(c *conn, f wire.Frame) bool {
		b := body(f.Cmd)
		return c.need(b, f.Cmd.GetType()) && h(c, b)
	}
}

// commandHandlers handle the commands valid after CONNECT.
var commandHandlers = map[wire.BaseCommand_Type]func(*conn, wire.Frame) bool{
	wire.BaseCommand_PARTITIONED_METADATA:    on((*wire.BaseCommand).GetPartitionMetadata, (*conn).handlePartitionedMetadata),
	wire.BaseCommand_LOOKUP:                  on((*wire.BaseCommand).GetLookup, (*conn).handleLookup),
	wire.BaseCommand_GET_TOPICS_OF_NAMESPACE: on((*wire.BaseCommand).GetGetTopicsOfNamespace, (*conn).handleGetTopicsOfNamespace),
	wire.BaseCommand_PRODUCER:                on((*wire.BaseCommand).GetProducer, (*conn).handleProducer),
	wire.BaseCommand_SEND: func(c *conn, f wire.Frame) bool {
		return c.need(f.Cmd.Send, wire.BaseCommand_SEND) && c.handleSend(f.Cmd.Send, f.HeadersAndPayload)
	},
	wire.BaseCommand_CLOSE_PRODUCER:                    on((*wire.BaseCommand).GetCloseProducer, (*conn).handleCloseProducer),
	wire.BaseCommand_SUBSCRIBE:                         on((*wire.BaseCommand).GetSubscribe, (*conn).handleSubscribe),
	wire.BaseCommand_FLOW:                              on((*wire.BaseCommand).GetFlow, (*conn).handleFlow),
	wire.BaseCommand_ACK:                               on((*wire.BaseCommand).GetAck, (*conn).handleAck),
	wire.BaseCommand_REDELIVER_UNACKNOWLEDGED_MESSAGES: on((*wire.BaseCommand).GetRedeliver, (*conn).handleRedeliver),
	wire.BaseCommand_UNSUBSCRIBE:                       on((*wire.BaseCommand).GetUnsubscribe, (*conn).handleUnsubscribe),
	wire.BaseCommand_CLOSE_CONSUMER:                    on((*wire.BaseCommand).GetCloseConsumer, (*conn).handleCloseConsumer),
	wire.BaseCommand_SEEK:                              on((*wire.BaseCommand).GetSeek, (*conn).handleSeek),
	wire.BaseCommand_GET_LAST_MESSAGE_ID:               on((*wire.BaseCommand).GetGetLastMessageId, (*conn).handleGetLastMessageID),
	wire.BaseCommand_CONSUMER_STATS:                    on((*wire.BaseCommand).GetConsumerStats, (*conn).handleConsumerStats),
	wire.BaseCommand_GET_SCHEMA:                        on((*wire.BaseCommand).GetGetSchema, (*conn).handleGetSchema),
	wire.BaseCommand_GET_OR_CREATE_SCHEMA:              on((*wire.BaseCommand).GetGetOrCreateSchema, (*conn).handleGetOrCreateSchema),
	wire.BaseCommand_AUTH_RESPONSE:                     on((*wire.BaseCommand).GetAuthResponse, (*conn).handleAuthResponse),
	wire.BaseCommand_TC_CLIENT_CONNECT_REQUEST:         on((*wire.BaseCommand).GetTcClientConnectRequest, (*conn).handleTcConnect),
	wire.BaseCommand_NEW_TXN:                           on((*wire.BaseCommand).GetNewTxn, (*conn).handleNewTxn),
	wire.BaseCommand_ADD_PARTITION_TO_TXN:              on((*wire.BaseCommand).GetAddPartitionToTxn, (*conn).handleAddPartitionToTxn),
	wire.BaseCommand_ADD_SUBSCRIPTION_TO_TXN:           on((*wire.BaseCommand).GetAddSubscriptionToTxn, (*conn).handleAddSubscriptionToTxn),
	wire.BaseCommand_END_TXN:                           on((*wire.BaseCommand).GetEndTxn, (*conn).handleEndTxn),
}

// need checks that the command's body is present, as the broker's decoder
// does before calling a handler.
func (c *conn) need(body proto.Message, typ wire.BaseCommand_Type) bool {
	if body == nil || !body.ProtoReflect().IsValid() {
		return c.protocolViolation(typ, "command body missing")
	}
	return true
}

func (c *conn) protocolViolation(typ wire.BaseCommand_Type, why string) bool {
	c.s.log.Warn("pulsarfake: closing connection", "remote", c.remote, "command", typ.String(), "reason", why)
	return false
}

// commandTopic is the topic a command addresses, the fault target: named
// in the command, or through the producer or consumer id it carries.
func (c *conn) commandTopic(cmd *wire.BaseCommand) string {
	producerTopic := func(id uint64) string {
		if p := c.producer(id); p != nil && p.topic != nil {
			return p.topic.name.Full
		}
		return ""
	}
	consumerTopic := func(id uint64) string {
		if cs := c.consumer(id); cs != nil && cs.sub != nil {
			return cs.sub.t.name.Full
		}
		return ""
	}
	switch {
	case cmd.Send != nil:
		return producerTopic(cmd.Send.GetProducerId())
	case cmd.CloseProducer != nil:
		return producerTopic(cmd.CloseProducer.GetProducerId())
	case cmd.Flow != nil:
		return consumerTopic(cmd.Flow.GetConsumerId())
	case cmd.Ack != nil:
		return consumerTopic(cmd.Ack.GetConsumerId())
	case cmd.Redeliver != nil:
		return consumerTopic(cmd.Redeliver.GetConsumerId())
	case cmd.Seek != nil:
		return consumerTopic(cmd.Seek.GetConsumerId())
	case cmd.Unsubscribe != nil:
		return consumerTopic(cmd.Unsubscribe.GetConsumerId())
	case cmd.CloseConsumer != nil:
		return consumerTopic(cmd.CloseConsumer.GetConsumerId())
	case cmd.GetLastMessageId != nil:
		return consumerTopic(cmd.GetLastMessageId.GetConsumerId())
	case cmd.Producer != nil:
		return normalizeTopic(cmd.Producer.GetTopic())
	case cmd.Subscribe != nil:
		return normalizeTopic(cmd.Subscribe.GetTopic())
	case cmd.Lookup != nil:
		return normalizeTopic(cmd.Lookup.GetTopic())
	case cmd.PartitionMetadata != nil:
		return normalizeTopic(cmd.PartitionMetadata.GetTopic())
	case cmd.GetSchema != nil:
		return normalizeTopic(cmd.GetSchema.GetTopic())
	case cmd.GetOrCreateSchema != nil:
		return normalizeTopic(cmd.GetOrCreateSchema.GetTopic())
	}
	return ""
}

func normalizeTopic(s string) string {
	if n, err := parseTopic(s); err == nil {
		return n.Full
	}
	return s
}

// injectFailure answers cmd with the injected error code, in the form the
// broker uses for that command.
func (c *conn) injectFailure(cmd *wire.BaseCommand, code ServerError) bool {
	msg := "injected failure: " + code.String()
	switch cmd.GetType() {
	case wire.BaseCommand_SEND:
		c.sendSendError(cmd.Send.GetProducerId(), cmd.Send.GetSequenceId(), code, msg)
	case wire.BaseCommand_LOOKUP:
		c.send(&wire.BaseCommand{Type: wire.BaseCommand_LOOKUP_RESPONSE.Enum(), LookupResponse: &wire.CommandLookupTopicResponse{
			RequestId: proto.Uint64(cmd.Lookup.GetRequestId()),
			Response:  wire.CommandLookupTopicResponse_Failed.Enum(),
			Error:     code.pb(), Message: proto.String(msg)}})
	case wire.BaseCommand_PARTITIONED_METADATA:
		c.send(&wire.BaseCommand{Type: wire.BaseCommand_PARTITIONED_METADATA_RESPONSE.Enum(),
			PartitionMetadataResponse: &wire.CommandPartitionedTopicMetadataResponse{
				RequestId: proto.Uint64(cmd.PartitionMetadata.GetRequestId()),
				Response:  wire.CommandPartitionedTopicMetadataResponse_Failed.Enum(),
				Error:     code.pb(), Message: proto.String(msg)}})
	case wire.BaseCommand_GET_SCHEMA:
		c.send(&wire.BaseCommand{Type: wire.BaseCommand_GET_SCHEMA_RESPONSE.Enum(), GetSchemaResponse: &wire.CommandGetSchemaResponse{
			RequestId: proto.Uint64(cmd.GetSchema.GetRequestId()), ErrorCode: code.pb(), ErrorMessage: proto.String(msg)}})
	case wire.BaseCommand_GET_OR_CREATE_SCHEMA:
		c.send(&wire.BaseCommand{Type: wire.BaseCommand_GET_OR_CREATE_SCHEMA_RESPONSE.Enum(),
			GetOrCreateSchemaResponse: &wire.CommandGetOrCreateSchemaResponse{
				RequestId: proto.Uint64(cmd.GetOrCreateSchema.GetRequestId()), ErrorCode: code.pb(), ErrorMessage: proto.String(msg)}})
	case wire.BaseCommand_ACK:
		if cmd.Ack.RequestId != nil {
			c.send(&wire.BaseCommand{Type: wire.BaseCommand_ACK_RESPONSE.Enum(), AckResponse: &wire.CommandAckResponse{
				ConsumerId: proto.Uint64(cmd.Ack.GetConsumerId()), RequestId: cmd.Ack.RequestId,
				TxnidLeastBits: cmd.Ack.TxnidLeastBits, TxnidMostBits: cmd.Ack.TxnidMostBits,
				Error: code.pb(), Message: proto.String(msg)}})
		}
	case wire.BaseCommand_NEW_TXN, wire.BaseCommand_ADD_PARTITION_TO_TXN, wire.BaseCommand_ADD_SUBSCRIPTION_TO_TXN,
		wire.BaseCommand_END_TXN, wire.BaseCommand_TC_CLIENT_CONNECT_REQUEST:
		c.sendTxnError(cmd, code, msg)
	case wire.BaseCommand_FLOW, wire.BaseCommand_REDELIVER_UNACKNOWLEDGED_MESSAGES:
		// No answer exists: the command is lost.
	default:
		if id, ok := requestID(cmd); ok {
			c.sendError(id, code, msg)
		}
	}
	return true
}

// requestID extracts the request id of a request command.
func requestID(cmd *wire.BaseCommand) (uint64, bool) {
	type withID interface{ GetRequestId() uint64 }
	m := cmd.ProtoReflect()
	var id uint64
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Number() == 1 {
			return true
		}
		if r, ok := v.Message().Interface().(withID); ok {
			id, found = r.GetRequestId(), true
		}
		return false
	})
	return id, found
}

// ------------------------------------------------------------- answers ---

func (c *conn) sendError(requestID uint64, code ServerError, msg string) {
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_ERROR.Enum(), Error: &wire.CommandError{
		RequestId: proto.Uint64(requestID), Error: code.pb(), Message: proto.String(msg)}})
}

func (c *conn) sendBrokerError(requestID uint64, err error) {
	var be *brokerError
	if errors.As(err, &be) {
		c.sendError(requestID, be.code, be.msg)
		return
	}
	c.sendError(requestID, UnknownError, err.Error())
}

func (c *conn) sendSuccess(requestID uint64) {
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_SUCCESS.Enum(), Success: &wire.CommandSuccess{RequestId: proto.Uint64(requestID)}})
}

func (c *conn) sendSendError(producerID, seq uint64, code ServerError, msg string) {
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_SEND_ERROR.Enum(), SendError: &wire.CommandSendError{
		ProducerId: proto.Uint64(producerID), SequenceId: proto.Uint64(seq), Error: code.pb(), Message: proto.String(msg)}})
}

// ---------------------------------------------------------- handshake ---

func (c *conn) handleConnect(cc *wire.CommandConnect) bool {
	code, fail, delay := c.s.faults.Check(string(OpConnect))
	if !c.s.faults.Sleep(delay) {
		return false
	}
	if fail {
		c.sendAndClose(&wire.BaseCommand{Type: wire.BaseCommand_ERROR.Enum(), Error: &wire.CommandError{
			RequestId: proto.Uint64(noRequestID), Error: code.pb(), Message: proto.String("injected failure: " + code.String())}})
		return false
	}
	role, err := c.authenticate(cc.GetAuthMethodName(), cc.GetAuthData())
	if err != nil {
		c.s.log.Info("pulsarfake: authentication failed", "remote", c.remote, "err", err)
		c.sendAndClose(&wire.BaseCommand{Type: wire.BaseCommand_ERROR.Enum(), Error: &wire.CommandError{
			RequestId: proto.Uint64(noRequestID), Error: AuthenticationError.pb(), Message: proto.String("Failed to authenticate")}})
		return false
	}
	c.connected = true
	c.handshook.Store(true)
	c.role = role
	c.authMethod = cc.GetAuthMethodName()
	c.clientVersion = cc.GetClientVersion()
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_CONNECTED.Enum(), Connected: &wire.CommandConnected{
		ServerVersion:   proto.String(ServerVersion),
		ProtocolVersion: proto.Int32(min(cc.GetProtocolVersion(), wire.ProtocolVersion)),
		MaxMessageSize:  proto.Int32(int32(c.s.opts.maxMessageSize)),
		FeatureFlags:    &wire.FeatureFlags{SupportsAuthRefresh: proto.Bool(true)},
	}})
	return true
}

// ServerVersion is what the fake reports as its broker version.
const ServerVersion = "Pulsar Server4.0.0-brokerkit"

func (c *conn) handleAuthResponse(ar *wire.CommandAuthResponse) bool {
	if _, err := c.authenticate(ar.GetResponse().GetAuthMethodName(), ar.GetResponse().GetAuthData()); err != nil {
		c.sendAndClose(&wire.BaseCommand{Type: wire.BaseCommand_ERROR.Enum(), Error: &wire.CommandError{
			RequestId: proto.Uint64(noRequestID), Error: AuthenticationError.pb(), Message: proto.String("Failed to authenticate")}})
		return false
	}
	return true
}

// --------------------------------------------------------- id registry ---

func (c *conn) producer(id uint64) *producer {
	c.smu.Lock()
	defer c.smu.Unlock()
	return c.producers[id]
}

func (c *conn) consumer(id uint64) *consumer {
	c.smu.Lock()
	defer c.smu.Unlock()
	return c.consumers[id]
}

func (c *conn) forgetConsumer(cs *consumer) {
	c.smu.Lock()
	if c.consumers[cs.id] == cs {
		delete(c.consumers, cs.id)
	}
	c.smu.Unlock()
}

func (c *conn) forgetProducer(p *producer) {
	c.smu.Lock()
	if c.producers[p.id] == p {
		delete(c.producers, p.id)
		c.closedProducers[p.id] = struct{}{}
	}
	c.smu.Unlock()
}

func (c *conn) addProducer(p *producer) {
	c.smu.Lock()
	c.producers[p.id] = p
	delete(c.closedProducers, p.id)
	c.smu.Unlock()
}

// producerClosed reports whether id was a producer of this connection.
func (c *conn) producerClosed(id uint64) bool {
	c.smu.Lock()
	defer c.smu.Unlock()
	_, ok := c.closedProducers[id]
	return ok
}

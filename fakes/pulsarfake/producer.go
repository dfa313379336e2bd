package pulsarfake

import (
	"time"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// producer is one PRODUCER on a connection.
type producer struct {
	id         uint64
	conn       *conn
	topic      *topic
	name       string
	accessMode wire.ProducerAccessMode
	since      time.Time
	metadata   map[string]string

	// A WaitForExclusive producer that is queued until the topic is free.
	waitReq uint64
	ready   bool
}

func (c *conn) handleProducer(cmd *wire.CommandProducer) bool {
	reqID := cmd.GetRequestId()
	name, err := parseTopic(cmd.GetTopic())
	if err != nil {
		c.sendError(reqID, InvalidTopicName, err.Error())
		return true
	}
	if p := c.producer(cmd.GetProducerId()); p != nil {
		// A retried PRODUCER for a producer that exists.
		c.sendProducerSuccess(reqID, p, nil, true)
		return true
	}
	if err := c.authorizeProducer(name, cmd.GetInitialSubscriptionName()); err != nil {
		c.sendBrokerError(reqID, err)
		return true
	}
	t, err := c.s.topicFor(name, true)
	if err != nil {
		c.sendBrokerError(reqID, err)
		return true
	}
	var version []byte
	if cmd.Schema != nil {
		if version, err = c.s.schemaForProducer(name.Base, cmd.Schema); err != nil {
			c.sendBrokerError(reqID, err)
			return true
		}
	}
	p := &producer{
		id:         cmd.GetProducerId(),
		conn:       c,
		topic:      t,
		name:       cmd.GetProducerName(),
		accessMode: cmd.GetProducerAccessMode(),
		since:      time.Now(),
		metadata:   kvMap(cmd.Metadata),
		ready:      true,
	}
	if p.name == "" {
		p.name = c.s.newProducerName()
	}
	fenced, err := t.addProducer(p, cmd.GetInitialSubscriptionName())
	if err != nil {
		c.sendBrokerError(reqID, err)
		return true
	}
	c.addProducer(p)
	for _, f := range fenced {
		f.conn.forgetProducer(f)
		f.conn.send(&wire.BaseCommand{Type: wire.BaseCommand_CLOSE_PRODUCER.Enum(), CloseProducer: &wire.CommandCloseProducer{
			ProducerId: proto.Uint64(f.id), RequestId: proto.Uint64(noRequestID)}})
	}
	if !p.ready {
		p.waitReq = reqID
	}
	c.sendProducerSuccess(reqID, p, version, p.ready)
	return true
}

func (c *conn) sendProducerSuccess(reqID uint64, p *producer, version []byte, ready bool) {
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_PRODUCER_SUCCESS.Enum(), ProducerSuccess: &wire.CommandProducerSuccess{
		RequestId:      proto.Uint64(reqID),
		ProducerName:   proto.String(p.name),
		LastSequenceId: proto.Int64(p.topic.lastSequence(p.name)),
		SchemaVersion:  version,
		ProducerReady:  proto.Bool(ready),
	}})
}

// addProducer registers p, enforcing names and access modes. It returns the
// producers that p fences out.
func (t *topic) addProducer(p *producer, initialSub string) ([]*producer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errorf(ServiceNotReady, "topic %s is being deleted", t.name.Full)
	}
	if err := t.admitProducerLocked(); err != nil {
		return nil, err
	}
	var exclusive *producer
	for other := range t.producers {
		if other.name == p.name {
			return nil, errorf(ProducerBusy, "Producer with name '%s' is already connected to topic", p.name)
		}
		if other.accessMode != wire.ProducerAccessMode_Shared && other.ready {
			exclusive = other
		}
	}
	var fenced []*producer
	switch p.accessMode {
	case wire.ProducerAccessMode_Shared:
		if exclusive != nil {
			return nil, errorf(ProducerBusy, "Topic has an existing exclusive producer: %s", exclusive.name)
		}
	case wire.ProducerAccessMode_Exclusive:
		// AbstractTopic fences a second exclusive producer (ProducerFenced),
		// where a shared one meeting an exclusive one is ProducerBusy.
		if exclusive != nil {
			return nil, errorf(ProducerFenced, "Topic has an existing exclusive producer: %s", exclusive.name)
		}
		if len(t.producers) > 0 {
			return nil, errorf(ProducerFenced, "Topic has existing shared producers")
		}
	case wire.ProducerAccessMode_ExclusiveWithFencing:
		for other := range t.producers {
			fenced = append(fenced, other)
			delete(t.producers, other)
		}
	case wire.ProducerAccessMode_WaitForExclusive:
		if len(t.producers) > 0 {
			p.ready = false
		}
	}
	if initialSub != "" && t.subs[initialSub] == nil {
		t.subs[initialSub] = newSubscription(t, initialSub, Exclusive, true, t.first)
		t.logSubLocked(t.subs[initialSub])
	}
	t.producers[p] = struct{}{}
	return fenced, nil
}

// producerGone promotes a waiting WaitForExclusive producer once the topic
// has no ready producer left.
func (s *Server) producerGone(t *topic, _ *producer) {
	t.mu.Lock()
	var waiting *producer
	for p := range t.producers {
		if p.ready {
			t.mu.Unlock()
			return
		}
		if waiting == nil || p.since.Before(waiting.since) {
			waiting = p
		}
	}
	if waiting != nil {
		waiting.ready = true
	}
	t.mu.Unlock()
	if waiting != nil {
		waiting.conn.sendProducerSuccess(waiting.waitReq, waiting, nil, true)
	}
}

func (c *conn) handleSend(cmd *wire.CommandSend, hp []byte) bool {
	p := c.producer(cmd.GetProducerId())
	if p == nil {
		if c.producerClosed(cmd.GetProducerId()) {
			return true // in flight when the producer was closed
		}
		return c.protocolViolation(wire.BaseCommand_SEND, "message for a producer that is not ready")
	}
	seq := cmd.GetSequenceId()
	if !p.ready {
		c.sendSendError(p.id, seq, NotAllowedError, "Producer is waiting for exclusive access")
		return true
	}
	if err := p.topic.refuseSend(); err != nil {
		c.sendSendError(p.id, seq, err.code, err.msg)
		return true
	}
	if !wire.VerifyChecksum(hp) {
		c.sendSendError(p.id, seq, ChecksumError, "Checksum failed on the broker")
		return true
	}
	if _, _, ok, _ := wire.SplitChecksum(hp); !ok {
		hp = wire.WithChecksum(hp)
	}
	meta, err := wire.ParseHeaders(hp)
	if err != nil {
		c.sendSendError(p.id, seq, UnknownError, "Invalid message metadata: "+err.Error())
		return true
	}
	if n := cmd.GetNumMessages(); !meta.Batched && n > 1 {
		meta.NumMessages = n
	}
	txn := txnID{most: cmd.GetTxnidMostBits(), least: cmd.GetTxnidLeastBits()}
	if !txn.isZero() {
		if err := c.s.txns.checkProduce(txn, p.topic.name.Full); err != nil {
			c.sendSendError(p.id, seq, err.code, err.msg)
			return true
		}
	}
	highest := max(cmd.GetHighestSequenceId(), seq)
	admit, tracked := p.topic.admitSequence(p.name, int64(highest))
	if !admit {
		c.writeReceipt(p.id, seq, highest, dupEntry, dupEntry) // a duplicate: acknowledged, not stored
		return true
	}
	producer := ""
	if tracked {
		producer = p.name
	}
	id := p.topic.appendEntry(hp, &meta, txn, producer, int64(highest))
	if !txn.isZero() {
		c.s.txns.addEntry(txn, p.topic, id)
	}
	c.writeReceipt(p.id, seq, highest, p.topic.ledger, id)
	p.topic.enforceBacklogQuota()
	return true
}

func (c *conn) handleCloseProducer(cmd *wire.CommandCloseProducer) bool {
	if p := c.producer(cmd.GetProducerId()); p != nil {
		c.forgetProducer(p)
		p.topic.removeProducer(p)
	}
	c.sendSuccess(cmd.GetRequestId())
	return true
}

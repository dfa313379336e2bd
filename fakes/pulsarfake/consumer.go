package pulsarfake

import (
	"time"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// consumer is one SUBSCRIBE on a connection. Fields other than id, conn,
// sub and name are guarded by the topic's mutex.
type consumer struct {
	id       uint64
	conn     *conn
	sub      *subscription
	name     string
	priority int32
	since    time.Time
	lastFlow time.Time // the stats' lastConsumedFlowTimestamp
	metadata map[string]string
	ranges   [][2]int32 // Key_Shared sticky hash ranges
	// joinPos keeps a Key_Shared consumer that joined while entries were
	// out from reading at or past that entry until everything before it is
	// acknowledged, so a key that moves to it stays in order.
	joinPos uint64

	permits  int64
	flowed   bool
	notified int8 // last ACTIVE_CONSUMER_CHANGE sent: 0 none, 1 active, 2 inactive
	unacked  int
	msgsOut  int64
}

func (c *consumer) notifyActive(active bool) {
	state := int8(2)
	if active {
		state = 1
	}
	if c.notified == state {
		return
	}
	c.notified = state
	c.conn.send(&wire.BaseCommand{Type: wire.BaseCommand_ACTIVE_CONSUMER_CHANGE.Enum(),
		ActiveConsumerChange: &wire.CommandActiveConsumerChange{ConsumerId: proto.Uint64(c.id), IsActive: proto.Bool(active)}})
}

func (c *conn) handleSubscribe(cmd *wire.CommandSubscribe) bool {
	reqID := cmd.GetRequestId()
	name, err := parseTopic(cmd.GetTopic())
	if err != nil {
		c.sendError(reqID, InvalidTopicName, err.Error())
		return true
	}
	if existing := c.consumer(cmd.GetConsumerId()); existing != nil {
		// A retried SUBSCRIBE for a consumer that exists: the broker
		// answers success again.
		c.sendSuccess(reqID)
		return true
	}
	if err := c.authorizeConsumer(name, cmd.GetSubscription()); err != nil {
		c.sendBrokerError(reqID, err)
		return true
	}
	t, err := c.s.topicFor(name, cmd.GetForceTopicCreation())
	if err != nil {
		c.sendBrokerError(reqID, err)
		return true
	}
	if cmd.Schema != nil {
		if err := c.s.schemaForConsumer(name.Base, cmd.Schema); err != nil {
			c.sendBrokerError(reqID, err)
			return true
		}
	}
	if err := c.subscribe(t, cmd); err != nil {
		c.sendBrokerError(reqID, err)
		return true
	}
	c.sendSuccess(reqID)
	return true
}

func (c *conn) subscribe(t *topic, cmd *wire.CommandSubscribe) error {
	typ := cmd.GetSubType()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return errorf(ServiceNotReady, "topic %s is being deleted", t.name.Full)
	}
	subName := cmd.GetSubscription()
	sub := t.subs[subName]
	if sub == nil {
		durable := cmd.GetDurable()
		var start uint64
		switch {
		case !durable && cmd.StartMessageId != nil:
			id := cmd.StartMessageId
			start = t.position(id.GetLedgerId(), id.GetEntryId())
		case cmd.GetInitialPosition() == wire.CommandSubscribe_Earliest:
			start = t.first
		default:
			start = t.next
		}
		if d := cmd.GetStartMessageRollbackDurationSec(); d > 0 {
			from := uint64(t.s.opts.clock.Now().Add(-time.Duration(d) * time.Second).UnixMilli())
			start = t.findEntryByTimeLocked(from)
		}
		start = min(max(start, t.first), t.next)
		sub = newSubscription(t, subName, typ, durable, start)
		sub.props = kvMap(cmd.SubscriptionProperties)
		t.subs[subName] = sub
		t.logSubLocked(sub)
	} else if sub.typ != typ {
		if len(sub.consumers) > 0 {
			return errorf(ConsumerBusy, "Subscription is of different type")
		}
		sub.typ = typ
		sub.rewind()
		t.logSubLocked(sub)
	}
	if typ == Exclusive && len(sub.consumers) > 0 {
		return errorf(ConsumerBusy, "Exclusive consumer is already connected")
	}
	if err := t.admitConsumerLocked(sub); err != nil {
		return err
	}
	cs := &consumer{
		id:       cmd.GetConsumerId(),
		conn:     c,
		sub:      sub,
		name:     cmd.GetConsumerName(),
		priority: cmd.GetPriorityLevel(),
		since:    time.Now(),
		metadata: kvMap(cmd.Metadata),
	}
	if ks := cmd.KeySharedMeta; typ == KeyShared && ks != nil && ks.GetKeySharedMode() == wire.KeySharedMode_STICKY {
		for _, r := range ks.HashRanges {
			cs.ranges = append(cs.ranges, [2]int32{r.GetStart(), r.GetEnd()})
		}
		for _, other := range sub.consumers {
			for _, a := range other.ranges {
				for _, b := range cs.ranges {
					if a[0] <= b[1] && b[0] <= a[1] {
						return errorf(ConsumerAssignError, "Range conflict with consumer %s", other.name)
					}
				}
			}
		}
	}
	if typ == KeyShared && len(sub.consumers) > 0 && sub.readPos > sub.ackFloor &&
		!cmd.GetKeySharedMeta().GetAllowOutOfOrderDelivery() {
		cs.joinPos = sub.readPos
	}
	c.smu.Lock()
	c.consumers[cs.id] = cs
	c.smu.Unlock()
	sub.attach(cs)
	return nil
}

func kvMap(kvs []*wire.KeyValue) map[string]string {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue()
	}
	return m
}

func (c *conn) handleFlow(cmd *wire.CommandFlow) bool {
	cs := c.consumer(cmd.GetConsumerId())
	if cs == nil {
		return true
	}
	t := cs.sub.t
	t.mu.Lock()
	cs.permits += int64(cmd.GetMessagePermits())
	cs.lastFlow = time.Now()
	t.expireLocked()
	if !cs.flowed {
		cs.flowed = true
		if cs.sub.typ == Failover {
			cs.notifyActive(cs == cs.sub.active)
		}
	}
	cs.sub.dispatch()
	t.mu.Unlock()
	return true
}

func (c *conn) handleAck(cmd *wire.CommandAck) bool {
	cs := c.consumer(cmd.GetConsumerId())
	if cs == nil {
		if cmd.RequestId != nil {
			c.sendAckResponse(cmd, ConsumerNotFound, "Consumer not found")
		}
		return true
	}
	if txn := (txnID{most: cmd.GetTxnidMostBits(), least: cmd.GetTxnidLeastBits()}); !txn.isZero() {
		err := c.s.txns.addAck(txn, cs.sub, cmd)
		if cmd.RequestId != nil {
			if err != nil {
				c.sendAckResponse(cmd, err.code, err.msg)
			} else {
				c.sendAckResponse(cmd, 0, "")
			}
		}
		return true
	}
	t := cs.sub.t
	t.mu.Lock()
	cs.sub.applyAck(cmd.GetAckType(), cmd.MessageId)
	if c.s.p != nil {
		cs.sub.logAckLocked(cmd.GetAckType(), cmd.MessageId)
	}
	if cs.sub.typ == KeyShared {
		cs.sub.dispatch() // acks may unblock a recently joined consumer
	}
	t.mu.Unlock()
	if cmd.RequestId != nil {
		c.sendAckResponse(cmd, 0, "")
	}
	return true
}

// applyAck applies an ACK's message ids.
func (s *subscription) applyAck(typ wire.CommandAck_AckType, ids []*wire.MessageIdData) {
	for _, m := range ids {
		if m.GetLedgerId() != s.t.ledger {
			continue
		}
		id := m.GetEntryId()
		switch {
		case typ == wire.CommandAck_Cumulative && len(m.AckSet) > 0:
			if id > 0 {
				s.ackUpTo(id - 1)
			}
			s.ackPartial(id, m.AckSet)
		case typ == wire.CommandAck_Cumulative:
			s.ackUpTo(id)
		case len(m.AckSet) > 0:
			s.ackPartial(id, m.AckSet)
		default:
			s.ackOne(id)
		}
	}
}

func (c *conn) sendAckResponse(cmd *wire.CommandAck, code ServerError, msg string) {
	r := &wire.CommandAckResponse{
		ConsumerId:     proto.Uint64(cmd.GetConsumerId()),
		RequestId:      cmd.RequestId,
		TxnidLeastBits: cmd.TxnidLeastBits,
		TxnidMostBits:  cmd.TxnidMostBits,
	}
	if msg != "" {
		r.Error, r.Message = code.pb(), proto.String(msg)
	}
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_ACK_RESPONSE.Enum(), AckResponse: r})
}

func (c *conn) handleRedeliver(cmd *wire.CommandRedeliverUnacknowledgedMessages) bool {
	cs := c.consumer(cmd.GetConsumerId())
	if cs == nil {
		return true
	}
	t := cs.sub.t
	t.mu.Lock()
	cs.sub.redeliver(cs, cmd.MessageIds)
	t.mu.Unlock()
	return true
}

func (c *conn) handleUnsubscribe(cmd *wire.CommandUnsubscribe) bool {
	cs := c.consumer(cmd.GetConsumerId())
	if cs == nil {
		c.sendError(cmd.GetRequestId(), MetadataError, "Consumer not found")
		return true
	}
	sub := cs.sub
	t := sub.t
	t.mu.Lock()
	if len(sub.consumers) > 1 && !cmd.GetForce() {
		t.mu.Unlock()
		c.sendError(cmd.GetRequestId(), ConsumerBusy, "Unconnected or shared consumer attempting to unsubscribe")
		return true
	}
	for len(sub.consumers) > 0 {
		other := sub.consumers[0]
		t.removeConsumerLocked(other, other != cs, true)
	}
	delete(t.subs, sub.name)
	t.logUnsubLocked(sub)
	t.mu.Unlock()
	c.sendSuccess(cmd.GetRequestId())
	return true
}

func (c *conn) handleCloseConsumer(cmd *wire.CommandCloseConsumer) bool {
	if cs := c.consumer(cmd.GetConsumerId()); cs != nil {
		cs.sub.t.removeConsumer(cs, false)
	}
	c.sendSuccess(cmd.GetRequestId())
	return true
}

func (c *conn) handleSeek(cmd *wire.CommandSeek) bool {
	cs := c.consumer(cmd.GetConsumerId())
	if cs == nil {
		c.sendError(cmd.GetRequestId(), MetadataError, "Consumer not found")
		return true
	}
	sub := cs.sub
	t := sub.t
	t.mu.Lock()
	var pos uint64
	switch {
	case cmd.MessageId != nil:
		pos = t.position(cmd.MessageId.GetLedgerId(), cmd.MessageId.GetEntryId())
	case cmd.MessagePublishTime != nil:
		pos = t.findEntryByTimeLocked(cmd.GetMessagePublishTime())
	default:
		t.mu.Unlock()
		c.sendError(cmd.GetRequestId(), MetadataError, "Message id and message publish time were not present")
		return true
	}
	sub.reset(min(pos, t.next))
	t.logSubLocked(sub)
	// The broker disconnects the subscription's consumers when it resets
	// the cursor; they reconnect and read from the new position.
	for len(sub.consumers) > 0 {
		t.removeConsumerLocked(sub.consumers[0], true, true)
	}
	t.mu.Unlock()
	c.sendSuccess(cmd.GetRequestId())
	return true
}

func (c *conn) handleGetLastMessageID(cmd *wire.CommandGetLastMessageId) bool {
	cs := c.consumer(cmd.GetConsumerId())
	if cs == nil {
		c.sendError(cmd.GetRequestId(), MetadataError, "Consumer not found")
		return true
	}
	t := cs.sub.t
	t.mu.Lock()
	resp := &wire.CommandGetLastMessageIdResponse{
		LastMessageId:              t.lastMessageIDLocked(),
		RequestId:                  proto.Uint64(cmd.GetRequestId()),
		ConsumerMarkDeletePosition: cs.sub.markDelete(),
	}
	t.mu.Unlock()
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_GET_LAST_MESSAGE_ID_RESPONSE.Enum(), GetLastMessageIdResponse: resp})
	return true
}

func (c *conn) handleConsumerStats(cmd *wire.CommandConsumerStats) bool {
	cs := c.consumer(cmd.GetConsumerId())
	resp := &wire.CommandConsumerStatsResponse{RequestId: proto.Uint64(cmd.GetRequestId())}
	if cs == nil {
		resp.ErrorCode, resp.ErrorMessage = ConsumerNotFound.pb(), proto.String("Consumer not found")
	} else {
		t := cs.sub.t
		t.mu.Lock()
		backlog, _ := cs.sub.backlog()
		resp.ConsumerName = proto.String(cs.name)
		resp.AvailablePermits = proto.Uint64(uint64(max(cs.permits, 0)))
		resp.UnackedMessages = proto.Uint64(uint64(max(cs.unacked, 0)))
		resp.Address = proto.String(c.remote)
		resp.ConnectedSince = proto.String(cs.since.UTC().Format(time.RFC3339))
		resp.Type = proto.String(cs.sub.typ.String())
		resp.MsgBacklog = proto.Uint64(uint64(backlog))
		t.mu.Unlock()
	}
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_CONSUMER_STATS_RESPONSE.Enum(), ConsumerStatsResponse: resp})
	return true
}

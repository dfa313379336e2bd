package pulsarfake

import (
	"encoding/json"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// The policies that change what a client sees, applied where the broker
// applies them. Each check is called under t.mu.

// admitProducerLocked refuses a new producer on a terminated topic, over
// maxProducers, or while the backlog quota is exceeded.
func (t *topic) admitProducerLocked() error {
	if t.terminated {
		return errorf(TopicTerminatedError, "Topic was already terminated")
	}
	if limit, ok := t.s.intPolicy(t.name, "maxProducers", "maxProducersPerTopic"); ok && limit > 0 && int64(len(t.producers)) >= limit {
		return errorf(ProducerBusy, "Topic '%s' reached max producers limit", t.name.Full)
	}
	if q := t.s.effectiveBacklogQuota(t.name); q != nil && t.backlogBytesLocked() > q.LimitSize {
		switch q.Policy {
		case "producer_exception":
			return errorf(ProducerBlockedQuotaExceededException, "Cannot create producer on topic with backlog quota exceeded")
		case "producer_request_hold":
			return errorf(ProducerBlockedQuotaExceededError, "Cannot create producer on topic with backlog quota exceeded")
		}
	}
	return nil
}

// refuseSendLocked is the error a SEND gets on a terminated topic.
func (t *topic) refuseSendLocked() *brokerError {
	if t.terminated {
		return errorf(TopicTerminatedError, "Topic was already terminated")
	}
	return nil
}

// admitConsumerLocked refuses a consumer over maxConsumers (per topic) or
// maxConsumersPerSubscription.
func (t *topic) admitConsumerLocked(sub *subscription) error {
	if limit, ok := t.s.intPolicy(t.name, "maxConsumers", "maxConsumersPerTopic"); ok && limit > 0 {
		n := 0
		for _, s := range t.subs {
			n += len(s.consumers)
		}
		if int64(n) >= limit {
			return errorf(ConsumerBusy, "Topic reached max consumers limit")
		}
	}
	if limit, ok := t.s.intPolicy(t.name, "maxConsumersPerSubscription", "maxConsumersPerSubscription"); ok && limit > 0 && int64(len(sub.consumers)) >= limit {
		return errorf(ConsumerBusy, "Subscription reached max consumers limit")
	}
	return nil
}

// backlogBytesLocked is the largest backlog of a durable subscription in
// bytes, which the destination_storage quota limits.
func (t *topic) backlogBytesLocked() int64 {
	var most int64
	for _, sub := range t.subs {
		if !sub.durable {
			continue
		}
		var n int64
		for id := max(sub.ackFloor, t.first); id < t.next; id++ {
			if !sub.isAcked(id) {
				n += int64(len(t.entries[id-t.first].data))
			}
		}
		most = max(most, n)
	}
	return most
}

// autoCreateAllowed is the namespace's autoTopicCreation override, else
// the broker's setting.
func (s *Server) autoCreateAllowed(ns string) bool {
	if allow, ok := s.autoTopicCreationAllowed(ns); ok {
		return allow
	}
	return s.opts.autoCreate
}

// autoPartitionsFor is the partition count an auto-created topic of ns
// gets: the namespace override's, else the broker's (0: non-partitioned).
func (s *Server) autoPartitionsFor(ns string) int {
	raw, ok := s.policies.get(ns, "autoTopicCreation")
	if !ok {
		if s.opts.autoCreate {
			return s.opts.autoPartitions
		}
		return 0
	}
	var c struct {
		Allow      bool   `json:"allowAutoTopicCreation"`
		Type       string `json:"topicType"`
		Partitions int    `json:"defaultNumPartitions"`
	}
	json.Unmarshal(raw, &c)
	if !c.Allow || c.Type != "partitioned" {
		return 0
	}
	return c.Partitions
}

func (t *topic) refuseSend() *brokerError {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refuseSendLocked()
}

// expireLocked applies the message TTL (the topic's, else the
// namespace's): entries published longer ago than the TTL are acknowledged
// on every durable subscription, as the broker's expiry task does. The
// fake expires when a client or the admin API looks (FLOW, stats, peek)
// instead of on the broker's 5-minute timer.
func (t *topic) expireLocked() {
	ttl, ok := t.s.intPolicy(t.name, "messageTTL", "messageTTL")
	if !ok || ttl <= 0 || len(t.entries) == 0 {
		return
	}
	cutoff := t.s.opts.clock.Now().UnixMilli() - ttl*1000
	var last uint64
	found := false
	for i := range t.entries {
		if int64(t.entries[i].publish) > cutoff {
			break
		}
		last, found = t.entries[i].id, true
	}
	if !found {
		return
	}
	for _, sub := range t.subs {
		if sub.durable && sub.ackFloor <= last {
			sub.ackUpTo(last)
			t.logSubLocked(sub)
		}
	}
}

// detachProducersLocked removes every producer of t and returns them for
// closeProducers.
func (t *topic) detachProducersLocked() []*producer {
	var out []*producer
	for p := range t.producers {
		out = append(out, p)
		delete(t.producers, p)
	}
	return out
}

// closeProducers sends CLOSE_PRODUCER: the client reconnects, and its new
// PRODUCER meets whatever policy made the broker disconnect it.
func closeProducers(ps []*producer) {
	for _, p := range ps {
		p.conn.forgetProducer(p)
		p.conn.send(&wire.BaseCommand{Type: wire.BaseCommand_CLOSE_PRODUCER.Enum(), CloseProducer: &wire.CommandCloseProducer{
			ProducerId: proto.Uint64(p.id), RequestId: proto.Uint64(noRequestID)}})
	}
}

// enforceBacklogQuota disconnects the producers of a topic whose backlog
// exceeds a producer_exception or producer_request_hold quota, as the
// broker's quota check does; their reconnect is then refused until the
// backlog shrinks.
func (t *topic) enforceBacklogQuota() {
	q := t.s.effectiveBacklogQuota(t.name)
	if q == nil || (q.Policy != "producer_exception" && q.Policy != "producer_request_hold") {
		return
	}
	t.mu.Lock()
	var ps []*producer
	if t.backlogBytesLocked() > q.LimitSize {
		ps = t.detachProducersLocked()
	}
	t.mu.Unlock()
	closeProducers(ps)
}

package pulsarfake

import (
	"fmt"
	"sort"
	"time"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// Message is a message to Publish, or one that Messages found stored.
type Message struct {
	Payload     []byte
	Key         string
	OrderingKey string
	Properties  map[string]string
	EventTime   time.Time
	// DeliverAt delays delivery on Shared and Key_Shared subscriptions.
	DeliverAt time.Time

	// Partition is the partition the message is stored on (-1 when the
	// topic is not partitioned). Publish routes by Key (the client's
	// default router) or round robin; to pick a partition, publish to
	// "<topic>-partition-<n>".
	Partition int

	// Filled in by Messages.
	ID           MessageID
	ProducerName string
	SequenceID   uint64
	PublishTime  time.Time
}

// MessageID locates a stored message.
type MessageID struct {
	Topic      string // partition-level topic name
	LedgerID   uint64
	EntryID    uint64
	Partition  int32 // -1: not partitioned
	BatchIndex int32 // -1: not part of a batch
	BatchSize  int32
}

func (id MessageID) String() string {
	return fmt.Sprintf("%d:%d:%d:%d", id.LedgerID, id.EntryID, id.Partition, id.BatchIndex)
}

// Publish stores messages on a topic as if a producer named
// "brokerkit-publisher" had sent them one by one, creating the topic if
// needed, and delivers them to connected consumers.
func (s *Server) Publish(topic string, msgs ...Message) ([]MessageID, error) {
	name, err := parseTopic(topic)
	if err != nil {
		return nil, err
	}
	n := s.partitionsOf(name)
	ids := make([]MessageID, 0, len(msgs))
	for _, m := range msgs {
		target := name
		if n > 0 {
			var p int
			switch {
			case m.OrderingKey != "":
				p = int(javaStringHash(m.OrderingKey) % uint32(n))
			case m.Key != "":
				p = int(javaStringHash(m.Key) % uint32(n))
			default:
				p = int(s.publishSeq.Add(1) % uint64(n))
			}
			target, _ = parseTopic(partitionName(name.Full, p))
		}
		t, err := s.topicFor(target, true)
		if err != nil {
			return ids, err
		}
		seq := s.publishSeq.Add(1)
		md := &wire.MessageMetadata{
			ProducerName: proto.String("brokerkit-publisher"),
			SequenceId:   proto.Uint64(seq),
			PublishTime:  proto.Uint64(s.nowMillis()),
		}
		if m.Key != "" {
			md.PartitionKey = proto.String(m.Key)
		}
		if m.OrderingKey != "" {
			md.OrderingKey = []byte(m.OrderingKey)
		}
		for k, v := range m.Properties {
			md.Properties = append(md.Properties, &wire.KeyValue{Key: proto.String(k), Value: proto.String(v)})
		}
		sort.Slice(md.Properties, func(i, j int) bool { return md.Properties[i].GetKey() < md.Properties[j].GetKey() })
		if !m.EventTime.IsZero() {
			md.EventTime = proto.Uint64(uint64(m.EventTime.UnixMilli()))
		}
		if !m.DeliverAt.IsZero() {
			md.DeliverAtTime = proto.Int64(m.DeliverAt.UnixMilli())
		}
		data, err := wire.BuildPayload(md, m.Payload)
		if err != nil {
			return ids, err
		}
		meta, err := wire.ParseHeaders(data)
		if err != nil {
			return ids, err
		}
		entry := t.appendEntry(data, &meta, txnID{}, "", 0)
		ids = append(ids, MessageID{Topic: t.name.Full, LedgerID: t.ledger, EntryID: entry,
			Partition: int32(t.name.Partition), BatchIndex: -1})
	}
	return ids, nil
}

// Seed publishes one message per payload.
func (s *Server) Seed(topic string, payloads ...string) error {
	msgs := make([]Message, len(payloads))
	for i, p := range payloads {
		msgs[i] = Message{Payload: []byte(p)}
	}
	_, err := s.Publish(topic, msgs...)
	return err
}

// javaStringHash is the client's default key hash (over bytes, as
// pulsar-client-go computes it), so Publish routes a key to the partition
// a client producer would.
func javaStringHash(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h = 31*h + uint32(s[i])
	}
	return h
}

// Messages returns the messages stored on a topic (every partition of a
// partitioned topic), oldest first, with batches split and payloads
// decompressed. Messages of open or aborted transactions are left out;
// retention may have dropped the oldest ones.
func (s *Server) Messages(topic string) ([]Message, error) {
	topics, err := s.resolve(topic)
	if err != nil {
		return nil, err
	}
	var out []Message
	for _, t := range topics {
		t.mu.Lock()
		entries := make([]entry, 0, len(t.entries))
		for _, e := range t.entries {
			if e.txnState == txnNone {
				entries = append(entries, e)
			}
		}
		t.mu.Unlock()
		for _, e := range entries {
			msgs, err := decodeEntry(t, &e)
			if err != nil {
				return out, fmt.Errorf("pulsarfake: %s entry %d: %w", t.name.Full, e.id, err)
			}
			out = append(out, msgs...)
		}
	}
	return out, nil
}

func decodeEntry(t *topic, e *entry) ([]Message, error) {
	mdBytes, payload, err := wire.SplitMetadata(e.data)
	if err != nil {
		return nil, err
	}
	md := &wire.MessageMetadata{}
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(mdBytes, md); err != nil {
		return nil, err
	}
	if md.GetCompression() != wire.CompressionType_NONE {
		if payload, err = decompress(md.GetCompression(), payload, int(md.GetUncompressedSize())); err != nil {
			return nil, err
		}
	}
	base := Message{
		ProducerName: md.GetProducerName(),
		SequenceID:   md.GetSequenceId(),
		PublishTime:  time.UnixMilli(int64(md.GetPublishTime())),
		Partition:    t.name.Partition,
		ID: MessageID{Topic: t.name.Full, LedgerID: t.ledger, EntryID: e.id,
			Partition: int32(t.name.Partition), BatchIndex: -1},
	}
	if md.DeliverAtTime != nil {
		base.DeliverAt = time.UnixMilli(md.GetDeliverAtTime())
	}
	if md.NumMessagesInBatch == nil {
		m := base
		m.Payload = payload
		m.Key = md.GetPartitionKey()
		m.OrderingKey = string(md.GetOrderingKey())
		m.Properties = kvMap(md.Properties)
		if md.GetEventTime() > 0 {
			m.EventTime = time.UnixMilli(int64(md.GetEventTime()))
		}
		return []Message{m}, nil
	}
	singles, err := wire.SplitBatch(payload, int(md.GetNumMessagesInBatch()))
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(singles))
	for i, sm := range singles {
		m := base
		m.Payload = sm.Payload
		m.Key = sm.Meta.GetPartitionKey()
		m.OrderingKey = string(sm.Meta.GetOrderingKey())
		m.Properties = kvMap(sm.Meta.Properties)
		if sm.Meta.GetEventTime() > 0 {
			m.EventTime = time.UnixMilli(int64(sm.Meta.GetEventTime()))
		}
		if sm.Meta.SequenceId != nil {
			m.SequenceID = sm.Meta.GetSequenceId()
		} else {
			m.SequenceID = base.SequenceID + uint64(i)
		}
		m.ID.BatchIndex = int32(i)
		m.ID.BatchSize = int32(len(singles))
		out = append(out, m)
	}
	return out, nil
}

// Backlog is the number of unacknowledged messages of a subscription (over
// all partitions), 0 if it does not exist.
func (s *Server) Backlog(topic, subscription string) int64 {
	topics, err := s.resolve(topic)
	if err != nil {
		return 0
	}
	var n int64
	for _, t := range topics {
		t.mu.Lock()
		if sub := t.subs[subscription]; sub != nil {
			m, _ := sub.backlog()
			n += m
		}
		t.mu.Unlock()
	}
	return n
}

// SubscriptionInfo describes a subscription of one partition-level topic.
type SubscriptionInfo struct {
	Topic   string
	Name    string
	Type    SubscriptionType
	Durable bool
	// MarkDelete is the last entry of the acknowledged prefix (EntryID
	// is math.MaxUint64 when nothing is acknowledged yet); ReadPosition the
	// next entry to dispatch.
	MarkDelete   MessageID
	ReadPosition MessageID
	Backlog      int64 // unacknowledged messages
	Unacked      int   // entries delivered and not acknowledged
	Consumers    []ConsumerInfo
	// Active is the name of the consumer Exclusive and Failover
	// subscriptions deliver to.
	Active string
}

// ConsumerInfo describes a connected consumer.
type ConsumerInfo struct {
	Topic        string
	Subscription string
	Name         string
	Type         SubscriptionType
	Permits      int64
	Unacked      int
	Remote       string
	Role         string // the authenticated role ("" without authentication)
}

// ProducerInfo describes a connected producer.
type ProducerInfo struct {
	Topic      string
	Name       string
	AccessMode string
	Remote     string
	Role       string // the authenticated role ("" without authentication)
}

// Subscriptions describes the subscriptions of a topic (each partition's
// separately), sorted by topic and name.
func (s *Server) Subscriptions(topic string) []SubscriptionInfo {
	topics, err := s.resolve(topic)
	if err != nil {
		return nil
	}
	var out []SubscriptionInfo
	for _, t := range topics {
		t.mu.Lock()
		for _, sub := range t.subs {
			out = append(out, sub.info())
		}
		t.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func (sub *subscription) info() SubscriptionInfo {
	t := sub.t
	id := func(e uint64) MessageID {
		return MessageID{Topic: t.name.Full, LedgerID: t.ledger, EntryID: e, Partition: int32(t.name.Partition), BatchIndex: -1}
	}
	backlog, _ := sub.backlog()
	si := SubscriptionInfo{
		Topic: t.name.Full, Name: sub.name, Type: sub.typ, Durable: sub.durable,
		MarkDelete: id(sub.ackFloor - 1), ReadPosition: id(sub.readPos),
		Backlog: backlog, Unacked: len(sub.pending),
	}
	for _, c := range sub.consumers {
		si.Consumers = append(si.Consumers, c.info())
	}
	if sub.active != nil {
		si.Active = sub.active.name
	}
	return si
}

func (c *consumer) info() ConsumerInfo {
	return ConsumerInfo{Topic: c.sub.t.name.Full, Subscription: c.sub.name, Name: c.name, Type: c.sub.typ,
		Permits: c.permits, Unacked: c.unacked, Remote: c.conn.remote, Role: c.conn.role}
}

// Consumers lists the consumers connected to a topic.
func (s *Server) Consumers(topic string) []ConsumerInfo {
	var out []ConsumerInfo
	for _, si := range s.Subscriptions(topic) {
		out = append(out, si.Consumers...)
	}
	return out
}

// Producers lists the producers connected to a topic.
func (s *Server) Producers(topic string) []ProducerInfo {
	topics, err := s.resolve(topic)
	if err != nil {
		return nil
	}
	var out []ProducerInfo
	for _, t := range topics {
		t.mu.Lock()
		for p := range t.producers {
			out = append(out, ProducerInfo{Topic: t.name.Full, Name: p.name, AccessMode: p.accessMode.String(), Remote: p.conn.remote, Role: p.conn.role})
		}
		t.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic+out[i].Name < out[j].Topic+out[j].Name })
	return out
}

// Topics lists the topics (partitioned topics once, by their base name).
func (s *Server) Topics() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for base := range s.partitioned {
		seen[base] = true
	}
	for full, t := range s.topics {
		if _, ok := s.partitioned[t.name.Base]; ok && t.name.Partition >= 0 {
			continue
		}
		seen[full] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ConnectionCount is the number of open client connections.
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

package mqttfake

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// Message is a published or retained message as the broker saw it.
type Message struct {
	Topic          string
	Payload        []byte
	QoS            byte
	Retain         bool
	ClientID       string // publisher ("inline" for Server.Publish)
	ContentType    string
	ResponseTopic  string
	UserProperties []UserProperty
	Dropped        bool // refused or dropped by a fault or the ACL: not delivered
	Time           time.Time
}

// UserProperty is an MQTT v5 user property.
type UserProperty struct{ Key, Value string }

func messageFrom(clientID string, pk packets.Packet, dropped bool) Message {
	m := Message{
		Topic:         pk.TopicName,
		Payload:       append([]byte(nil), pk.Payload...),
		QoS:           pk.FixedHeader.Qos,
		Retain:        pk.FixedHeader.Retain,
		ClientID:      clientID,
		ContentType:   pk.Properties.ContentType,
		ResponseTopic: pk.Properties.ResponseTopic,
		Dropped:       dropped,
		Time:          time.Unix(pk.Created, 0),
	}
	for _, u := range pk.Properties.User {
		m.UserProperties = append(m.UserProperties, UserProperty{u.Key, u.Val})
	}
	return m
}

// recorder keeps the last limit messages per topic.
type recorder struct {
	mu     sync.Mutex
	limit  int
	topics map[string]*topicLog
}

// topicLog is a sliding window: old entries are skipped by start and
// compacted away once per limit additions, so add is amortised O(1).
type topicLog struct {
	msgs  []Message
	start int
}

func (l *topicLog) add(m Message, limit int) {
	l.msgs = append(l.msgs, m)
	if len(l.msgs)-l.start > limit {
		l.start++
	}
	if l.start >= limit {
		l.msgs = append([]Message(nil), l.msgs[l.start:]...)
		l.start = 0
	}
}

func (r *recorder) add(clientID string, pk packets.Packet, dropped bool) {
	if r.limit <= 0 {
		return
	}
	m := messageFrom(clientID, pk, dropped)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.topics == nil {
		r.topics = map[string]*topicLog{}
	}
	l := r.topics[m.Topic]
	if l == nil {
		l = &topicLog{}
		r.topics[m.Topic] = l
	}
	l.add(m, r.limit)
}

// Published returns the messages published to topic, oldest first (the last
// WithPublishLog of them), including dropped ones (see Message.Dropped). A
// message is recorded before the broker acknowledges it.
func (s *Server) Published(topic string) []Message {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	l := s.rec.topics[topic]
	if l == nil {
		return nil
	}
	return append([]Message(nil), l.msgs[l.start:]...)
}

// PublishedTopics lists the topics with recorded messages, sorted.
func (s *Server) PublishedTopics() []string {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	out := make([]string, 0, len(s.rec.topics))
	for t := range s.rec.topics {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ClearPublished forgets the publish log.
func (s *Server) ClearPublished() {
	s.rec.mu.Lock()
	s.rec.topics = nil
	s.rec.mu.Unlock()
}

// Retained returns the retained messages (without $SYS), sorted by topic.
func (s *Server) Retained() []Message {
	g, err := s.current()
	if err != nil {
		return nil
	}
	var out []Message
	for _, pk := range g.m.Topics.Retained.GetAll() {
		if strings.HasPrefix(pk.TopicName, "$SYS") {
			continue
		}
		out = append(out, messageFrom(pk.Origin, pk, false))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}

// ClientInfo describes a client session known to the broker.
type ClientInfo struct {
	ID              string
	Username        string
	ProtocolVersion byte // 3, 4 (3.1.1) or 5
	Connected       bool // false: a persistent session kept while offline
	Listener        string
	Remote          string
	Subscriptions   []string // filters, sorted
	Pending         int      // QoS 1/2 messages in flight or queued
	KeepAlive       int      // seconds the broker enforces (Server Keep Alive if sent)
}

// Clients returns the sessions the broker holds, sorted by ID.
func (s *Server) Clients() []ClientInfo {
	g, err := s.current()
	if err != nil {
		return nil
	}
	var out []ClientInfo
	for _, cl := range g.m.Clients.GetAll() {
		if cl.Net.Inline {
			continue
		}
		ci := ClientInfo{
			ID:              cl.ID,
			Username:        string(cl.Properties.Username),
			ProtocolVersion: cl.Properties.ProtocolVersion,
			Connected:       !cl.Closed(),
			Listener:        cl.Net.Listener,
			Remote:          cl.Net.Remote,
			Pending:         cl.State.Inflight.Len(),
			KeepAlive:       int(cl.State.Keepalive),
		}
		for f := range cl.State.Subscriptions.GetAll() {
			ci.Subscriptions = append(ci.Subscriptions, f)
		}
		sort.Strings(ci.Subscriptions)
		out = append(out, ci)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Client returns one session by ID.
func (s *Server) Client(id string) (ClientInfo, bool) {
	for _, c := range s.Clients() {
		if c.ID == id {
			return c, true
		}
	}
	return ClientInfo{}, false
}

// Stats are broker counters; nonzero drops mean a burst exceeded a limit.
type Stats struct {
	ClientsConnected int64
	MessagesReceived int64
	MessagesSent     int64
	MessagesDropped  int64 // subscriber's write queue full
	InflightDropped  int64 // subscriber's inflight store full
	Retained         int64
}

// Stats returns the broker counters of the running instance.
func (s *Server) Stats() Stats {
	g, err := s.current()
	if err != nil {
		return Stats{}
	}
	i := g.m.Info.Clone()
	return Stats{
		ClientsConnected: i.ClientsConnected,
		MessagesReceived: i.MessagesReceived,
		MessagesSent:     i.MessagesSent,
		MessagesDropped:  i.MessagesDropped,
		InflightDropped:  i.InflightDropped,
		Retained:         i.Retained,
	}
}

// Publish injects a message as the broker itself (seeding): it bypasses
// ACLs and faults, and subscribers receive it at up to qos. The argument
// order is mqttclient.Client.Publish's.
func (s *Server) Publish(topic string, payload []byte, qos byte, retain bool) error {
	g, err := s.current()
	if err != nil {
		return err
	}
	return g.m.Publish(topic, payload, retain, qos)
}

package pulsarfake

import (
	"net/http"
	"sort"
	"time"
)

// ----------------------------------------------------------------- stats ---

type restTopicStats struct {
	MsgRateIn              float64                      `json:"msgRateIn"`
	MsgRateOut             float64                      `json:"msgRateOut"`
	MsgThroughputIn        float64                      `json:"msgThroughputIn"`
	MsgThroughputOut       float64                      `json:"msgThroughputOut"`
	MsgInCounter           int64                        `json:"msgInCounter"`
	BytesInCounter         int64                        `json:"bytesInCounter"`
	MsgOutCounter          int64                        `json:"msgOutCounter"`
	AverageMsgSize         float64                      `json:"averageMsgSize"`
	StorageSize            int64                        `json:"storageSize"`
	BacklogSize            int64                        `json:"backlogSize"`
	Publishers             []restPublisherStats         `json:"publishers"`
	Subscriptions          map[string]restSubscriptionS `json:"subscriptions"`
	Replication            map[string]any               `json:"replication"`
	DeduplicationStatus    string                       `json:"deduplicationStatus"`
	LastPublishTimestamp   int64                        `json:"lastPublishTimestamp,omitempty"`
	Metadata               *struct{ Partitions int }    `json:"metadata,omitempty"`
	Partitions             map[string]*restTopicStats   `json:"partitions,omitempty"`
	TopicCreationTimeStamp int64                        `json:"topicCreationTimeStamp,omitempty"`
}

type restPublisherStats struct {
	AccessMode     string            `json:"accessMode"`
	ProducerID     uint64            `json:"producerId"`
	ProducerName   string            `json:"producerName"`
	Address        string            `json:"address"`
	ConnectedSince string            `json:"connectedSince"`
	ClientVersion  string            `json:"clientVersion"`
	Metadata       map[string]string `json:"metadata"`
}

type restSubscriptionS struct {
	MsgBacklog         int64               `json:"msgBacklog"`
	MsgBacklogNoDelay  int64               `json:"msgBacklogNoDelayed"`
	MsgDelayed         int64               `json:"msgDelayed"`
	UnackedMessages    int64               `json:"unackedMessages"`
	Type               string              `json:"type"`
	ActiveConsumerName string              `json:"activeConsumerName,omitempty"`
	MsgOutCounter      int64               `json:"msgOutCounter"`
	IsDurable          bool                `json:"isDurable"`
	Consumers          []restConsumerStats `json:"consumers"`
	// The broker answers {} for these, never null.
	ConsumersAfterMarkDelete map[string]string `json:"consumersAfterMarkDeletePosition"`
	SubscriptionProperties   map[string]string `json:"subscriptionProperties"`
}

// statsOptions are the stats query's exclusions.
type statsOptions struct {
	excludePublishers, excludeConsumers bool
}

func statsOptionsOf(r *http.Request) statsOptions {
	return statsOptions{excludePublishers: boolParam(r, "excludePublishers"), excludeConsumers: boolParam(r, "excludeConsumers")}
}

type restConsumerStats struct {
	LastFlow         int64             `json:"lastConsumedFlowTimestamp"`
	ConsumerName     string            `json:"consumerName"`
	AvailablePermits int64             `json:"availablePermits"`
	UnackedMessages  int               `json:"unackedMessages"`
	MsgOutCounter    int64             `json:"msgOutCounter"`
	Address          string            `json:"address"`
	ConnectedSince   string            `json:"connectedSince"`
	ClientVersion    string            `json:"clientVersion"`
	Metadata         map[string]string `json:"metadata"`
}

func subTypeName(t SubscriptionType) string {
	if t == KeyShared {
		return "Key_Shared"
	}
	return t.String()
}

func (t *topic) stats(opt statsOptions) *restTopicStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expireLocked()
	st := &restTopicStats{
		MsgInCounter:           t.msgsIn,
		BytesInCounter:         t.bytesIn,
		MsgOutCounter:          t.msgsOut,
		StorageSize:            t.bytes,
		Publishers:             []restPublisherStats{},
		Subscriptions:          map[string]restSubscriptionS{},
		Replication:            map[string]any{},
		DeduplicationStatus:    "Disabled",
		TopicCreationTimeStamp: t.created.UnixMilli(),
	}
	if t.msgsIn > 0 {
		st.AverageMsgSize = float64(t.bytesIn) / float64(t.msgsIn)
	}
	if !t.lastPublish.IsZero() {
		st.LastPublishTimestamp = t.lastPublish.UnixMilli()
	}
	for p := range t.producers {
		if opt.excludePublishers {
			break
		}
		st.Publishers = append(st.Publishers, restPublisherStats{
			AccessMode: p.accessMode.String(), ProducerID: p.id, ProducerName: p.name, Address: p.conn.remote,
			ConnectedSince: p.since.UTC().Format(time.RFC3339), ClientVersion: p.conn.clientVersion, Metadata: p.metadata})
	}
	sort.Slice(st.Publishers, func(i, j int) bool { return st.Publishers[i].ProducerName < st.Publishers[j].ProducerName })
	for name, sub := range t.subs {
		msgs, _ := sub.backlog()
		ss := restSubscriptionS{
			MsgBacklog: msgs, MsgBacklogNoDelay: msgs - int64(len(sub.delayed)), MsgDelayed: int64(len(sub.delayed)),
			Type: subTypeName(sub.typ), IsDurable: sub.durable, Consumers: []restConsumerStats{},
			ConsumersAfterMarkDelete: map[string]string{}, SubscriptionProperties: map[string]string{},
		}
		for k, v := range sub.props {
			ss.SubscriptionProperties[k] = v
		}
		if sub.active != nil {
			ss.ActiveConsumerName = sub.active.name
		}
		for _, c := range sub.consumers {
			ss.UnackedMessages += int64(c.unacked)
			ss.MsgOutCounter += c.msgsOut
			if opt.excludeConsumers {
				continue
			}
			ss.Consumers = append(ss.Consumers, restConsumerStats{
				LastFlow: lastFlowMillis(c), ConsumerName: c.name, AvailablePermits: c.permits, UnackedMessages: c.unacked, MsgOutCounter: c.msgsOut,
				Address: c.conn.remote, ConnectedSince: c.since.UTC().Format(time.RFC3339), ClientVersion: c.conn.clientVersion,
				Metadata: c.metadata})
		}
		st.Subscriptions[name] = ss
		st.BacklogSize += msgs
	}
	return st
}

func (s *Server) topicStats(name topicName, opt statsOptions) (any, error) {
	t := s.existingTopic(name.Full)
	if t == nil {
		return nil, herr(http.StatusNotFound, "Topic not found")
	}
	return t.stats(opt), nil
}

func (s *Server) partitionedStats(name topicName, perPartition bool, opt statsOptions) (any, error) {
	n := s.partitionsOf(name)
	if n == 0 {
		return nil, herr(http.StatusNotFound, "Partitioned Topic not found")
	}
	topics, err := s.resolve(name.Full)
	if err != nil {
		return nil, herr(http.StatusNotFound, "Partitioned Topic not found")
	}
	agg := &restTopicStats{Publishers: []restPublisherStats{}, Subscriptions: map[string]restSubscriptionS{},
		Replication: map[string]any{}, DeduplicationStatus: "Disabled", Metadata: &struct{ Partitions int }{n}}
	if perPartition {
		agg.Partitions = map[string]*restTopicStats{}
	}
	for _, t := range topics {
		st := t.stats(opt)
		agg.MsgInCounter += st.MsgInCounter
		agg.BytesInCounter += st.BytesInCounter
		agg.MsgOutCounter += st.MsgOutCounter
		agg.StorageSize += st.StorageSize
		agg.BacklogSize += st.BacklogSize
		agg.Publishers = append(agg.Publishers, st.Publishers...)
		agg.LastPublishTimestamp = max(agg.LastPublishTimestamp, st.LastPublishTimestamp)
		if agg.TopicCreationTimeStamp == 0 || st.TopicCreationTimeStamp < agg.TopicCreationTimeStamp {
			agg.TopicCreationTimeStamp = st.TopicCreationTimeStamp
		}
		for sn, ss := range st.Subscriptions {
			cur, ok := agg.Subscriptions[sn]
			if !ok {
				cur = ss
			} else {
				cur.MsgBacklog += ss.MsgBacklog
				cur.MsgBacklogNoDelay += ss.MsgBacklogNoDelay
				cur.MsgDelayed += ss.MsgDelayed
				cur.UnackedMessages += ss.UnackedMessages
				cur.MsgOutCounter += ss.MsgOutCounter
				cur.Consumers = append(cur.Consumers, ss.Consumers...)
			}
			agg.Subscriptions[sn] = cur
		}
		if perPartition {
			agg.Partitions[t.name.Full] = st
		}
	}
	if agg.MsgInCounter > 0 {
		agg.AverageMsgSize = float64(agg.BytesInCounter) / float64(agg.MsgInCounter)
	}
	return agg, nil
}

func lastFlowMillis(c *consumer) int64 {
	if c.lastFlow.IsZero() {
		return 0
	}
	return c.lastFlow.UnixMilli()
}

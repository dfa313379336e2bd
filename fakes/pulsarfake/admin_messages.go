package pulsarfake

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// Message routes of a topic: get by id, peek, id by time and terminate.

// rawResponse is an admin answer that is not JSON: the broker's entry
// download (headers and the payload).
type rawResponse struct {
	header http.Header
	body   []byte
}

func (s *Server) adminMessageRoutes(on func(string, func(*http.Request, topicName) (any, error)), tp string) {
	on("GET "+tp+"/ledger/{ledger}/entry/{entry}", s.adminMessageByID)
	on("GET "+tp+"/subscription/{sub}/position/{n}", s.adminPeek)
	on("GET "+tp+"/messageid/{timestamp}", s.adminMessageIDByTime)
	on("POST "+tp+"/terminate", s.adminTerminate)
}

// nonPartitionedTopic is the stored topic of a message call; the broker
// refuses these calls on a partitioned topic.
func (s *Server) nonPartitionedTopic(n topicName) (*topic, error) {
	s.mu.Lock()
	_, part := s.partitioned[n.Full]
	t := s.topics[n.Full]
	s.mu.Unlock()
	if part {
		return nil, herr(http.StatusMethodNotAllowed, "This operation is not supported on partitioned topic")
	}
	if t == nil {
		return nil, herr(http.StatusNotFound, "Topic not found")
	}
	return t, nil
}

func (s *Server) adminMessageByID(r *http.Request, n topicName) (any, error) {
	t, err := s.nonPartitionedTopic(n)
	if err != nil {
		return nil, err
	}
	ledger, err1 := strconv.ParseInt(param(r, "ledger"), 10, 64)
	entryID, err2 := strconv.ParseInt(param(r, "entry"), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, herr(http.StatusNotFound, "Not Found")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var e *entry
	if uint64(ledger) == t.ledger && entryID >= 0 {
		e = t.entryAt(uint64(entryID))
	}
	if e == nil || e.txnState == txnAborted {
		return nil, herr(http.StatusNotFound, "Message id not found")
	}
	return entryResponse(t, e)
}

// adminPeek answers the n-th (1-based) entry after the subscription's
// cursor.
func (s *Server) adminPeek(r *http.Request, n topicName) (any, error) {
	t, err := s.nonPartitionedTopic(n)
	if err != nil {
		return nil, err
	}
	pos, err := strconv.Atoi(param(r, "n"))
	if err != nil || pos <= 0 {
		return nil, herr(http.StatusPreconditionFailed, "Invalid message position %s", param(r, "n"))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expireLocked()
	// Without the subscription the peek starts at the earliest entry, as
	// pulsar-client-go's own suite sees of the broker.
	sub := t.subs[param(r, "sub")]
	from := t.first
	if sub != nil {
		from = max(sub.ackFloor, t.first)
	}
	seen := 0
	for id := from; id < t.next; id++ {
		e := t.entryAt(id)
		if e == nil || e.txnState != txnNone || (sub != nil && sub.isAcked(id)) {
			continue
		}
		if seen++; seen == pos {
			return entryResponse(t, e)
		}
	}
	return nil, herr(http.StatusNotFound, "Could not find message at position %d", pos)
}

// entryResponse is the broker's entry download: metadata as X-Pulsar-*
// headers, the (uncompressed) payload as the body.
func entryResponse(t *topic, e *entry) (any, error) {
	mdBytes, payload, err := wire.SplitMetadata(e.data)
	if err != nil {
		return nil, herr(http.StatusInternalServerError, "%v", err)
	}
	md := &wire.MessageMetadata{}
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(mdBytes, md); err != nil {
		return nil, herr(http.StatusInternalServerError, "%v", err)
	}
	if md.GetCompression() != wire.CompressionType_NONE {
		if payload, err = decompress(md.GetCompression(), payload, int(md.GetUncompressedSize())); err != nil {
			return nil, herr(http.StatusInternalServerError, "%v", err)
		}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Pulsar-Message-ID", strconv.FormatUint(t.ledger, 10)+":"+strconv.FormatUint(e.id, 10))
	h.Set("X-Pulsar-publish-time", time.UnixMilli(int64(md.GetPublishTime())).UTC().Format("2006-01-02T15:04:05.000Z"))
	h.Set("X-Pulsar-producer-name", md.GetProducerName())
	h.Set("X-Pulsar-sequence-id", strconv.FormatUint(md.GetSequenceId(), 10))
	if md.PartitionKey != nil {
		h.Set("X-Pulsar-partition-key", md.GetPartitionKey())
	}
	if md.GetEventTime() > 0 {
		h.Set("X-Pulsar-event-time", time.UnixMilli(int64(md.GetEventTime())).UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	if len(md.Properties) > 0 {
		props, _ := json.Marshal(kvMap(md.Properties))
		h.Set("X-Pulsar-Property", string(props))
	}
	if md.NumMessagesInBatch != nil {
		h.Set("X-Pulsar-num-batch-message", strconv.Itoa(int(md.GetNumMessagesInBatch())))
		h.Set("X-Pulsar-batch-size", strconv.Itoa(len(payload)))
	}
	return &rawResponse{header: h, body: payload}, nil
}

// adminMessageIDByTime answers the first message published at or after
// the timestamp, as the broker's getMessageIdByTimestamp does.
func (s *Server) adminMessageIDByTime(r *http.Request, n topicName) (any, error) {
	t, err := s.nonPartitionedTopic(n)
	if err != nil {
		return nil, err
	}
	ts, err := strconv.ParseInt(param(r, "timestamp"), 10, 64)
	if err != nil {
		return nil, herr(http.StatusNotFound, "Not Found")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.findEntryByTimeLocked(uint64(ts))
	if id >= t.next {
		return nil, herr(http.StatusNotFound, "Message ID not found")
	}
	return restMessageID{LedgerID: int64(t.ledger), EntryID: int64(id), PartitionIndex: n.Partition}, nil
}

// adminTerminate closes the topic for good: producers are refused with
// TopicTerminatedError from now on. It answers the last message id.
func (s *Server) adminTerminate(_ *http.Request, n topicName) (any, error) {
	s.mu.Lock()
	_, part := s.partitioned[n.Full]
	s.mu.Unlock()
	if part {
		return nil, herr(http.StatusMethodNotAllowed, "Termination of a partitioned topic is not allowed")
	}
	t, err := s.nonPartitionedTopic(n)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.terminated = true
	last := int64(t.next) - 1
	producers := t.detachProducersLocked()
	t.mu.Unlock()
	// The broker disconnects the producers; their reconnect then fails
	// with TopicTerminatedError, which ends them.
	closeProducers(producers)
	return restMessageID{LedgerID: int64(t.ledger), EntryID: last, PartitionIndex: n.Partition}, nil
}

func isRaw(out any) bool {
	_, ok := out.(*rawResponse)
	return ok
}

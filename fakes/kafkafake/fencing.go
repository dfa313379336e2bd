package kafkafake

import (
	"encoding/binary"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/kafkafake/internal/reqcheck"
)

// kfake answers a produce from a fenced transactional producer (its
// transactional.id was initialised again elsewhere, which aborted its
// transaction) with INVALID_TXN_STATE when the partition was in the
// aborted transaction. Kafka answers INVALID_PRODUCER_EPOCH in every
// Produce version since 2.7: the partition leader's epoch check throws
// InvalidProducerEpochException, and with transaction verification the
// coordinator's PRODUCER_FENCED is mapped to it. The shim remembers the
// newest epoch InitProducerId handed out per transactional producer id and
// corrects the answer to a produce that carries an older one.

// epochs is the newest epoch issued per transactional producer id.
type epochs struct {
	mu     sync.Mutex
	newest map[int64]int16
}

func (e *epochs) issued(pid int64, epoch int16) {
	e.mu.Lock()
	if e.newest == nil {
		e.newest = map[int64]int16{}
	}
	if cur, ok := e.newest[pid]; !ok || epoch > cur {
		e.newest[pid] = epoch
	}
	e.mu.Unlock()
}

func (e *epochs) stale(pid int64, epoch int16) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	cur, ok := e.newest[pid]
	return ok && epoch < cur
}

// initProducerIDRequest watches transactional InitProducerId answers.
func (c *conn) initProducerIDRequest(version int16, corr int32, body []byte) {
	req := kmsg.NewPtrInitProducerIDRequest()
	if readRequest(body, version, req) < 0 || req.TransactionalID == nil {
		return
	}
	c.expect(corr, pendingResp{kind: respInitProducerID, version: version})
}

func (c *conn) initProducerIDResponse(frame []byte, p pendingResp) {
	resp := kmsg.NewPtrInitProducerIDResponse()
	resp.Version = p.version
	body, ok := responseBody(frame, resp)
	if ok && resp.ReadFrom(body) == nil && resp.ErrorCode == 0 {
		c.shim.epochs.issued(resp.ProducerID, resp.ProducerEpoch)
	}
}

// produceRequest notes the producer id and epoch of a transactional
// produce; other produces are not decoded.
func (c *conn) produceRequest(version int16, corr int32, body []byte) {
	hl := reqcheck.HeaderLen(body)
	if hl < 0 || !transactional(version, body[hl:]) {
		return
	}
	req := kmsg.NewPtrProduceRequest()
	if readRequest(body, version, req) < 0 {
		return
	}
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			// A v2 record batch holds the producer id at byte 43 and the
			// epoch at 51.
			if len(p.Records) >= 53 && p.Records[16] == 2 {
				pid := int64(binary.BigEndian.Uint64(p.Records[43:]))
				epoch := int16(binary.BigEndian.Uint16(p.Records[51:]))
				c.expect(corr, pendingResp{kind: respProduce, version: version, pid: pid, epoch: epoch})
				return
			}
		}
	}
}

// transactional reports whether a Produce body starts with a non-null
// transactional ID.
func transactional(version int16, body []byte) bool {
	if version >= 9 { // compact nullable string: length+1, 0 is null
		n, size := binary.Uvarint(body)
		return size > 0 && n > 0
	}
	return len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) >= 0
}

func (c *conn) produceResponse(frame []byte, p pendingResp) []byte {
	if !c.shim.epochs.stale(p.pid, p.epoch) {
		return frame
	}
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = p.version
	body, ok := responseBody(frame, resp)
	if !ok || resp.ReadFrom(body) != nil {
		return frame
	}
	changed := false
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			part := &resp.Topics[i].Partitions[j]
			if part.ErrorCode == errInvalidTxnState {
				part.ErrorCode = errInvalidProducerEpoch
				part.ErrorMessage = nil
				changed = true
			}
		}
	}
	if !changed {
		return frame
	}
	return appendResponse(frame, resp)
}

const (
	errInvalidProducerEpoch = 47
	errInvalidTxnState      = 48
)

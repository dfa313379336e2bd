package pulsarfake

import (
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// tcAssignTopic is the partitioned topic whose partition count tells
// clients how many transaction coordinators exist.
const tcAssignTopic = "persistent://pulsar/system/transaction_coordinator_assign"

type txnID struct{ most, least uint64 }

func (t txnID) isZero() bool { return t.most == 0 && t.least == 0 }

type txnStatus uint8

const (
	txnStatusOpen txnStatus = iota
	txnStatusCommitted
	txnStatusAborted
)

type txnEntry struct {
	t  *topic
	id uint64
}

type txnAck struct {
	sub *subscription
	typ wire.CommandAck_AckType
	ids []*wire.MessageIdData
}

type txn struct {
	id      txnID
	status  txnStatus
	entries []txnEntry
	acks    []txnAck
	timer   clock.Timer
	opened  time.Time
	ttl     time.Duration
	// produced and acked are the partitions and subscriptions the client
	// added, as the admin API's transaction metadata lists them.
	produced map[string]bool
	acked    map[string]map[string]bool
}

// txnCoordinator is the fake's transaction coordinator: transactional
// SENDs stay invisible until commit and vanish on abort; transactional
// ACKs apply on commit.
type txnCoordinator struct {
	s    *Server
	mu   sync.Mutex
	next uint64
	txns map[txnID]*txn
}

func newTxnCoordinator(s *Server) *txnCoordinator {
	return &txnCoordinator{s: s, txns: map[txnID]*txn{}}
}

func (tc *txnCoordinator) get(id txnID) (*txn, *brokerError) {
	t := tc.txns[id]
	if t == nil {
		return nil, errorf(TransactionNotFound, "Transaction not found: (%d,%d)", id.most, id.least)
	}
	if t.status != txnStatusOpen {
		return nil, errorf(InvalidTxnStatus, "Transaction (%d,%d) is not open", id.most, id.least)
	}
	return t, nil
}

func (tc *txnCoordinator) checkProduce(id txnID, _ string) *brokerError {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	_, err := tc.get(id)
	return err
}

func (tc *txnCoordinator) addEntry(id txnID, t *topic, entryID uint64) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tx := tc.txns[id]; tx != nil {
		tx.entries = append(tx.entries, txnEntry{t: t, id: entryID})
	}
}

func (tc *txnCoordinator) addAck(id txnID, sub *subscription, cmd *wire.CommandAck) *brokerError {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tx, err := tc.get(id)
	if err != nil {
		return err
	}
	tx.acks = append(tx.acks, txnAck{sub: sub, typ: cmd.GetAckType(), ids: cmd.MessageId})
	return nil
}

// end commits or aborts a transaction.
func (tc *txnCoordinator) end(id txnID, commit bool) *brokerError {
	tc.mu.Lock()
	tx, err := tc.get(id)
	if err != nil {
		tc.mu.Unlock()
		return err
	}
	if commit {
		tx.status = txnStatusCommitted
	} else {
		tx.status = txnStatusAborted
	}
	if tx.timer != nil {
		tx.timer.Stop()
	}
	delete(tc.txns, id)
	tc.mu.Unlock()

	state := txnNone
	if !commit {
		state = txnAborted
	}
	touched := map[*topic]bool{}
	for _, e := range tx.entries {
		e.t.mu.Lock()
		if en := e.t.entryAt(e.id); en != nil && en.txnState == txnOpen {
			en.txnState = state
			e.t.openTxn--
			if e.t.logged() {
				e.t.s.p.appendChange(&change{Kind: chTxn, Topic: e.t.name.Full, Ledger: e.t.ledger, IDs: []uint64{e.id}, Commit: commit})
			}
		}
		touched[e.t] = true
		e.t.mu.Unlock()
	}
	if commit {
		for _, a := range tx.acks {
			a.sub.t.mu.Lock()
			a.sub.applyAck(a.typ, a.ids)
			a.sub.logAckLocked(a.typ, a.ids)
			a.sub.t.mu.Unlock()
		}
	}
	for t := range touched {
		t.mu.Lock()
		for _, sub := range t.subs {
			sub.advanceFloor()
		}
		t.dispatchAllLocked()
		t.mu.Unlock()
	}
	return nil
}

func (c *conn) sendTxnResponse(typ wire.BaseCommand_Type, reqID uint64, id txnID, err *brokerError) {
	r := &wire.TxnResponse{RequestId: proto.Uint64(reqID)}
	if !id.isZero() {
		r.TxnidMostBits, r.TxnidLeastBits = proto.Uint64(id.most), proto.Uint64(id.least)
	}
	if err != nil {
		r.Error, r.Message = err.code.pb(), proto.String(err.msg)
	}
	cmd := &wire.BaseCommand{Type: typ.Enum()}
	switch typ {
	case wire.BaseCommand_NEW_TXN_RESPONSE:
		cmd.NewTxnResponse = r
	case wire.BaseCommand_ADD_PARTITION_TO_TXN_RESPONSE:
		cmd.AddPartitionToTxnResponse = r
	case wire.BaseCommand_ADD_SUBSCRIPTION_TO_TXN_RESPONSE:
		cmd.AddSubscriptionToTxnResponse = r
	case wire.BaseCommand_END_TXN_RESPONSE:
		cmd.EndTxnResponse = r
	}
	c.send(cmd)
}

// sendTxnError answers a coordinator command with an error.
func (c *conn) sendTxnError(cmd *wire.BaseCommand, code ServerError, msg string) {
	err := &brokerError{code: code, msg: msg}
	switch {
	case cmd.TcClientConnectRequest != nil:
		c.send(&wire.BaseCommand{Type: wire.BaseCommand_TC_CLIENT_CONNECT_RESPONSE.Enum(), TcClientConnectResponse: &wire.CommandTcClientConnectResponse{
			RequestId: proto.Uint64(cmd.TcClientConnectRequest.GetRequestId()), Error: code.pb(), Message: proto.String(msg)}})
	case cmd.NewTxn != nil:
		c.sendTxnResponse(wire.BaseCommand_NEW_TXN_RESPONSE, cmd.NewTxn.GetRequestId(), txnID{}, err)
	case cmd.AddPartitionToTxn != nil:
		m := cmd.AddPartitionToTxn
		c.sendTxnResponse(wire.BaseCommand_ADD_PARTITION_TO_TXN_RESPONSE, m.GetRequestId(), txnID{m.GetTxnidMostBits(), m.GetTxnidLeastBits()}, err)
	case cmd.AddSubscriptionToTxn != nil:
		m := cmd.AddSubscriptionToTxn
		c.sendTxnResponse(wire.BaseCommand_ADD_SUBSCRIPTION_TO_TXN_RESPONSE, m.GetRequestId(), txnID{m.GetTxnidMostBits(), m.GetTxnidLeastBits()}, err)
	case cmd.EndTxn != nil:
		m := cmd.EndTxn
		c.sendTxnResponse(wire.BaseCommand_END_TXN_RESPONSE, m.GetRequestId(), txnID{m.GetTxnidMostBits(), m.GetTxnidLeastBits()}, err)
	}
}

func (c *conn) handleTcConnect(cmd *wire.CommandTcClientConnectRequest) bool {
	r := &wire.CommandTcClientConnectResponse{RequestId: proto.Uint64(cmd.GetRequestId())}
	if cmd.GetTcId() >= uint64(c.s.opts.txnCoordinators) {
		r.Error, r.Message = TransactionCoordinatorNotFound.pb(), proto.String("Transaction coordinator not found")
	}
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_TC_CLIENT_CONNECT_RESPONSE.Enum(), TcClientConnectResponse: r})
	return true
}

func (c *conn) handleNewTxn(cmd *wire.CommandNewTxn) bool {
	tc := c.s.txns
	if cmd.GetTcId() >= uint64(c.s.opts.txnCoordinators) {
		c.sendTxnResponse(wire.BaseCommand_NEW_TXN_RESPONSE, cmd.GetRequestId(), txnID{},
			errorf(TransactionCoordinatorNotFound, "Transaction coordinator not found"))
		return true
	}
	tc.mu.Lock()
	tc.next++
	id := txnID{most: cmd.GetTcId(), least: tc.next}
	tx := &txn{id: id, opened: c.s.opts.clock.Now(), ttl: time.Duration(cmd.GetTxnTtlSeconds()) * time.Millisecond}
	tc.txns[id] = tx
	// txn_ttl_seconds carries milliseconds in practice.
	if ttl := cmd.GetTxnTtlSeconds(); ttl > 0 {
		tx.timer = c.s.opts.clock.AfterFunc(time.Duration(ttl)*time.Millisecond, func() { tc.end(id, false) })
	}
	tc.mu.Unlock()
	c.sendTxnResponse(wire.BaseCommand_NEW_TXN_RESPONSE, cmd.GetRequestId(), id, nil)
	return true
}

func (c *conn) handleAddPartitionToTxn(cmd *wire.CommandAddPartitionToTxn) bool {
	id := txnID{cmd.GetTxnidMostBits(), cmd.GetTxnidLeastBits()}
	tc := c.s.txns
	tc.mu.Lock()
	tx, err := tc.get(id)
	if err == nil {
		tx.addPartitions(cmd.GetPartitions())
	}
	tc.mu.Unlock()
	c.sendTxnResponse(wire.BaseCommand_ADD_PARTITION_TO_TXN_RESPONSE, cmd.GetRequestId(), id, err)
	return true
}

func (c *conn) handleAddSubscriptionToTxn(cmd *wire.CommandAddSubscriptionToTxn) bool {
	id := txnID{cmd.GetTxnidMostBits(), cmd.GetTxnidLeastBits()}
	tc := c.s.txns
	tc.mu.Lock()
	tx, err := tc.get(id)
	if err == nil {
		tx.addSubscriptions(cmd.GetSubscription())
	}
	tc.mu.Unlock()
	c.sendTxnResponse(wire.BaseCommand_ADD_SUBSCRIPTION_TO_TXN_RESPONSE, cmd.GetRequestId(), id, err)
	return true
}

func (c *conn) handleEndTxn(cmd *wire.CommandEndTxn) bool {
	id := txnID{cmd.GetTxnidMostBits(), cmd.GetTxnidLeastBits()}
	err := c.s.txns.end(id, cmd.GetTxnAction() == wire.TxnAction_COMMIT)
	c.sendTxnResponse(wire.BaseCommand_END_TXN_RESPONSE, cmd.GetRequestId(), id, err)
	return true
}

func (tc *txnCoordinator) abortAll() {
	tc.mu.Lock()
	ids := make([]txnID, 0, len(tc.txns))
	for id := range tc.txns {
		ids = append(ids, id)
	}
	tc.mu.Unlock()
	for _, id := range ids {
		tc.end(id, false)
	}
}

// stopTimers cancels the transaction timeouts (Close).
func (tc *txnCoordinator) stopTimers() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for _, tx := range tc.txns {
		if tx.timer != nil {
			tx.timer.Stop()
		}
	}
}

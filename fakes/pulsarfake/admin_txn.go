package pulsarfake

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
)

func (tx *txn) addPartitions(topics []string) {
	if tx.produced == nil {
		tx.produced = map[string]bool{}
	}
	for _, t := range topics {
		tx.produced[t] = true
	}
}

func (tx *txn) addSubscriptions(subs []*wire.Subscription) {
	if tx.acked == nil {
		tx.acked = map[string]map[string]bool{}
	}
	for _, s := range subs {
		if tx.acked[s.GetTopic()] == nil {
			tx.acked[s.GetTopic()] = map[string]bool{}
		}
		tx.acked[s.GetTopic()][s.GetSubscription()] = true
	}
}

// adminTxnMetadata answers GET /admin/v3/transactions/transactionMetadata:
// an open transaction's metadata; an ended one is gone, as the broker
// removes it from the coordinator on commit or abort.
func (s *Server) adminTxnMetadata(r *http.Request) (any, error) {
	if s.opts.txnCoordinators <= 0 {
		return nil, herr(http.StatusServiceUnavailable, "This Broker is not configured with transactionCoordinatorEnabled=true.")
	}
	most, err1 := strconv.ParseUint(param(r, "tc"), 10, 64)
	least, err2 := strconv.ParseUint(param(r, "id"), 10, 64)
	if err1 != nil || err2 != nil {
		return nil, herr(http.StatusNotFound, "Not Found")
	}
	if most >= uint64(s.opts.txnCoordinators) {
		return nil, herr(http.StatusNotFound, "Transaction coordinator not found. tcId : %d", most)
	}
	tc := s.txns
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tx := tc.txns[txnID{most, least}]
	if tx == nil || tx.status != txnStatusOpen {
		return nil, herr(http.StatusNotFound, "Transaction not found: (%d,%d)", most, least)
	}
	produced := map[string]any{}
	for t := range tx.produced {
		produced[t] = map[string]any{"startPosition": nil, "aborted": false}
	}
	acked := map[string]any{}
	for t, subs := range tx.acked {
		m := map[string]any{}
		for sub := range subs {
			m[sub] = map[string]any{"cumulativeAckPosition": nil}
		}
		acked[t] = m
	}
	out := map[string]any{
		"txnId":              fmt.Sprintf("(%d,%d)", most, least),
		"status":             "OPEN",
		"openTimestamp":      tx.opened.UnixMilli(),
		"timeoutAt":          tx.ttl.Milliseconds(),
		"producedPartitions": produced,
		"ackedPartitions":    acked,
	}
	return out, nil
}

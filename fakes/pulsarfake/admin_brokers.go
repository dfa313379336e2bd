package pulsarfake

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Broker-wide admin routes: health, leader, dynamic configuration and the
// v3 transaction metadata.

// dynamicConfig holds the values set through the dynamic configuration
// API. They are stored and answered back only.
type dynamicConfig struct {
	mu     sync.Mutex
	values map[string]string
}

// dynamicNames are the broker's dynamic configuration names the fake
// accepts (a subset of ServiceConfiguration's dynamic fields).
var dynamicNames = []string{
	"allowAutoSubscriptionCreation", "allowAutoTopicCreation", "allowAutoTopicCreationType",
	"defaultNumPartitions", "brokerDeleteInactiveTopicsEnabled", "maxUnackedMessagesPerConsumer",
	"maxUnackedMessagesPerSubscription", "maxProducersPerTopic", "maxConsumersPerTopic",
	"maxConsumersPerSubscription", "dispatchThrottlingRatePerTopicInMsg", "dispatchThrottlingRatePerTopicInByte",
	"subscriptionExpirationTimeMinutes", "brokerDeduplicationEnabled", "maxNumPartitionsPerPartitionedTopic",
	"loadBalancerEnabled", "forceDeleteNamespaceAllowed", "forceDeleteTenantAllowed",
}

func isDynamic(name string) bool {
	for _, n := range dynamicNames {
		if n == name {
			return true
		}
	}
	return false
}

func (s *Server) adminBrokerRoutes(h func(string, func(*http.Request) (any, error)), mux *http.ServeMux) {
	// health answers the plain text "ok" the broker writes.
	mux.HandleFunc("GET /admin/v2/brokers/health", func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("topicVersion"); v != "" && v != "V1" && v != "V2" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"reason": "Invalid topicVersion " + v})
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok"))
	})
	h("GET /admin/v2/brokers/leaderBroker", func(*http.Request) (any, error) {
		return map[string]string{"brokerId": strings.TrimPrefix(s.adminURL, "http://"), "serviceUrl": s.adminURL}, nil
	})
	h("GET /admin/v2/brokers/ready", func(*http.Request) (any, error) { return "ok", nil })
	h("GET /admin/v2/brokers/configuration", func(*http.Request) (any, error) { return dynamicNames, nil })
	h("GET /admin/v2/brokers/configuration/values", func(*http.Request) (any, error) {
		s.dyn.mu.Lock()
		defer s.dyn.mu.Unlock()
		out := map[string]string{}
		for k, v := range s.dyn.values {
			out[k] = v
		}
		return out, nil
	})
	h("GET /admin/v2/brokers/configuration/runtime", func(*http.Request) (any, error) { return s.runtimeConfig(), nil })
	mux.HandleFunc("POST /admin/v2/brokers/configuration/{name}/{value...}", func(w http.ResponseWriter, r *http.Request) {
		name := param(r, "name")
		if !isDynamic(name) {
			writeResult(w, nil, herr(http.StatusPreconditionFailed, "Can't update non-dynamic configuration"))
			return
		}
		s.dyn.mu.Lock()
		if s.dyn.values == nil {
			s.dyn.values = map[string]string{}
		}
		s.dyn.values[name] = param(r, "value")
		s.dyn.mu.Unlock()
		w.WriteHeader(http.StatusOK) // the broker resumes with 200, not 204
	})
	h("DELETE /admin/v2/brokers/configuration/{name}", func(r *http.Request) (any, error) {
		name := param(r, "name")
		if !isDynamic(name) {
			return nil, herr(http.StatusPreconditionFailed, "Can't delete non-dynamic configuration")
		}
		s.dyn.mu.Lock()
		delete(s.dyn.values, name)
		s.dyn.mu.Unlock()
		return nil, nil
	})
	h("GET /admin/v3/transactions/transactionMetadata/{tc}/{id}", s.adminTxnMetadata)
}

// runtimeConfig is the configuration the fake runs with, in the broker's
// names, with dynamic overrides on top.
func (s *Server) runtimeConfig() map[string]string {
	out := map[string]string{
		"clusterName":                         s.opts.clusterName,
		"allowAutoTopicCreation":              strconv.FormatBool(s.opts.autoCreate),
		"maxMessageSize":                      strconv.Itoa(s.opts.maxMessageSize),
		"maxNumPartitionsPerPartitionedTopic": strconv.Itoa(s.opts.maxPartitions),
		"transactionCoordinatorEnabled":       strconv.FormatBool(s.opts.txnCoordinators > 0),
	}
	s.dyn.mu.Lock()
	defer s.dyn.mu.Unlock()
	for k, v := range s.dyn.values {
		out[k] = v
	}
	return out
}

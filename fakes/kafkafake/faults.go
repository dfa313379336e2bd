package kafkafake

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FailNext makes the next n requests of api fail with err, the way a broker
// reports it: per topic-partition in the entities of the request (or at the
// top level for requests without entities). topic "" matches every topic;
// n < 0 fails until the returned handle's Remove is called. Retriable errors
// (e.g. kerr.NotLeaderForPartition) exercise a client's retries; others reach
// the application.
//
// Faults are forgotten by Restart.
func (s *Server) FailNext(api kmsg.Key, topic string, n int, err *kerr.Error) *kfake.FaultHandle {
	count := n
	switch {
	case n == 0:
		return nil
	case n == 1:
		count = 0 // kfake's "once"
	case n < 0:
		count = -1
	}
	var h *kfake.FaultHandle
	s.withCluster(func(c *kfake.Cluster) error {
		h = c.Fault(kfake.Fault{Keys: []kmsg.Key{api}, Topic: topic, Err: err, Count: count})
		return nil
	})
	return h
}

// SetLatency delays every request of api by d before the broker handles it,
// on every connection; d <= 0 removes the delay. It survives Restart.
func (s *Server) SetLatency(api kmsg.Key, d time.Duration) {
	_, _ = s.shim.delays.Delay(api.Name(), d)
}

// DropConnections closes every client connection, as a network blip or a
// broker bounce would; the brokers keep listening and clients reconnect. It
// returns how many connections it closed.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	lns := s.listeners
	s.mu.Unlock()
	n := 0
	for _, l := range lns {
		n += l.dropAll()
	}
	return n
}

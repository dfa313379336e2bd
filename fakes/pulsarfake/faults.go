package pulsarfake

import (
	"time"

	"github.com/brokerkit/brokerkit/fault"
)

// FailNext makes the next n commands of type cmd (a protocol command name,
// see the Cmd constants; "" matches every command) fail with err, answered
// the way the broker answers that command: ERROR for requests, SEND_ERROR
// for SEND, a Failed lookup, an error code in schema responses. n < 0 fails
// until ResetFaults. A failed CONNECT closes the connection.
func (s *Server) FailNext(cmd string, n int, err ServerError) {
	_, _ = s.faults.Fail(cmd, fault.Any, n, err)
}

// FailNextFor is FailNext limited to commands about one topic (PRODUCER,
// SUBSCRIBE, LOOKUP, PARTITIONED_METADATA and the schema commands carry
// a topic).
func (s *Server) FailNextFor(cmd, topic string, n int, err ServerError) {
	_, _ = s.faults.Fail(cmd, normalizeTopic(topic), n, err)
}

// Delay makes every command of type cmd wait d before it is handled ("" =
// every command); d <= 0 removes the delay. The delay holds up the
// connection's later commands too, as a slow broker would.
func (s *Server) Delay(cmd string, d time.Duration) { _, _ = s.faults.Delay(cmd, d) }

// ResetFaults removes every injected failure and delay.
func (s *Server) ResetFaults() { s.faults.Reset() }

// DropConnections closes every client connection. Clients reconnect on
// their own; unacknowledged messages are redelivered.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// UnloadTopic disconnects the producers and consumers of a topic the way a
// broker unloading it does (CLOSE_PRODUCER / CLOSE_CONSUMER); clients look
// the topic up again and reconnect. Readers' subscriptions are dropped.
func (s *Server) UnloadTopic(topic string) error {
	topics, err := s.resolve(topic)
	if err != nil {
		return err
	}
	for _, t := range topics {
		t.closeClients()
	}
	return nil
}

// Restart simulates a broker restart that keeps the data: every connection
// is dropped, non-durable subscriptions (readers) vanish, unacknowledged
// messages become deliverable again and open transactions are aborted.
// With a data directory the state goes through a save and a load, so what
// is not persisted is lost exactly as after a process restart.
func (s *Server) Restart() error {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.paused = false
		s.mu.Unlock()
	}()
	s.DropConnections()
	for _, t := range s.allTopics() {
		t.mu.Lock()
		for name, sub := range t.subs {
			if !sub.durable {
				delete(t.subs, name)
				continue
			}
			sub.rewind()
			sub.replay = nil
			sub.delayed = nil
		}
		t.mu.Unlock()
	}
	s.txns.abortAll()
	if s.opts.dataDir != "" {
		if err := s.save(); err != nil {
			return err
		}
		return s.reload()
	}
	return nil
}

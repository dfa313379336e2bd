package pulsarfake

import (
	"fmt"
	"time"

	"github.com/brokerkit/brokerkit/fault"
)

func (s *Server) initFaults() {
	ops := Ops()
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	s.faults.SetOps(names...)
}

// FailNext makes the next n commands op about topic fail with code,
// answered the way the broker answers that command (see Op). topic ""
// matches every command; otherwise only commands that carry that topic
// match (PRODUCER, SUBSCRIBE, LOOKUP, PARTITIONED_METADATA and the schema
// commands), short names allowed. op "" matches every command. n < 0 fails
// until the handle is removed or ResetFaults; n == 0 installs nothing. An
// op the fake does not know is an error.
func (s *Server) FailNext(op Op, topic string, n int, code ServerError) (*fault.Handle, error) {
	if topic != fault.Any {
		topic = normalizeTopic(topic)
	}
	return s.faults.Fail(string(op), topic, n, code)
}

// Delay makes every command op wait d before it is handled (op "" = every
// command), until the handle is removed or ResetFaults. The delay holds up
// the connection's later commands too, as a slow broker would; it ends
// early when the server closes.
func (s *Server) Delay(op Op, d time.Duration) (*fault.Handle, error) {
	return s.faults.Delay(string(op), d)
}

// ResetFaults removes every injected failure and delay.
func (s *Server) ResetFaults() { s.faults.Reset() }

// Faults lists the installed failures and delays.
func (s *Server) Faults() []fault.Rule { return s.faults.Rules() }

// DropConnections closes every client connection and reports how many it
// closed. Clients reconnect on their own; unacknowledged messages are
// redelivered.
func (s *Server) DropConnections() int {
	n := s.tracker.CloseAll()
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	return n
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

// Restart simulates a broker restart in memory: every connection is
// dropped, non-durable subscriptions (readers) vanish, unacknowledged
// messages become deliverable again and open transactions are aborted.
// Topics, messages, durable subscriptions, schemas, tenants, namespaces
// and installed faults are kept (handles stay valid; use ResetFaults to
// clear them), and so are the addresses. With a data directory the state
// goes through a save and a load, so what is not persisted is lost exactly
// as after a process restart.
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
	if s.p != nil {
		if err := s.p.compact(false); err != nil {
			return fmt.Errorf("pulsarfake: saving state: %w", err)
		}
		return s.reload()
	}
	return nil
}

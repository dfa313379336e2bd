package mqttfake

import (
	"fmt"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// RejectConnect makes the next n CONNECTs from clientID ("" = any client;
// n < 0 = until ResetFaults) fail with CONNACK reason code (a v5 code such as
// 0x88 server unavailable or 0x8A banned; v3 clients get the matching 3.1.1
// code, 0x03 when there is none).
func (s *Server) RejectConnect(clientID string, n int, code byte) {
	_, _ = s.faults.Fail(opConnect, clientID, n, code)
}

// DelayConnect makes every CONNECT wait d before it is answered (0 removes).
func (s *Server) DelayConnect(d time.Duration) { _, _ = s.faults.Delay(opConnect, d) }

// FailPublish makes the next n publishes to topic ("" = any; n < 0 = until
// ResetFaults) fail: v5 QoS 1/2 publishers get PUBACK/PUBREC with code (e.g.
// 0x97 quota exceeded); QoS 0 and v3 publishes are acknowledged as usual
// but not delivered, which is all those protocols can express.
func (s *Server) FailPublish(topic string, n int, code byte) {
	_, _ = s.faults.Fail(opPublish, topic, n, code)
}

// DropDeliveries makes the next n messages published on topics matching
// filter (n < 0: until ResetFaults) vanish: the publisher gets its normal
// acknowledgement, subscribers get nothing, and nothing is retained.
func (s *Server) DropDeliveries(filter string, n int) { s.delivery.add(filter, n, 0) }

// DelayDeliveries holds every message published on topics matching filter
// for d before routing it (0 removes the rule). The delay is on the
// publishing connection, so its acknowledgement and later messages wait too
// and per-publisher order is kept.
func (s *Server) DelayDeliveries(filter string, d time.Duration) { s.delivery.add(filter, 0, d) }

// ResetFaults removes every injected fault.
func (s *Server) ResetFaults() {
	s.faults.Reset()
	s.delivery.reset()
}

// DisconnectAll drops every connected client (v5 clients first get
// DISCONNECT 0x98, administrative action) and reports how many there were.
// As after a network failure, persistent sessions survive and wills are
// published.
func (s *Server) DisconnectAll() int {
	g, err := s.current()
	if err != nil {
		return 0
	}
	n := 0
	for _, cl := range g.m.Clients.GetAll() {
		if !cl.Net.Inline && !cl.Closed() {
			disconnect(cl, packets.ErrAdministrativeAction)
			n++
		}
	}
	return n
}

// DisconnectClient drops one connected client, like DisconnectAll.
func (s *Server) DisconnectClient(clientID string) error {
	g, err := s.current()
	if err != nil {
		return err
	}
	cl, ok := g.m.Clients.Get(clientID)
	if !ok || cl.Net.Inline || cl.Closed() {
		return fmt.Errorf("mqttfake: client %q is not connected", clientID)
	}
	disconnect(cl, packets.ErrAdministrativeAction)
	return nil
}

// deliveryRules are the topic-filter faults; fault.Injector matches targets
// exactly, so filters are kept here.
type deliveryRules struct {
	mu    sync.Mutex
	rules []*deliveryRule
}

type deliveryRule struct {
	filter string
	drops  int // > 0: drop this many more; < 0: drop forever; 0: delay rule
	delay  time.Duration
}

func (r *deliveryRules) add(filter string, n int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n == 0 { // delay rule: replace any previous delay for the filter
		kept := r.rules[:0]
		for _, x := range r.rules {
			if x.drops != 0 || x.filter != filter {
				kept = append(kept, x)
			}
		}
		r.rules = kept
		if d > 0 {
			r.rules = append(r.rules, &deliveryRule{filter: filter, delay: d})
		}
		return
	}
	r.rules = append(r.rules, &deliveryRule{filter: filter, drops: n})
}

func (r *deliveryRules) reset() {
	r.mu.Lock()
	r.rules = nil
	r.mu.Unlock()
}

// check returns the delay for topic and whether to drop the message,
// consuming one drop from the first matching drop rule.
func (r *deliveryRules) check(topic string) (delay time.Duration, drop bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.rules) == 0 {
		return 0, false
	}
	for i := 0; i < len(r.rules); i++ {
		x := r.rules[i]
		if !matchFilter(x.filter, topic) {
			continue
		}
		if x.drops == 0 {
			delay += x.delay
			continue
		}
		if drop {
			continue
		}
		drop = true
		if x.drops > 0 {
			x.drops--
			if x.drops == 0 {
				r.rules = append(r.rules[:i], r.rules[i+1:]...)
				i--
			}
		}
	}
	return delay, drop
}

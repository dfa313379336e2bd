package mqttfake

import (
	"fmt"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/brokerkit/brokerkit/fault"
)

// Op is an MQTT operation a fault can be injected into.
type Op string

// The operations FailNext and Delay accept.
const (
	// OpConnect: the target is the client ID; a failure is the CONNACK
	// reason code (a v5 code such as 0x88 server unavailable or 0x8A
	// banned; v3 clients get the matching 3.1.1 code, 0x03 when there is
	// none).
	OpConnect Op = "CONNECT"
	// OpPublish: the target is the topic name; v5 QoS 1/2 publishers get
	// PUBACK/PUBREC with the code (e.g. 0x97 quota exceeded); QoS 0 and v3
	// publishes are acknowledged as usual but not delivered or retained,
	// which is all those protocols can express.
	OpPublish Op = "PUBLISH"
	// OpSubscribe: the target is the topic filter; the SUBACK carries the
	// code for that filter (v3 clients get 0x80) and nothing is subscribed.
	OpSubscribe Op = "SUBSCRIBE"
)

func (s *Server) initFaults() {
	s.faults.SetOps(string(OpConnect), string(OpPublish), string(OpSubscribe))
}

// FailNext makes the next n requests of op on target fail with the reason
// code code (see the Op constants for what target and code mean). Target
// "" (fault.Any) matches every target; n < 0 fails until the handle is
// removed or ResetFaults. An unknown op is an error. Faults survive Restart.
func (s *Server) FailNext(op Op, target string, n int, code byte) (*fault.Handle, error) {
	h, err := s.faults.Fail(string(op), target, n, code)
	if err != nil {
		return nil, fmt.Errorf("mqttfake: %w", err)
	}
	return h, nil
}

// Delay makes every request of op wait d before it is handled, until the
// handle is removed or ResetFaults; a later Delay of the same op replaces
// it. The wait is on the client's connection, so later packets of that
// client wait too. Delays end early when the server closes or restarts.
func (s *Server) Delay(op Op, d time.Duration) (*fault.Handle, error) {
	h, err := s.faults.Delay(string(op), d)
	if err != nil {
		return nil, fmt.Errorf("mqttfake: %w", err)
	}
	return h, nil
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

// ResetFaults removes every injected fault (FailNext, Delay and the
// delivery rules).
func (s *Server) ResetFaults() {
	s.faults.Reset()
	s.delivery.reset()
}

// Faults lists the FailNext and Delay rules installed, in the order they
// apply (the filter-based delivery rules are not included).
func (s *Server) Faults() []fault.Rule { return s.faults.Rules() }

// DropConnections cuts every client connection, as a network failure would
// (v5 clients first get DISCONNECT 0x98, administrative action), and
// reports how many connections were open. Persistent sessions survive and
// wills are published. The broker keeps serving.
func (s *Server) DropConnections() int {
	g, err := s.current()
	if err != nil {
		return 0
	}
	// Counted first: a client told to go may close its side before CloseAll.
	n := s.conns.Count()
	for _, cl := range g.m.Clients.GetAll() {
		if !cl.Net.Inline && !cl.Closed() && cl.Properties.ProtocolVersion == 5 {
			sendDisconnect(cl, packets.ErrAdministrativeAction)
		}
	}
	s.conns.CloseAll()
	return n
}

// DisconnectClient drops one connected client, like DropConnections.
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

// sleep waits d for a Delay or DelayDeliveries rule, ending early when g
// stops (Close or Restart); it reports whether the whole delay passed.
func (g *generation) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-g.stopping:
		return false
	}
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

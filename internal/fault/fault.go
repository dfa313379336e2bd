// Package fault is the fault-injection engine shared by every brokerkit fake:
// "fail the next N requests of an operation" and "delay an operation".
//
// A fake names its operations (Kafka API names, Pulsar command types, Nacos
// request types, ...) and chooses the error type E it answers with. The hot
// path, Check with no rules installed, is one atomic load.
//
//	var inj fault.Injector[int16]
//	inj.Fail("Produce", "orders", 2, 6) // next 2 Produce requests to "orders" get error 6
//	if code, ok, delay := inj.Check("Produce", "orders"); ok { ... }
package fault

import (
	"sync"
	"sync/atomic"
	"time"
)

// Any matches every operation or every target.
const Any = ""

// Injector holds the active fault rules of one fake. The zero value is ready
// to use and injects nothing. It is safe for concurrent use.
type Injector[E any] struct {
	active atomic.Int32 // number of rules; lets Check skip the lock
	mu     sync.Mutex
	fails  []*failRule[E]
	delays map[string]time.Duration
}

type failRule[E any] struct {
	op, target string
	left       int // < 0: forever
	code       E
}

// Fail makes the next n requests of op on target fail with code. An empty op
// or target matches all; n < 0 fails until Reset. Rules are consumed in the
// order they were added.
func (in *Injector[E]) Fail(op, target string, n int, code E) {
	if n == 0 {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fails = append(in.fails, &failRule[E]{op: op, target: target, left: n, code: code})
	in.active.Add(1)
}

// Delay makes every request of op wait d before it is handled; d <= 0 removes
// the delay. An empty op delays every operation.
func (in *Injector[E]) Delay(op string, d time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.delays == nil {
		in.delays = map[string]time.Duration{}
	}
	_, had := in.delays[op]
	switch {
	case d > 0 && !had:
		in.active.Add(1)
		in.delays[op] = d
	case d > 0:
		in.delays[op] = d
	case had:
		in.active.Add(-1)
		delete(in.delays, op)
	}
}

// Reset removes every rule.
func (in *Injector[E]) Reset() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fails = nil
	in.delays = nil
	in.active.Store(0)
}

// Check consumes one matching failure, if any, and reports the delay to apply
// to a request of op on target. targets lets one request name several (a
// Produce to two topics); a rule with a target matches if any of them does.
func (in *Injector[E]) Check(op string, targets ...string) (code E, fail bool, delay time.Duration) {
	if in.active.Load() == 0 {
		return code, false, 0
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if d, ok := in.delays[op]; ok {
		delay = d
	} else if d, ok := in.delays[Any]; ok {
		delay = d
	}
	for i, r := range in.fails {
		if r.op != Any && r.op != op || !matchTarget(r.target, targets) {
			continue
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				in.fails = append(in.fails[:i], in.fails[i+1:]...)
				in.active.Add(-1)
			}
		}
		return r.code, true, delay
	}
	return code, false, delay
}

// Pending reports how many failure rules are still armed.
func (in *Injector[E]) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.fails)
}

func matchTarget(want string, have []string) bool {
	if want == Any {
		return true
	}
	for _, h := range have {
		if h == want {
			return true
		}
	}
	return false
}

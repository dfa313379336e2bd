// Package fault is the fault-injection model every brokerkit fake shares:
// fail the next N requests of an operation, delay an operation, and a Handle
// to watch and remove what was installed.
//
// Each fake exports its operations as constants (Kafka API keys, Pulsar
// command types, MQTT packet types, Nacos request types) and the error type
// its protocol answers with; naming an operation the fake does not know is an
// error at the call, never a rule that silently never fires.
//
// Users call a fake's FailNext and Delay; Injector is the engine behind them,
// exported for fakes in other packages. The hot path, Check with no rules
// installed, is one atomic load.
package fault

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Any, as an operation or a target, matches every one.
const Any = ""

// Handle is one installed rule. Hits counts the requests it has acted on;
// Wait blocks until it has acted on n of them; Remove uninstalls it. A rule
// that has used up its N failures stays readable.
type Handle struct {
	ext    external
	hits   atomic.Int64
	mu     sync.Mutex
	hit    chan struct{} // closed and replaced on every hit
	remove func()
}

type external interface {
	Hits() int
	Wait(ctx context.Context, n int) error
	Remove()
}

// Adapt wraps a rule handle of an engine brokerkit embeds (kfake's
// FaultHandle has exactly this shape) so every fake returns a *Handle.
func Adapt(h interface {
	Hits() int
	Wait(ctx context.Context, n int) error
	Remove()
}) *Handle {
	return &Handle{ext: h}
}

func newHandle(remove func()) *Handle {
	return &Handle{hit: make(chan struct{}), remove: remove}
}

// Hits reports how many requests the rule has acted on.
func (h *Handle) Hits() int {
	if h.ext != nil {
		return h.ext.Hits()
	}
	return int(h.hits.Load())
}

// Wait blocks until the rule has acted on at least n requests, or ctx ends.
func (h *Handle) Wait(ctx context.Context, n int) error {
	if h.ext != nil {
		return h.ext.Wait(ctx, n)
	}
	for {
		h.mu.Lock()
		ch := h.hit
		h.mu.Unlock()
		if h.Hits() >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fault: %d of %d hits: %w", h.Hits(), n, ctx.Err())
		}
	}
}

// Remove uninstalls the rule; later requests are not affected by it.
// Removing twice, or a used-up rule, does nothing.
func (h *Handle) Remove() {
	if h.ext != nil {
		h.ext.Remove()
		return
	}
	if h.remove != nil {
		h.remove()
	}
}

func (h *Handle) record() {
	h.hits.Add(1)
	h.mu.Lock()
	close(h.hit)
	h.hit = make(chan struct{})
	h.mu.Unlock()
}

// Rule describes an installed rule, for inspection (the console, logs).
type Rule struct {
	Kind   string // "fail" or "delay"
	Op     string
	Target string
	Left   int // failures still to inject; < 0: until removed
	Hits   int
	Code   string        // the error, printed with %v
	Delay  time.Duration // for "delay"
}

// Injector holds the active rules of one fake. The zero value accepts every
// operation name; SetOps restricts it to the fake's own. It is safe for
// concurrent use.
type Injector[E any] struct {
	active atomic.Int32 // number of rules; lets Check skip the lock
	mu     sync.Mutex
	ops    []string
	fails  []*failRule[E]
	delays []*delayRule
	closed chan struct{}
	once   sync.Once
}

type failRule[E any] struct {
	op, target string
	left       int // < 0: forever
	code       E
	h          *Handle
}

type delayRule struct {
	op string
	d  time.Duration
	h  *Handle
}

// SetOps declares the operations the fake knows; Fail and Delay reject any
// other name.
func (in *Injector[E]) SetOps(ops ...string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.ops = slices.Clone(ops)
}

// Ops lists the operations SetOps declared.
func (in *Injector[E]) Ops() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.ops)
}

func (in *Injector[E]) check(op string) error {
	if op == Any || in.ops == nil || slices.Contains(in.ops, op) {
		return nil
	}
	return fmt.Errorf("fault: unknown operation %q (known: %v)", op, in.ops)
}

// Fail makes the next n requests of op on target fail with code. Any as op
// or target matches all; n < 0 fails until the handle is removed or Reset;
// n == 0 installs nothing. Rules are consumed in the order they were added.
func (in *Injector[E]) Fail(op, target string, n int, code E) (*Handle, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.check(op); err != nil {
		return nil, err
	}
	r := &failRule[E]{op: op, target: target, left: n, code: code}
	r.h = newHandle(func() { in.removeFail(r) })
	if n == 0 {
		return r.h, nil
	}
	in.fails = append(in.fails, r)
	in.active.Add(1)
	return r.h, nil
}

// Delay makes every request of op wait d before it is handled, until the
// handle is removed or Reset. Any delays every operation; a later delay of
// the same op replaces an earlier one.
func (in *Injector[E]) Delay(op string, d time.Duration) (*Handle, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.check(op); err != nil {
		return nil, err
	}
	if d < 0 {
		return nil, fmt.Errorf("fault: negative delay %v", d)
	}
	r := &delayRule{op: op, d: d}
	r.h = newHandle(func() { in.removeDelay(r) })
	in.delays = slices.DeleteFunc(in.delays, func(o *delayRule) bool {
		if o.op == op {
			in.active.Add(-1)
			return true
		}
		return false
	})
	in.delays = append(in.delays, r)
	in.active.Add(1)
	return r.h, nil
}

func (in *Injector[E]) removeFail(r *failRule[E]) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if i := slices.Index(in.fails, r); i >= 0 {
		in.fails = slices.Delete(in.fails, i, i+1)
		in.active.Add(-1)
	}
}

func (in *Injector[E]) removeDelay(r *delayRule) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if i := slices.Index(in.delays, r); i >= 0 {
		in.delays = slices.Delete(in.delays, i, i+1)
		in.active.Add(-1)
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
// to a request of op on targets (a Produce to two topics names both); a rule
// with a target matches if any of them does.
func (in *Injector[E]) Check(op string, targets ...string) (code E, fail bool, delay time.Duration) {
	if in.active.Load() == 0 {
		return code, false, 0
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	var dr *delayRule
	for _, r := range in.delays {
		if r.op == op || r.op == Any && dr == nil {
			dr = r
		}
	}
	if dr != nil {
		delay = dr.d
		dr.h.record()
	}
	for i, r := range in.fails {
		if r.op != Any && r.op != op || !matchTarget(r.target, targets) {
			continue
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				in.fails = slices.Delete(in.fails, i, i+1)
				in.active.Add(-1)
			}
		}
		r.h.record()
		return r.code, true, delay
	}
	return code, false, delay
}

// Sleep waits d, or less if the injector is closed; it reports whether the
// whole delay passed. Fakes sleep through it so delays end with the server.
func (in *Injector[E]) Sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-in.done():
		return false
	}
}

func (in *Injector[E]) done() chan struct{} {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed == nil {
		in.closed = make(chan struct{})
	}
	return in.closed
}

// Close ends every delay in progress and makes later ones return at once.
// The fake calls it from its own Close.
func (in *Injector[E]) Close() {
	ch := in.done()
	in.once.Do(func() { close(ch) })
}

// Active reports whether any rule is installed: one atomic load, so a fake
// can skip working out a request's targets when nothing could match.
func (in *Injector[E]) Active() bool { return in.active.Load() != 0 }

// Pending reports how many failure rules are still armed.
func (in *Injector[E]) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.fails)
}

// Rules lists the installed rules, failures first, in the order they apply.
func (in *Injector[E]) Rules() []Rule {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Rule, 0, len(in.fails)+len(in.delays))
	for _, r := range in.fails {
		out = append(out, Rule{Kind: "fail", Op: r.op, Target: r.target, Left: r.left, Hits: r.h.Hits(), Code: fmt.Sprint(r.code)})
	}
	for _, r := range in.delays {
		out = append(out, Rule{Kind: "delay", Op: r.op, Left: -1, Hits: r.h.Hits(), Delay: r.d})
	}
	return out
}

func matchTarget(want string, have []string) bool {
	return want == Any || slices.Contains(have, want)
}

package kafkafake

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fault"
)

// servedKeys are the API keys kfake answers (its regKey calls); FailNext and
// Delay accept only these. TestServedKeysMatchApiVersions keeps the list
// honest against the fake's own ApiVersions answer.
func servedKeys() []kmsg.Key {
	nums := []int16{
		0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
		30, 31, 32, 33, 34, 35, 36, 37, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 57, 60, 61, 65, 66, 68, 69,
		71, 72, 74, 75, 76, 77, 78, 79, 90, 91, 92,
	}
	out := make([]kmsg.Key, len(nums))
	for i, n := range nums {
		out[i] = kmsg.Key(n)
	}
	return out
}

// Ops lists the API keys FailNext and Delay accept: every key the fake serves.
func (s *Server) Ops() []kmsg.Key { return slices.Clone(s.ops) }

func (s *Server) checkOp(op kmsg.Key) error {
	if slices.Contains(s.ops, op) {
		return nil
	}
	return fmt.Errorf("kafkafake: unknown operation %s (API key %d); the fake serves %v", op.Name(), int16(op), s.ops)
}

// FailNext makes the next n requests of op fail with code, the way a broker
// reports it: per topic-partition in the entities of the request (or at the
// top level for requests without entities). target is a topic; fault.Any
// ("") matches every topic. n < 0 fails until the handle's Remove or
// ResetFaults; n == 0 installs nothing. code nil means
// UNKNOWN_SERVER_ERROR. Retriable errors (e.g. kerr.NotLeaderForPartition)
// exercise a client's retries; others reach the application.
//
// An op the fake does not serve is an error. Faults survive Restart; the
// handle counts hits across it.
func (s *Server) FailNext(op kmsg.Key, target string, n int, code *kerr.Error) (*fault.Handle, error) {
	if err := s.checkOp(op); err != nil {
		return nil, err
	}
	if code == nil {
		code = kerr.UnknownServerError
	}
	f := &kfault{op: op, target: target, n: n, code: code, swapped: make(chan struct{})}
	if n == 0 {
		return fault.Adapt(f), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	f.srv = s
	f.install(s.cluster)
	s.faults = append(s.faults, f)
	return fault.Adapt(f), nil
}

// Delay makes every request of op wait d before the broker handles it, on
// every connection, until the handle's Remove or ResetFaults; a later delay
// of the same op replaces an earlier one. Delays end when the server closes
// and survive Restart. An op the fake does not serve is an error.
func (s *Server) Delay(op kmsg.Key, d time.Duration) (*fault.Handle, error) {
	if err := s.checkOp(op); err != nil {
		return nil, err
	}
	return s.shim.delays.Delay(op.Name(), d)
}

// DropConnections closes every client connection at the TCP level, as a
// network blip would; the brokers keep listening and clients reconnect. It
// returns how many connections it closed.
func (s *Server) DropConnections() int { return s.conns.CloseAll() }

// ResetFaults removes every failure and delay installed by FailNext and
// Delay. Their handles keep their hit counts.
func (s *Server) ResetFaults() {
	s.mu.Lock()
	fs := s.faults
	s.faults = nil
	s.mu.Unlock()
	for _, f := range fs {
		f.Remove()
	}
	s.shim.delays.Reset()
}

// Faults lists the installed rules, failures first, then delays. Op is the
// API key's name (e.g. "Produce"), Target the topic.
func (s *Server) Faults() []fault.Rule {
	s.mu.Lock()
	fs := slices.Clone(s.faults)
	s.mu.Unlock()
	var out []fault.Rule
	for _, f := range fs {
		hits := f.Hits()
		left := -1
		if f.n > 0 {
			if left = f.n - hits; left <= 0 {
				continue
			}
		}
		out = append(out, fault.Rule{Kind: "fail", Op: f.op.Name(), Target: f.target, Left: left, Hits: hits, Code: fmt.Sprint(f.code)})
	}
	return append(out, s.shim.delays.Rules()...)
}

// kfault is one FailNext rule. kfake keeps faults in its cluster, which
// Restart replaces, so the rule re-installs itself on the new cluster with
// what is left of its count, and carries the hits of the old one.
type kfault struct {
	srv    *Server
	op     kmsg.Key
	target string
	n      int
	code   *kerr.Error

	mu      sync.Mutex
	cur     *kfake.FaultHandle // nil while not installed
	carried int                // hits on clusters before cur
	removed bool
	done    bool          // the server is closed
	swapped chan struct{} // closed and replaced when cur changes
}

// install puts what is left of the rule on c; the server's lock is held.
func (f *kfault) install(c *kfake.Cluster) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return
	}
	count := -1 // kfake: until removed
	if f.n > 0 {
		left := f.n - f.carried
		if left <= 0 {
			return
		}
		count = left
		if left == 1 {
			count = 0 // kfake: once
		}
	}
	f.cur = c.Fault(kfake.Fault{Keys: []kmsg.Key{f.op}, Topic: f.target, Err: f.code, Count: count})
	f.swap()
}

// uninstall takes the rule off the stopping cluster, keeping its hits.
func (f *kfault) uninstall() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		f.carried += f.cur.Hits()
		f.cur.Remove()
		f.cur = nil
		f.swap()
	}
}

func (f *kfault) closed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = true
	f.swap()
}

func (f *kfault) swap() {
	close(f.swapped)
	f.swapped = make(chan struct{})
}

func (f *kfault) Hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.carried
	if f.cur != nil {
		n += f.cur.Hits()
	}
	return n
}

func (f *kfault) Wait(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		cur, carried, swapped, done := f.cur, f.carried, f.swapped, f.done
		f.mu.Unlock()
		if cur == nil {
			if carried >= n {
				return nil
			}
			if done {
				return fmt.Errorf("kafkafake: %d of %d hits: %w", carried, n, errClosed)
			}
			select {
			case <-swapped:
				continue
			case <-ctx.Done():
				return fmt.Errorf("kafkafake: %d of %d hits: %w", carried, n, ctx.Err())
			}
		}
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-swapped:
				cancel()
			case <-wctx.Done():
			}
		}()
		err := cur.Wait(wctx, n-carried)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("kafkafake: %d of %d hits: %w", f.Hits(), n, ctx.Err())
		}
		// Restart or Close swapped the cluster: wait on the new one.
	}
}

func (f *kfault) Remove() {
	f.mu.Lock()
	f.removed = true
	if f.cur != nil {
		f.carried += f.cur.Hits()
		f.cur.Remove()
		f.cur = nil
		f.swap()
	}
	srv := f.srv
	f.mu.Unlock()
	if srv != nil {
		srv.mu.Lock()
		srv.faults = slices.DeleteFunc(srv.faults, func(o *kfault) bool { return o == f })
		srv.mu.Unlock()
	}
}

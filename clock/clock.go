// Package clock is the notion of time every brokerkit fake shares, so a test
// can move time forward instead of sleeping: delayed delivery, nack delays,
// session and beat timeouts, message expiry.
//
//	clk := clock.NewManual(time.Now())
//	srv, _ := pulsarfake.New(pulsarfake.WithClock(clk))
//	clk.Advance(time.Minute) // delayed messages due within a minute are delivered
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is a source of time and of timers. Fakes read all time through one.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call; it reports whether it did.
	Stop() bool
}

type system struct{}

// System is the wall clock, every fake's default.
func System() Clock { return system{} }

func (system) Now() time.Time { return time.Now() }

func (system) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Manual is a Clock that moves only when told to. Timers fire when Advance
// or Set passes their time, in time order. It is safe for concurrent use.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

// NewManual returns a Manual clock reading start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

type manualTimer struct {
	c       *Manual
	at      time.Time
	f       func()
	stopped bool
}

// Now returns the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for when the clock has advanced by d; d <= 0 fires
// at once.
func (c *Manual) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	t := &manualTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	if d <= 0 {
		c.fire()
	}
	return t
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock forward by d and fires the timers that are due.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	c.fire()
}

// Set moves the clock to t (never backwards) and fires the timers that are due.
func (c *Manual) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	c.fire()
}

// Pending reports how many timers wait for the clock to reach them; a test
// can wait for a fake to have scheduled something before advancing.
func (c *Manual) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

func (c *Manual) fire() {
	c.mu.Lock()
	var due []*manualTimer
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		go t.f()
	}
}

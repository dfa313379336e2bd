package clock_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/clock"
)

func TestManualFiresDueTimersOnly(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := clock.NewManual(start)
	fired := make(chan string, 3)
	c.AfterFunc(time.Second, func() { fired <- "1s" })
	c.AfterFunc(time.Hour, func() { fired <- "1h" })
	stopped := c.AfterFunc(2*time.Second, func() { fired <- "stopped" })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	if c.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", c.Pending())
	}
	c.Advance(5 * time.Second)
	if got := <-fired; got != "1s" {
		t.Fatalf("fired %q, want 1s", got)
	}
	select {
	case got := <-fired:
		t.Fatalf("%q fired before its time", got)
	default:
	}
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d, want 1", c.Pending())
	}
	c.Set(start) // never backwards
	if !c.Now().Equal(start.Add(5 * time.Second)) {
		t.Fatalf("Set moved the clock backwards to %v", c.Now())
	}
	c.Set(start.Add(2 * time.Hour))
	if got := <-fired; got != "1h" {
		t.Fatalf("fired %q, want 1h", got)
	}
}

func TestSystemTimerFires(t *testing.T) {
	done := make(chan struct{})
	clock.System().AfterFunc(time.Millisecond, func() { close(done) })
	<-done
}

func ExampleManual() {
	c := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	done := make(chan struct{})
	c.AfterFunc(time.Minute, func() { close(done) })
	c.Advance(time.Minute)
	<-done
	fmt.Println(c.Now().Format(time.TimeOnly))
	// Output: 00:01:00
}

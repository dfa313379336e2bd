package fault_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/fault"
)

func TestFailNextNThenPass(t *testing.T) {
	var in fault.Injector[int]
	h, err := in.Fail("Produce", "orders", 2, 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, fail, _ := in.Check("Produce", "other"); fail {
		t.Fatal("rule for orders matched other")
	}
	if _, fail, _ := in.Check("Fetch", "orders"); fail {
		t.Fatal("rule for Produce matched Fetch")
	}
	for i := 0; i < 2; i++ {
		code, fail, _ := in.Check("Produce", "x", "orders")
		if !fail || code != 6 {
			t.Fatalf("call %d: fail=%v code=%d, want 6", i, fail, code)
		}
	}
	if _, fail, _ := in.Check("Produce", "orders"); fail {
		t.Fatal("third call failed; rule should be used up")
	}
	if in.Pending() != 0 || h.Hits() != 2 {
		t.Fatalf("pending=%d hits=%d, want 0 and 2", in.Pending(), h.Hits())
	}
}

func TestUnknownOperationIsAnError(t *testing.T) {
	var in fault.Injector[int]
	in.SetOps("Produce", "Fetch")
	if _, err := in.Fail("Prodcue", fault.Any, 1, 1); err == nil {
		t.Fatal("Fail accepted an operation the fake does not know")
	}
	if _, err := in.Delay("Nope", time.Second); err == nil {
		t.Fatal("Delay accepted an operation the fake does not know")
	}
	if _, err := in.Fail(fault.Any, fault.Any, 1, 1); err != nil {
		t.Fatalf("Any must always be accepted: %v", err)
	}
}

func TestForeverRemoveAndReset(t *testing.T) {
	var in fault.Injector[string]
	h, _ := in.Fail(fault.Any, fault.Any, -1, "boom")
	for i := 0; i < 100; i++ {
		if code, fail, _ := in.Check("anything"); !fail || code != "boom" {
			t.Fatal("forever rule stopped matching")
		}
	}
	h.Remove()
	h.Remove()
	if _, fail, _ := in.Check("anything"); fail {
		t.Fatal("Remove left the rule")
	}
	in.Fail("x", fault.Any, -1, "boom")
	in.Reset()
	if _, fail, _ := in.Check("x"); fail || len(in.Rules()) != 0 {
		t.Fatal("Reset left a rule")
	}
}

func TestDelayHandle(t *testing.T) {
	var in fault.Injector[int]
	h, _ := in.Delay("Fetch", 50*time.Millisecond)
	if _, _, d := in.Check("Fetch"); d != 50*time.Millisecond {
		t.Fatalf("delay = %v", d)
	}
	if _, _, d := in.Check("Produce"); d != 0 {
		t.Fatalf("Produce delayed by %v", d)
	}
	all, _ := in.Delay(fault.Any, time.Second)
	if _, _, d := in.Check("Produce"); d != time.Second {
		t.Fatalf("wildcard delay = %v", d)
	}
	if _, _, d := in.Check("Fetch"); d != 50*time.Millisecond {
		t.Fatalf("the op's own delay must win over Any: %v", d)
	}
	if h.Hits() != 2 || all.Hits() != 1 {
		t.Fatalf("hits = %d, %d; want 2, 1", h.Hits(), all.Hits())
	}
	h.Remove()
	all.Remove()
	if _, _, d := in.Check("Fetch"); d != 0 {
		t.Fatalf("removed delays still apply: %v", d)
	}
}

func TestWaitAndSleepEndWithClose(t *testing.T) {
	var in fault.Injector[int]
	h, _ := in.Fail("op", fault.Any, 3, 1)
	go func() {
		for i := 0; i < 3; i++ {
			in.Check("op")
		}
	}()
	if err := h.Wait(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := h.Wait(ctx, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait for a hit that never comes: %v", err)
	}
	done := make(chan bool)
	go func() { done <- in.Sleep(time.Hour) }()
	in.Close()
	if <-done {
		t.Fatal("Sleep reported the whole hour passed")
	}
	if in.Sleep(time.Hour) {
		t.Fatal("Sleep after Close must return at once")
	}
}

func TestConcurrentConsumesExactlyN(t *testing.T) {
	var in fault.Injector[int]
	h, _ := in.Fail("op", fault.Any, 100, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, fail, _ := in.Check("op"); fail {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failed != 100 || h.Hits() != 100 {
		t.Fatalf("failed %d requests (hits %d), want exactly 100", failed, h.Hits())
	}
}

func BenchmarkCheckNoRules(b *testing.B) {
	var in fault.Injector[int]
	for b.Loop() {
		in.Check("Produce", "orders")
	}
}

func ExampleInjector() {
	var in fault.Injector[int]
	in.SetOps("Produce", "Fetch")
	if _, err := in.Fail("Prodce", fault.Any, 1, 6); err != nil {
		fmt.Println(err)
	}
	h, _ := in.Fail("Produce", "orders", 2, 6)
	for range 3 {
		code, fail, _ := in.Check("Produce", "orders")
		fmt.Println(fail, code)
	}
	fmt.Println("hits:", h.Hits())
	// Output:
	// fault: unknown operation "Prodce" (known: [Produce Fetch])
	// true 6
	// true 6
	// false 0
	// hits: 2
}

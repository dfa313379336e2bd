package fault

import (
	"sync"
	"testing"
	"time"
)

func TestFailNextNThenPass(t *testing.T) {
	var in Injector[int]
	in.Fail("Produce", "orders", 2, 6)
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
	if in.Pending() != 0 || in.active.Load() != 0 {
		t.Fatalf("rules left: %d active=%d", in.Pending(), in.active.Load())
	}
}

func TestForeverAndReset(t *testing.T) {
	var in Injector[string]
	in.Fail(Any, Any, -1, "boom")
	for i := 0; i < 100; i++ {
		if code, fail, _ := in.Check("anything"); !fail || code != "boom" {
			t.Fatal("forever rule stopped matching")
		}
	}
	in.Reset()
	if _, fail, _ := in.Check("anything"); fail {
		t.Fatal("Reset left a rule")
	}
}

func TestDelay(t *testing.T) {
	var in Injector[int]
	in.Delay("Fetch", 50*time.Millisecond)
	if _, _, d := in.Check("Fetch"); d != 50*time.Millisecond {
		t.Fatalf("delay = %v", d)
	}
	if _, _, d := in.Check("Produce"); d != 0 {
		t.Fatalf("Produce delayed by %v", d)
	}
	in.Delay(Any, time.Second)
	if _, _, d := in.Check("Produce"); d != time.Second {
		t.Fatalf("wildcard delay = %v", d)
	}
	in.Delay("Fetch", 0)
	in.Delay(Any, 0)
	if in.active.Load() != 0 {
		t.Fatalf("active = %d after removing delays", in.active.Load())
	}
}

func TestConcurrentConsumesExactlyN(t *testing.T) {
	var in Injector[int]
	in.Fail("op", Any, 100, 1)
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
	if failed != 100 {
		t.Fatalf("failed %d requests, want exactly 100", failed)
	}
}

func BenchmarkCheckNoRules(b *testing.B) {
	var in Injector[int]
	for b.Loop() {
		in.Check("Produce", "orders")
	}
}

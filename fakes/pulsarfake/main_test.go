package pulsarfake_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain checks that no goroutine of the server outlives the tests.
// goleak's whole-process check cannot be used here: pulsar-client-go leaves
// goroutines of its own running after Close (producer timeout watchers,
// reconnect loops, ...), so only stacks running the fake's code count.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := fakeGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "pulsarfake goroutines still running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func fakeGoroutines(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<22)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if isFakeGoroutine(g) {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// isFakeGoroutine reports whether a goroutine runs server code, as opposed
// to the tests themselves or the client.
func isFakeGoroutine(stack string) bool {
	if strings.Contains(stack, "fakeGoroutines") {
		return false
	}
	for _, line := range strings.Split(stack, "\n") {
		if strings.HasPrefix(line, "github.com/brokerkit/brokerkit/fakes/pulsarfake.") ||
			strings.HasPrefix(line, "created by github.com/brokerkit/brokerkit/fakes/pulsarfake.") {
			return true
		}
	}
	return false
}

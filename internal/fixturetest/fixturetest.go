// Package fixturetest holds checks every per-backend entry point
// (kafkatest, mqtttest, pulsartest, nacostest) must pass, written once.
package fixturetest

import (
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/internal/tbrec"
)

// ContainerCannotStart checks what newEnv does in container mode when the
// container cannot start (an image that cannot be pulled): it skips the
// test with the reason, and under BROKERKIT_STRICT=1 fails it instead.
func ContainerCannotStart(t *testing.T, b fixtures.Backend, newEnv func(testing.TB)) {
	t.Helper()
	if testing.Short() {
		t.Skip("container mode is skipped with -short; this checks that path")
	}
	t.Setenv(b.ModeVar(), "container")
	t.Setenv(b.ImageVar(), "brokerkit.invalid/no-such-"+string(b)+":0")
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	for _, strict := range []bool{false, true} {
		t.Setenv("BROKERKIT_STRICT", map[bool]string{false: "", true: "1"}[strict])
		rec := tbrec.New(t)
		if rec.Run(func() { newEnv(rec) }) {
			rec.Fail()
			rec.Msg = "New returned without a broker"
		}
		rec.Done()
		switch {
		case !strict && !rec.Skipped():
			t.Fatalf("a container that cannot start must skip the test (failed=%v: %s)", rec.Failed(), rec.Msg)
		case strict && !rec.Failed():
			t.Fatalf("under BROKERKIT_STRICT a container that cannot start must fail the test (skipped=%v: %s)", rec.Skipped(), rec.Msg)
		case strict && !strings.Contains(rec.Msg, "BROKERKIT_STRICT"):
			t.Fatalf("the failure should say STRICT caused it: %s", rec.Msg)
		}
	}
}

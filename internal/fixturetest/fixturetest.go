// Package fixturetest holds checks every per-backend entry point
// (kafkatest, mqtttest, pulsartest, nacostest) must pass, written once.
package fixturetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/fixtures"
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
		rec := &recorder{TB: t}
		rec.run(func() { newEnv(rec) })
		switch {
		case !strict && !rec.skipped:
			t.Fatalf("a container that cannot start must skip the test (failed=%v: %s)", rec.failed, rec.msg)
		case strict && !rec.failed:
			t.Fatalf("under BROKERKIT_STRICT a container that cannot start must fail the test (skipped=%v: %s)", rec.skipped, rec.msg)
		case strict && !strings.Contains(rec.msg, "BROKERKIT_STRICT"):
			t.Fatalf("the failure should say STRICT caused it: %s", rec.msg)
		}
	}
}

// recorder is a testing.TB whose Skip and Fatal are recorded instead of
// ending the real test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

type ended struct{}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	panic(ended{})
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	panic(ended{})
}

func (r *recorder) Fatal(args ...any) {
	r.failed, r.msg = true, fmt.Sprint(args...)
	panic(ended{})
}

func (r *recorder) run(fn func()) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(ended); !ok {
				panic(v)
			}
		}
	}()
	fn()
	r.failed, r.msg = true, "New returned without a broker"
}

// Package tbrec is the one fake testing.TB brokerkit's own tests use to
// check what a helper does to the test it is given: Skip and Fatal are
// recorded instead of ending the real test, and cleanups run when the
// caller says (per benchmark iteration, per sub-case).
package tbrec

import (
	"fmt"
	"testing"
)

// Recorder wraps a real testing.TB; only what it overrides is recorded,
// logging goes to the real test.
type Recorder struct {
	testing.TB
	skipped, failed bool
	// Msg is what the last Skip, Fatal or Error said.
	Msg      string
	cleanups []func()
	example  bool // made by Example: Skip and Fatal panic with their message
}

// Skipped reports whether a Skip was recorded.
func (r *Recorder) Skipped() bool { return r.skipped }

// Failed reports whether a Fatal or Error was recorded.
func (r *Recorder) Failed() bool { return r.failed }

// New returns a Recorder around tb.
func New(tb testing.TB) *Recorder { return &Recorder{TB: tb} }

type ended struct{}

func (r *Recorder) Helper() {}

func (r *Recorder) Skipf(format string, args ...any)  { r.end(&r.skipped, fmt.Sprintf(format, args...)) }
func (r *Recorder) Skip(args ...any)                  { r.end(&r.skipped, fmt.Sprint(args...)) }
func (r *Recorder) SkipNow()                          { r.end(&r.skipped, "") }
func (r *Recorder) Fatalf(format string, args ...any) { r.end(&r.failed, fmt.Sprintf(format, args...)) }
func (r *Recorder) Fatal(args ...any)                 { r.end(&r.failed, fmt.Sprint(args...)) }
func (r *Recorder) FailNow()                          { r.end(&r.failed, "") }

// Errorf records a failure without ending the function, as testing does.
func (r *Recorder) Errorf(format string, args ...any) {
	r.failed, r.Msg = true, fmt.Sprintf(format, args...)
}

func (r *Recorder) end(flag *bool, msg string) {
	*flag, r.Msg = true, msg
	if r.example {
		panic("brokerkit example: " + msg)
	}
	panic(ended{})
}

// Cleanup collects f; Done runs the collected functions.
func (r *Recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// Done runs the collected cleanups, last first, and forgets them.
func (r *Recorder) Done() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}

// Fail records a failure, for a caller that treats fn returning as one.
func (r *Recorder) Fail() { r.failed = true }

// Run calls fn; a Skip or Fatal inside it ends fn and is recorded. It
// reports whether fn returned normally.
func (r *Recorder) Run(fn func()) (returned bool) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(ended); !ok {
				panic(v)
			}
		}
	}()
	fn()
	return true
}

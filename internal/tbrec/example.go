package tbrec

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
)

// Example returns a Recorder that needs no real test, for the compiled
// Examples of packages whose API takes a testing.TB: it names the test,
// gives it a context and temporary folders, and collects cleanups for Done.
// A Skip or Fatal panics with its message, since an Example has no test to
// end.
func Example(name string) *Recorder {
	r := &Recorder{example: true}
	r.TB = &standalone{name: name, r: r}
	return r
}

// standalone is the little of testing.TB the Example recorder does not
// override itself.
type standalone struct {
	testing.TB
	name string
	r    *Recorder
}

func (s *standalone) Name() string             { return s.name }
func (s *standalone) Context() context.Context { return context.Background() }
func (s *standalone) Logf(string, ...any)      {}
func (s *standalone) Log(...any)               {}
func (s *standalone) Setenv(key, value string) { s.r.setenv(key, value) }
func (s *standalone) Chdir(string)             { panic("tbrec: Chdir in an Example") }
func (s *standalone) Attr(key, value string)   {}
func (s *standalone) Output() io.Writer        { return io.Discard }

func (s *standalone) TempDir() string {
	d, err := os.MkdirTemp("", "brokerkit-example-")
	if err != nil {
		panic(fmt.Sprintf("tbrec: %v", err))
	}
	s.r.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func (r *Recorder) setenv(key, value string) {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	r.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	})
}

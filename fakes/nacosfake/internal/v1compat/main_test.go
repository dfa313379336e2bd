package v1compat_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/fixtures"
)

// The client libraries' own leftovers are listed once, in fixtures.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, fixtures.ClientGoroutines...) }

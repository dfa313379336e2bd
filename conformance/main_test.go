package conformance_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/fixtures"
)

func TestMain(m *testing.M) {
	fixtures.Main(m, func() error { return goleak.Find(goleak.IgnoreCurrent()) })
}

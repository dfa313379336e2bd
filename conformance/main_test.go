package conformance_test

import (
	"github.com/brokerkit/brokerkit/fixtures/nacostest"
	"github.com/brokerkit/brokerkit/fixtures/pulsartest"
	"testing"

	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/fixtures"
)

func TestMain(m *testing.M) {
	var ignore []goleak.Option
	ignore = append(ignore, pulsartest.ClientGoroutines...)
	ignore = append(ignore, nacostest.SDKGoroutines...)
	ignore = append(ignore, nacostest.V1SDKGoroutines...)
	fixtures.Main(m, ignore...)
}

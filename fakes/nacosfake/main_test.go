package nacosfake_test

import (
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/util"
	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/fixtures"
)

// The client libraries' own leftovers are listed once, in fixtures. The
// SDK caches the local IP in a package variable without a lock: fill it
// before parallel tests start clients (nacosclient does the same).
func TestMain(m *testing.M) {
	util.LocalIP()
	goleak.VerifyTestMain(m, fixtures.ClientGoroutines...)
}

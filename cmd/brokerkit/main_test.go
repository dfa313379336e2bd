package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/brokerkit/brokerkit/fixtures/pulsartest"
)

// The persistence test drives Pulsar through pulsar-client-go, which leaves
// goroutines behind after Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, pulsartest.ClientGoroutines...) }

package pulsarfake_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the server leaves no goroutine behind. The ignored
// ones belong to pulsar-client-go, which does not stop them on Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar.(*partitionProducer).failTimeoutMessages"),
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar.newTransaction.func1"),
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar/internal.(*connectionPool).checkAndCleanIdleConnections"),
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar.(*chunkedMsgCtxMap).discardChunkIfExpire"),
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar/internal.Retry[...]"),
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar.newAckGroupingTracker.func1"),
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar.(*partitionConsumer).runEventsLoop"),
		goleak.IgnoreAnyFunction("github.com/apache/pulsar-client-go/pulsar.(*partitionConsumer).dispatcher"),
	)
}

package nacosclient_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nacos-sdk-go builds a lumberjack file logger per client and never
		// closes it; its mill goroutine lives until process exit.
		goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"),
		// The v2 naming client opens a UDP push receiver (unused with gRPC)
		// and never closes it; its read loop stays blocked in the socket.
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client/naming_http.(*PushReceiver).handleClient"),
		// After CloseClient the SDK's listen loop is gone, but a connection
		// event that arrives late still starts a goroutine that sends to its
		// unbuffered channel and blocks forever.
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/v2/clients/config_client.(*ConfigClient).asyncNotifyListenConfig.func1"),
	)
}

package v1compat_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// nacos-sdk-go v1.0.8 has no way to stop its clients: the config
		// long-poll scheduler, the naming beat and service-update loops and
		// the UDP push receiver run until process exit.
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/clients/config_client.(*ConfigClient).delayScheduler"),
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/clients/naming_client.(*BeatReactor).sendInstanceBeat"),
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/clients/naming_client.(*HostReactor).asyncUpdateService"),
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/clients/naming_client.(*PushReceiver).handleClient"),
		goleak.IgnoreAnyFunction("github.com/nacos-group/nacos-sdk-go/clients/naming_client.(*HostReactor).serviceUpdate"),
		goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"),
	)
}

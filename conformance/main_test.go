package conformance_test

import (
	"flag"
	"testing"

	v1util "github.com/nacos-group/nacos-sdk-go/util"
	v2util "github.com/nacos-group/nacos-sdk-go/v2/util"

	"github.com/brokerkit/brokerkit/fixtures"
)

// The scenarios mostly wait on clients' own timers (the Nacos SDKs' listen
// and poll rounds, Pulsar's auth retries), not on the CPU: run up to four
// at once instead of GOMAXPROCS, unless -parallel says otherwise. (Eight
// made a 1 MiB Nacos publish miss the SDK's fixed 3 s timeout under -race.)
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", "4"); err != nil {
			panic(err)
		}
	}
	// Both Nacos SDKs cache the local IP in a package variable without a
	// lock; fill it before parallel scenarios start clients.
	v1util.LocalIP()
	v2util.LocalIP()
	fixtures.Main(m)
}

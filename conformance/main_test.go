package conformance_test

import (
	"flag"
	"testing"

	"github.com/brokerkit/brokerkit/fixtures"
)

// The scenarios mostly wait on clients' own timers (the Nacos SDKs' listen
// and poll rounds, Pulsar's auth retries), not on the CPU: run up to eight
// at once instead of GOMAXPROCS, unless -parallel says otherwise.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", "8"); err != nil {
			panic(err)
		}
	}
	fixtures.Main(m)
}

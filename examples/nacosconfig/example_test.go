package nacosconfig_test

import (
	"fmt"

	"github.com/brokerkit/brokerkit/examples/nacosconfig"
)

// Settings live in Nacos as properties text; service_test.go drives the
// reload through nacostest.
func ExampleParseSettings() {
	s, err := nacosconfig.ParseSettings("greeting=Hello\nmax_items=10\nnewer_key=ignored\n")
	fmt.Println(s.Greeting, s.MaxItems, err)
	// Output: Hello 10 <nil>
}

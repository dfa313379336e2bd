package conformance_test

import (
	"fmt"

	"github.com/brokerkit/brokerkit/conformance"
)

// A harness says what its backend and client can do; scenarios needing a
// capability it lacks are skipped with the reason, never failed.
func ExampleCapabilities() {
	mqtt := conformance.Capabilities{conformance.Groups}
	fmt.Println(mqtt.Has(conformance.Groups), mqtt.Has(conformance.Transactions))
	// Output: true false
}

// Scenarios compare failures by Code, so a Kafka error and a Pulsar error
// for the same situation are the same result.
func ExampleCode() {
	fmt.Println(conformance.NotFound, conformance.Unauthenticated)
	// Output: NotFound Unauthenticated
}

// Package conformance holds the scenarios every brokerkit backend is held
// to, written once per contract and run against fakes, containers and
// external brokers alike, so "the fake behaves like the real thing" is
// measured. A scenario that passes on a fake and fails on the real broker is
// a fake bug.
//
//	func TestKafkaStream(t *testing.T) {
//		conformance.RunStream(t, func(t *testing.T) conformance.StreamHarness {
//			return newKafkaHarness(t) // built on kafkatest.New(t)
//		})
//	}
//
// A harness declares its capabilities; a scenario that needs one the
// harness lacks is skipped with the reason in the test output. Errors are
// compared by Code, never by text.
package conformance

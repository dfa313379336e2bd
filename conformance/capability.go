package conformance

import (
	"slices"
	"testing"
)

// Capability is a behaviour some backends have and others lack.
type Capability string

// Stream capabilities.
const (
	// Groups: consumers with the same group name share messages, and each
	// distinct group receives every message.
	Groups Capability = "consumer groups"
	// Replay: a new subscriber can read messages sent before it subscribed.
	Replay Capability = "replay from earliest"
	// PerKeyOrdering: messages with one key arrive in send order even on a
	// topic with several partitions.
	PerKeyOrdering Capability = "per-key ordering"
	// Redelivery: messages a consumer received but did not acknowledge go to
	// another consumer of its group after it stops.
	Redelivery Capability = "redelivery of unacknowledged messages"
	// Keys: a message key survives the round trip.
	Keys Capability = "message keys"
	// Headers: message headers or properties survive the round trip.
	Headers Capability = "message headers"
	// BinaryPayloads: any bytes, including empty, survive the round trip.
	BinaryPayloads Capability = "binary and empty payloads"
	// LargeMessages: a 1 MiB message is accepted and delivered.
	LargeMessages Capability = "1 MiB messages"
	// StrictTopics: sending to a topic that does not exist fails (auto-create
	// off), with NotFound.
	StrictTopics Capability = "missing topics are errors"
	// Auth: the harness can make a client with wrong credentials, which the
	// broker must reject with Unauthenticated.
	Auth Capability = "authentication"
)

// Capabilities is the set a harness supports.
type Capabilities []Capability

// Has reports whether c is in the set.
func (cs Capabilities) Has(c Capability) bool { return slices.Contains(cs, c) }

// need skips t, visibly, unless the harness has every capability.
func need(t *testing.T, have Capabilities, name string, want ...Capability) {
	t.Helper()
	for _, c := range want {
		if !have.Has(c) {
			t.Skipf("%s harness lacks capability %q", name, c)
		}
	}
}

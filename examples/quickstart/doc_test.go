// Package quickstart_test holds the README's quickstarts as compiled, running
// tests: each file below is printed in the README verbatim, and
// TestREADMEShowsTheseFiles fails when the two differ.
package quickstart_test

import (
	"testing"

	"github.com/brokerkit/brokerkit/fixtures"
)

func TestMain(m *testing.M) { fixtures.Main(m) }

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/brokerkit/brokerkit/fixtures"
)

// childArgsEnv makes the test binary run `brokerkit up` instead of the
// tests, so a test can signal a real process and watch it exit.
const childArgsEnv = "BROKERKIT_TEST_UP_ARGS"

func TestMain(m *testing.M) {
	if v := os.Getenv(childArgsEnv); v != "" {
		var args []string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			panic(err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		os.Exit(run(ctx, args, os.Stdout, os.Stderr))
	}
	fixtures.Main(m)
}

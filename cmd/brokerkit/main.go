// Command brokerkit runs every brokerkit fake on its well-known port, for
// offline development against Kafka, MQTT, Pulsar and Nacos from any
// language, with no Docker and no network.
//
//	brokerkit up                          # all fakes, default ports
//	brokerkit up --only kafka,mqtt        # a subset
//	brokerkit up --data-dir ./.brokerkit  # keep data across restarts
//	brokerkit up --user alice:secret --tls
//	brokerkit up --json                   # machine-readable connection details
//
// It prints the connection details and the export lines that point
// brokerkit's own tests at these fakes in external mode, then runs until
// interrupted (Ctrl-C or SIGTERM).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "up":
		return up(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "brokerkit: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: brokerkit <command> [flags]

commands:
  up     run the fakes on their well-known ports until interrupted
  help   show this help

Run 'brokerkit up -h' for the flags of up.
`)
}

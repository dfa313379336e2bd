// Package pulsarworker is a small job worker of the kind brokerkit is for:
// several instances share a Pulsar subscription (Shared), each job is
// retried with a delay when it fails (negative ack), and a job that keeps
// failing is parked on a dead-letter topic instead of blocking the queue.
package pulsarworker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
)

// Handler processes one job payload. An error means "try again later".
type Handler func(ctx context.Context, job []byte) error

// Config says where the jobs come from and how hard to try.
type Config struct {
	Topic        string
	Subscription string
	DeadLetters  string        // topic for jobs that failed MaxAttempts times
	MaxAttempts  uint32        // deliveries before a job is dead-lettered
	RetryDelay   time.Duration // wait before a failed job comes back
}

// Worker consumes jobs until its context ends.
type Worker struct {
	cons    *pulsarclient.Consumer
	handler Handler
}

// New joins the shared subscription.
func New(cl *pulsarclient.Client, cfg Config, h Handler) (*Worker, error) {
	if cfg.MaxAttempts == 0 {
		return nil, errors.New("pulsarworker: MaxAttempts must be at least 1")
	}
	cons, err := cl.Subscribe(cfg.Topic, cfg.Subscription, pulsarclient.Shared,
		pulsarclient.FromEarliest(),
		pulsarclient.WithNackDelay(cfg.RetryDelay),
		pulsarclient.WithDeadLetter(cfg.MaxAttempts, cfg.DeadLetters))
	if err != nil {
		return nil, fmt.Errorf("pulsarworker: subscribe %s: %w", cfg.Topic, err)
	}
	return &Worker{cons: cons, handler: h}, nil
}

// Run handles jobs until ctx ends, then leaves the subscription; jobs it
// had not acknowledged go to the other workers.
func (w *Worker) Run(ctx context.Context) error {
	defer w.cons.Close()
	for {
		m, err := w.cons.Receive(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("pulsarworker: receive: %w", err)
		}
		if err := w.handler(ctx, m.Payload()); err != nil {
			w.cons.Nack(m)
			continue
		}
		if err := w.cons.Ack(m); err != nil {
			return fmt.Errorf("pulsarworker: ack: %w", err)
		}
	}
}

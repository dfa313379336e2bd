package pulsarworker_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
	"github.com/brokerkit/brokerkit/examples/pulsarworker"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/pulsartest"
)

func TestMain(m *testing.M) { fixtures.Main(m) }

// record is a thread-safe log of what the handlers saw.
type record struct {
	mu       sync.Mutex
	attempts map[string]int
	done     map[string]int // job -> worker that finished it
}

func startWorkers(t *testing.T, env *pulsartest.Env, cfg pulsarworker.Config, n int, rec *record, fails func(job string, attempt int) bool) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		w, err := pulsarworker.New(env.Client(t), cfg, func(_ context.Context, job []byte) error {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.attempts[string(job)]++
			if fails(string(job), rec.attempts[string(job)]) {
				return errors.New("transient failure")
			}
			rec.done[string(job)] = i
			return nil
		})
		require.NoError(t, err)
		wg.Add(1)
		go func() { defer wg.Done(); require.NoError(t, w.Run(ctx)) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func config(t *testing.T, env *pulsartest.Env) pulsarworker.Config {
	topic := env.Topic(t)
	return pulsarworker.Config{Topic: topic, Subscription: "workers", DeadLetters: topic + "-dlq",
		MaxAttempts: 3, RetryDelay: 100 * time.Millisecond}
}

func publish(t *testing.T, env *pulsartest.Env, topic string, jobs ...string) {
	p, err := env.Client(t).Producer(topic)
	require.NoError(t, err)
	defer p.Close()
	for _, j := range jobs {
		_, err := p.Send(context.Background(), pulsarclient.Message{Payload: []byte(j)})
		require.NoError(t, err)
	}
}

func TestJobsAreSharedAndRetried(t *testing.T) {
	env := pulsartest.New(t)
	cfg := config(t, env)
	rec := &record{attempts: map[string]int{}, done: map[string]int{}}
	// "flaky" fails on its first attempt only.
	startWorkers(t, env, cfg, 2, rec, func(job string, attempt int) bool { return job == "flaky" && attempt == 1 })
	jobs := []string{"flaky"}
	for i := 0; i < 40; i++ {
		jobs = append(jobs, "job-"+strings.Repeat("x", i%3)+string(rune('a'+i%26)))
	}
	publish(t, env, cfg.Topic, jobs...)
	require.Eventually(t, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.done) == len(uniq(jobs))
	}, 20*time.Second, 10*time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Equal(t, 2, rec.attempts["flaky"], "a failed job is retried once it fails")
	workers := map[int]bool{}
	for _, w := range rec.done {
		workers[w] = true
	}
	require.Len(t, workers, 2, "both workers took a share of the jobs")
}

func TestPoisonJobIsDeadLettered(t *testing.T) {
	env := pulsartest.New(t)
	cfg := config(t, env)
	dead, err := env.Client(t).Subscribe(cfg.DeadLetters, "ops", pulsarclient.Exclusive, pulsarclient.FromEarliest())
	require.NoError(t, err)
	defer dead.Close()
	rec := &record{attempts: map[string]int{}, done: map[string]int{}}
	startWorkers(t, env, cfg, 1, rec, func(job string, _ int) bool { return job == "poison" })
	publish(t, env, cfg.Topic, "poison", "fine")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := dead.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, "poison", string(m.Payload()))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Equal(t, 3, rec.attempts["poison"], "tried MaxAttempts times before parking")
	require.Contains(t, rec.done, "fine", "the poison job did not block the queue")
}

func uniq(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

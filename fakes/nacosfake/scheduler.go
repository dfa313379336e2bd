package nacosfake

import (
	"container/heap"
	"sync"
	"time"
)

// scheduler runs delayed jobs (debounced naming pushes) on one goroutine
// that Close stops, so no timer callback outlives the server.
type scheduler struct {
	mu   sync.Mutex
	jobs jobHeap
	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

type job struct {
	at time.Time
	fn func()
}

type jobHeap []job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(job)) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	*h = old[:len(old)-1]
	return j
}

func newScheduler() *scheduler {
	sc := &scheduler{wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go sc.run()
	return sc
}

// after runs fn on the scheduler goroutine once d has passed.
func (sc *scheduler) after(d time.Duration, fn func()) {
	sc.mu.Lock()
	heap.Push(&sc.jobs, job{at: time.Now().Add(d), fn: fn})
	sc.mu.Unlock()
	select {
	case sc.wake <- struct{}{}:
	default:
	}
}

func (sc *scheduler) run() {
	defer close(sc.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		sc.mu.Lock()
		var due []func()
		now := time.Now()
		for len(sc.jobs) > 0 && !sc.jobs[0].at.After(now) {
			due = append(due, heap.Pop(&sc.jobs).(job).fn)
		}
		wait := time.Hour
		if len(sc.jobs) > 0 {
			wait = sc.jobs[0].at.Sub(now)
		}
		sc.mu.Unlock()
		for _, fn := range due {
			fn()
		}
		if len(due) > 0 {
			continue
		}
		t.Reset(wait)
		select {
		case <-sc.quit:
			return
		case <-sc.wake:
		case <-t.C:
		}
	}
}

func (sc *scheduler) close() {
	close(sc.quit)
	<-sc.done
}

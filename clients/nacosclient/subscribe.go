package nacosclient

import (
	"context"
	"strings"
	"sync"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// instWatch delivers instance lists to a callback or a channel that keeps
// only the latest list when the reader is slow.
type instWatch struct {
	mu     sync.Mutex
	fn     func([]Instance)
	ch     chan []Instance
	closed bool
}

func (w *instWatch) deliver(list []Instance) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	if fn := w.fn; fn != nil {
		w.mu.Unlock()
		fn(list)
		return
	}
	defer w.mu.Unlock()
	for {
		select {
		case w.ch <- list:
			return
		default:
			select {
			case <-w.ch:
			default:
			}
		}
	}
}

func (w *instWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.closed = true
		if w.ch != nil {
			close(w.ch)
		}
	}
}

// Subscribe returns a channel of a service's instance lists (enabled
// instances, healthy or not, sorted), sent whenever the server pushes a
// change, starting with the current list when it is not empty. The channel
// holds only the latest list; it is closed by Unsubscribe or Close.
func (n *Naming) Subscribe(ctx context.Context, svc Service, clusters ...string) (<-chan []Instance, error) {
	w := &instWatch{ch: make(chan []Instance, 1)}
	if err := n.subscribe(ctx, svc, clusters, w); err != nil {
		return nil, err
	}
	return w.ch, nil
}

// SubscribeFunc calls fn with every pushed instance list until Unsubscribe
// or Close, on an SDK goroutine.
func (n *Naming) SubscribeFunc(ctx context.Context, svc Service, fn func([]Instance), clusters ...string) error {
	return n.subscribe(ctx, svc, clusters, &instWatch{fn: fn})
}

func (n *Naming) subscribe(ctx context.Context, svc Service, clusters []string, w *instWatch) error {
	if err := n.check(ctx); err != nil {
		return err
	}
	k := subKey{svc, strings.Join(clusters, ",")}
	p := &vo.SubscribeParam{ServiceName: svc.Name, GroupName: svc.group(), Clusters: clusters,
		SubscribeCallback: func(ms []model.Instance, err error) {
			if err != nil {
				return
			}
			all := fromModels(ms)
			out := all[:0]
			for _, in := range all {
				if !in.Disabled {
					out = append(out, in)
				}
			}
			w.deliver(out)
		}}
	n.mu.Lock()
	if _, dup := n.subs[k]; dup {
		n.mu.Unlock()
		return errAlreadySubscribed
	}
	n.subs[k] = &subscription{param: p, w: w}
	n.mu.Unlock()
	if err := n.raw.Subscribe(p); err != nil {
		n.mu.Lock()
		delete(n.subs, k)
		n.mu.Unlock()
		return n.fail("subscribe "+svc.Name, err)
	}
	return nil
}

// Unsubscribe ends a subscription made with the same clusters and closes
// its channel.
func (n *Naming) Unsubscribe(svc Service, clusters ...string) error {
	k := subKey{svc, strings.Join(clusters, ",")}
	n.mu.Lock()
	s, ok := n.subs[k]
	delete(n.subs, k)
	n.mu.Unlock()
	if !ok {
		return nil
	}
	s.w.stop()
	return n.fail("unsubscribe "+svc.Name, n.raw.Unsubscribe(s.param))
}

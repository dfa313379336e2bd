package nacosclient

import (
	"context"
	"fmt"
	"sync"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// WatchBuffer is how many undelivered changes a Watch channel holds; when
// it is full the oldest is dropped, so a slow reader always ends up with
// the latest state.
const WatchBuffer = 16

// watch is one config listener: a callback, or a channel fed by one.
type watch struct {
	mu     sync.Mutex
	fn     func(Change)
	ch     chan Change
	closed bool
}

func (w *watch) deliver(ch Change) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	if fn := w.fn; fn != nil {
		w.mu.Unlock() // fn may call Unwatch
		fn(ch)
		return
	}
	defer w.mu.Unlock()
	for {
		select {
		case w.ch <- ch:
			return
		default:
			select { // full: drop the oldest
			case <-w.ch:
			default:
			}
		}
	}
}

func (w *watch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	if w.ch != nil {
		close(w.ch)
	}
}

// Watch returns a channel of changes to one config, closed by Unwatch or
// Close. A deletion arrives with Deleted set. The SDK syncs a new listener
// with the server asynchronously (its first round can take ~5 s), starting
// from the content this client last read with Get, or from "no content":
// so without a Get first the current content may arrive as a first change,
// and a change back to that starting state made before the first round is
// not reported.
func (c *Config) Watch(ctx context.Context, grp, dataID string) (<-chan Change, error) {
	w := &watch{ch: make(chan Change, WatchBuffer)}
	if err := c.watch(ctx, grp, dataID, w); err != nil {
		return nil, err
	}
	return w.ch, nil
}

// WatchFunc calls fn for each change to one config, one call at a time,
// on an SDK goroutine, until Unwatch or Close.
func (c *Config) WatchFunc(ctx context.Context, grp, dataID string, fn func(Change)) error {
	return c.watch(ctx, grp, dataID, &watch{fn: fn})
}

func (c *Config) watch(ctx context.Context, grp, dataID string, w *watch) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	grp = group(grp)
	k := configKey{grp, dataID}
	c.mu.Lock()
	if _, dup := c.watches[k]; dup {
		c.mu.Unlock()
		return fmt.Errorf("nacosclient: %s/%s is already watched by this client", grp, dataID)
	}
	c.watches[k] = w
	c.mu.Unlock()
	err := c.raw.ListenConfig(vo.ConfigParam{DataId: dataID, Group: grp, OnChange: func(ns, g, id, data string) {
		w.deliver(Change{Namespace: ns, Group: g, DataID: id, Content: data, Deleted: data == ""})
	}})
	if err != nil {
		c.mu.Lock()
		delete(c.watches, k)
		c.mu.Unlock()
		return c.fail("watch "+dataID, err)
	}
	// The SDK opens its config connection on first use, and ListenConfig
	// is no use: its first listen waits for a 5 s tick. A read opens the
	// connection, whose connect event starts a listen at once; on an open
	// connection the server's next push for the key does. The result
	// does not matter (a failure shows up in later calls).
	_, _ = c.raw.GetConfig(vo.ConfigParam{DataId: dataID, Group: grp})
	return nil
}

// Unwatch stops watching one config and closes its channel.
func (c *Config) Unwatch(grp, dataID string) error {
	grp = group(grp)
	k := configKey{grp, dataID}
	c.mu.Lock()
	w, ok := c.watches[k]
	delete(c.watches, k)
	c.mu.Unlock()
	if !ok {
		return nil
	}
	w.stop()
	return c.fail("unwatch "+dataID, c.raw.CancelListenConfig(vo.ConfigParam{DataId: dataID, Group: grp}))
}

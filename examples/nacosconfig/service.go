package nacosconfig

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
)

// Options say where the service's settings live and how it registers.
type Options struct {
	Config *nacosclient.Config
	Naming *nacosclient.Naming
	Group  string // settings group and discovery group
	DataID string // settings dataId
	// Name, IP and Port are what the service registers for discovery.
	Name string
	IP   string
	Port int
	Log  *slog.Logger // nil: discard
}

// Service holds the current settings and the registration.
type Service struct {
	o       Options
	mu      sync.RWMutex
	cur     Settings
	version int // how many settings were applied, for metadata and tests

	cancel context.CancelFunc
	done   chan struct{}
}

// Start loads the settings (it fails if they are missing or invalid: a
// service must not start on guesses), starts watching them and registers
// the instance.
func Start(ctx context.Context, o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	text, err := o.Config.Get(ctx, o.Group, o.DataID)
	if err != nil {
		return nil, fmt.Errorf("load settings %s/%s: %w", o.Group, o.DataID, err)
	}
	set, err := ParseSettings(text)
	if err != nil {
		return nil, fmt.Errorf("settings %s/%s: %w", o.Group, o.DataID, err)
	}
	changes, err := o.Config.Watch(ctx, o.Group, o.DataID)
	if err != nil {
		return nil, err
	}
	s := &Service{o: o, cur: set, version: 1, done: make(chan struct{})}
	if err := s.register(ctx); err != nil {
		o.Config.Unwatch(o.Group, o.DataID)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(runCtx, changes)
	return s, nil
}

func (s *Service) svc() nacosclient.Service {
	return nacosclient.Service{Group: s.o.Group, Name: s.o.Name}
}

// register (re-)registers the instance; the metadata tells operators which
// settings version it runs.
func (s *Service) register(ctx context.Context) error {
	s.mu.RLock()
	md := map[string]string{"settings-version": strconv.Itoa(s.version), "max-items": strconv.Itoa(s.cur.MaxItems)}
	s.mu.RUnlock()
	return s.o.Naming.Register(ctx, s.svc(), nacosclient.Instance{IP: s.o.IP, Port: s.o.Port, Metadata: md})
}

func (s *Service) run(ctx context.Context, changes <-chan nacosclient.Change) {
	defer close(s.done)
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				return
			}
			s.apply(ctx, ch)
		}
	}
}

// apply switches to new settings, or keeps the last good ones when the
// update is a deletion or does not parse.
func (s *Service) apply(ctx context.Context, ch nacosclient.Change) {
	if ch.Deleted {
		s.o.Log.Warn("settings deleted; keeping the last good ones", "dataId", ch.DataID)
		return
	}
	set, err := ParseSettings(ch.Content)
	if err != nil {
		s.o.Log.Warn("invalid settings; keeping the last good ones", "err", err)
		return
	}
	s.mu.Lock()
	s.cur = set
	s.version++
	s.mu.Unlock()
	if err := s.register(ctx); err != nil {
		s.o.Log.Warn("re-register after reload", "err", err)
	}
}

// Settings returns the settings in force.
func (s *Service) Settings() Settings {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cur
}

// Greet is the service's one feature: it uses the settings in force.
func (s *Service) Greet(names ...string) string {
	set := s.Settings()
	if len(names) > set.MaxItems {
		names = names[:set.MaxItems]
	}
	out := set.Greeting
	for i, n := range names {
		if i > 0 {
			out += ","
		}
		out += " " + n
	}
	return out
}

// Stop stops watching and deregisters the instance.
func (s *Service) Stop(ctx context.Context) error {
	s.cancel()
	<-s.done
	s.o.Config.Unwatch(s.o.Group, s.o.DataID)
	return s.o.Naming.Deregister(ctx, s.svc(), nacosclient.Instance{IP: s.o.IP, Port: s.o.Port})
}

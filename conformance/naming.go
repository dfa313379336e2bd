package conformance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

// Naming capabilities.
const (
	// EphemeralOnDisconnect: an ephemeral instance disappears once the
	// client that registered it is closed (and, for beat-based clients,
	// its beat timeout passed: see NamingHarness.ClientGone).
	EphemeralOnDisconnect Capability = "ephemeral instances vanish with their client"
	// UnhealthyRegistration: an instance can be registered as unhealthy
	// and stays unhealthy while its client lives (beat-based clients heal
	// it with their next beat).
	UnhealthyRegistration Capability = "register unhealthy instances"
)

// NamingService names a service in the default namespace.
type NamingService struct {
	Group, Name string
}

// NamingInstance is one instance as scenarios register and see it.
type NamingInstance struct {
	IP        string
	Port      int
	Weight    float64 // 0 registers weight 1
	Cluster   string  // "" is the server's default cluster
	Metadata  map[string]string
	Unhealthy bool
}

func (in NamingInstance) addr() string { return fmt.Sprintf("%s:%d", in.IP, in.Port) }

// NamingClient is one connection to a registry. Its instances are
// ephemeral: they live while the client does.
type NamingClient interface {
	// Register adds an instance; several instances of one service
	// registered through one client must all be kept.
	Register(ctx context.Context, svc NamingService, in NamingInstance) error
	// Deregister removes an instance (by IP, port and cluster).
	Deregister(ctx context.Context, svc NamingService, in NamingInstance) error
	// List returns enabled instances; healthyOnly drops unhealthy ones
	// and clusters, if any, restricts to those clusters.
	List(ctx context.Context, svc NamingService, healthyOnly bool, clusters []string) ([]NamingInstance, error)
	// Subscribe sends the instance list whenever the server reports a
	// change; a slow reader may miss intermediate lists, never the last.
	Subscribe(ctx context.Context, svc NamingService) (<-chan []NamingInstance, error)
	// Close disconnects, as a crashed process would.
	Close() error
}

// NamingHarness adapts one registry and client library to RunNaming.
type NamingHarness interface {
	Name() string
	Capabilities() Capabilities
	// Service returns a service name unique to the call.
	Service() NamingService
	Client(ctx context.Context) (NamingClient, error)
	// BadCredentialsClient connects to a server with authentication on,
	// with a wrong password (Auth capability).
	BadCredentialsClient(ctx context.Context) (NamingClient, error)
	// ClientGone is called after a client was closed; it lets whatever
	// must pass before the server drops that client's instances pass
	// (nothing for connection-owned instances; the beat timeout, on a
	// fake clock, for beat-based ones).
	ClientGone(ctx context.Context)
	Code(err error) Code
}

// NamingHarnessMaker makes a fresh harness for one scenario.
type NamingHarnessMaker func(t *testing.T) NamingHarness

// RunNaming runs every service-registry scenario against harnesses from mk.
func RunNaming(t *testing.T, mk NamingHarnessMaker) {
	scenarios := []struct {
		name string
		fn   func(*testing.T, NamingHarness)
		need []Capability
	}{
		{"RegisterThenList", nmRegisterThenList, nil},
		{"DeregisterNotifiesSubscriber", nmDeregisterNotifies, nil},
		{"HealthyOnlyFilter", nmHealthyOnly, []Capability{UnhealthyRegistration}},
		{"WeightsAndMetadataRoundTrip", nmWeightsAndMetadata, nil},
		{"EphemeralInstanceDisappearsWhenClientCloses", nmEphemeralGone, []Capability{EphemeralOnDisconnect}},
		{"ClusterFilter", nmClusterFilter, nil},
		{"WrongCredentialsAreUnauthenticated", nmWrongCredentials, []Capability{Auth}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// Each scenario has its own harness and names, so they run
			// side by side (the v1 SDK's ephemeral scenario waits for its
			// service cache to refresh).
			t.Parallel()
			h := mk(t)
			need(t, h.Capabilities(), h.Name(), sc.need...)
			sc.fn(t, h)
		})
	}
}

func nmClient(t *testing.T, ctx context.Context, h NamingHarness) NamingClient {
	t.Helper()
	c, err := h.Client(ctx)
	if err != nil {
		t.Fatalf("naming client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func nmRegister(t *testing.T, ctx context.Context, c NamingClient, svc NamingService, ins ...NamingInstance) {
	t.Helper()
	for _, in := range ins {
		if err := c.Register(ctx, svc, in); err != nil {
			t.Fatalf("register %s: %v", in.addr(), err)
		}
	}
}

func nmAddrs(list []NamingInstance) []string {
	out := []string{}
	for _, in := range list {
		out = append(out, in.addr())
	}
	slices.Sort(out)
	return out
}

func nmWant(ins ...NamingInstance) []string { return nmAddrs(ins) }

// nmWaitList polls List until it returns exactly the instances in want:
// registries propagate changes to readers asynchronously.
func nmWaitList(t *testing.T, ctx context.Context, c NamingClient, svc NamingService, healthyOnly bool, clusters []string, want []string) []NamingInstance {
	t.Helper()
	var got []NamingInstance
	var err error
	for {
		got, err = c.List(ctx, svc, healthyOnly, clusters)
		if err == nil && slices.Equal(nmAddrs(got), want) {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("list %s (healthyOnly=%v clusters=%v): want %v, last got %v, %v", svc.Name, healthyOnly, clusters, want, nmAddrs(got), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func nmWaitPush(t *testing.T, ctx context.Context, ch <-chan []NamingInstance, want []string) {
	t.Helper()
	var last []string
	for {
		select {
		case list, open := <-ch:
			if !open {
				t.Fatalf("subscription closed while waiting for %v", want)
			}
			last = nmAddrs(list)
			if slices.Equal(last, want) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("subscriber never saw %v (last %v)", want, last)
		}
	}
}

func nmRegisterThenList(t *testing.T, h NamingHarness) {
	ctx := ctxFor(t)
	svc := h.Service()
	owner, reader := nmClient(t, ctx, h), nmClient(t, ctx, h)
	x := NamingInstance{IP: "10.77.0.1", Port: 8080}
	nmRegister(t, ctx, owner, svc, x)
	nmWaitList(t, ctx, reader, svc, false, nil, nmWant(x))
}

func nmDeregisterNotifies(t *testing.T, h NamingHarness) {
	ctx := ctxFor(t)
	svc := h.Service()
	owner, watcher := nmClient(t, ctx, h), nmClient(t, ctx, h)
	ch, err := watcher.Subscribe(ctx, svc)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	x, y := NamingInstance{IP: "10.77.1.1", Port: 80}, NamingInstance{IP: "10.77.1.2", Port: 80}
	nmRegister(t, ctx, owner, svc, x, y)
	nmWaitPush(t, ctx, ch, nmWant(x, y))
	if err := owner.Deregister(ctx, svc, x); err != nil {
		t.Fatalf("deregister: %v", err)
	}
	nmWaitPush(t, ctx, ch, nmWant(y))
}

func nmHealthyOnly(t *testing.T, h NamingHarness) {
	ctx := ctxFor(t)
	svc := h.Service()
	owner, reader := nmClient(t, ctx, h), nmClient(t, ctx, h)
	ok, sick := NamingInstance{IP: "10.77.2.1", Port: 80}, NamingInstance{IP: "10.77.2.2", Port: 80, Unhealthy: true}
	nmRegister(t, ctx, owner, svc, ok, sick)
	all := nmWaitList(t, ctx, reader, svc, false, nil, nmWant(ok, sick))
	for _, in := range all {
		if in.Unhealthy != (in.IP == sick.IP) {
			t.Fatalf("instance %s: unhealthy=%v", in.addr(), in.Unhealthy)
		}
	}
	nmWaitList(t, ctx, reader, svc, true, nil, nmWant(ok))
}

func nmWeightsAndMetadata(t *testing.T, h NamingHarness) {
	ctx := ctxFor(t)
	svc := h.Service()
	owner, reader := nmClient(t, ctx, h), nmClient(t, ctx, h)
	x := NamingInstance{IP: "10.77.3.1", Port: 9000, Weight: 2.5,
		Metadata: map[string]string{"version": "1.2.3", "zone": "東京-1", "tags": "a,b;c", "json": `{"k":"v"}`}}
	y := NamingInstance{IP: "10.77.3.2", Port: 9000, Weight: 0.5}
	nmRegister(t, ctx, owner, svc, x, y)
	got := nmWaitList(t, ctx, reader, svc, false, nil, nmWant(x, y))
	for _, in := range got {
		want := y
		if in.IP == x.IP {
			want = x
		}
		if in.Weight != want.Weight {
			t.Errorf("%s: weight %v, want %v", in.addr(), in.Weight, want.Weight)
		}
		for k, v := range want.Metadata {
			if in.Metadata[k] != v {
				t.Errorf("%s: metadata %q = %q, want %q (all: %v)", in.addr(), k, in.Metadata[k], v, in.Metadata)
			}
		}
	}
	if t.Failed() {
		t.Logf("metadata keys seen: %v", slices.Sorted(maps.Keys(got[0].Metadata)))
	}
}

func nmEphemeralGone(t *testing.T, h NamingHarness) {
	ctx := ctxFor(t)
	svc := h.Service()
	owner, stayer, reader := nmClient(t, ctx, h), nmClient(t, ctx, h), nmClient(t, ctx, h)
	x, y := NamingInstance{IP: "10.77.4.1", Port: 80}, NamingInstance{IP: "10.77.4.2", Port: 80}
	nmRegister(t, ctx, owner, svc, x)
	nmRegister(t, ctx, stayer, svc, y)
	nmWaitList(t, ctx, reader, svc, false, nil, nmWant(x, y))
	if err := owner.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	h.ClientGone(ctx)
	nmWaitList(t, ctx, reader, svc, false, nil, nmWant(y))
}

func nmClusterFilter(t *testing.T, h NamingHarness) {
	ctx := ctxFor(t)
	svc := h.Service()
	owner, reader := nmClient(t, ctx, h), nmClient(t, ctx, h)
	east := NamingInstance{IP: "10.77.5.1", Port: 80, Cluster: "east"}
	west := NamingInstance{IP: "10.77.5.2", Port: 80, Cluster: "west"}
	nmRegister(t, ctx, owner, svc, east, west)
	nmWaitList(t, ctx, reader, svc, false, nil, nmWant(east, west))
	nmWaitList(t, ctx, reader, svc, false, []string{"east"}, nmWant(east))
	nmWaitList(t, ctx, reader, svc, false, []string{"west"}, nmWant(west))
	nmWaitList(t, ctx, reader, svc, false, []string{"east", "west"}, nmWant(east, west))
}

func nmWrongCredentials(t *testing.T, h NamingHarness) {
	ctx := ctxFor(t)
	c, err := h.BadCredentialsClient(ctx)
	if err == nil {
		t.Cleanup(func() { c.Close() })
		err = c.Register(ctx, h.Service(), NamingInstance{IP: "10.77.6.1", Port: 80})
	}
	if code := h.Code(err); code != Unauthenticated {
		t.Fatalf("register with a wrong password: code %v (%v), want Unauthenticated", code, err)
	}
}

package conformance

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// Config capabilities.
const (
	// CAS: a publish can be made conditional on the md5 of the current
	// content, and a stale md5 is rejected with Conflict.
	CAS Capability = "compare-and-swap publish"
	// Watch: a client can watch a config and is told about updates and
	// deletions.
	Watch Capability = "config watch"
)

// ConfigEvent is one observed state of a watched config.
type ConfigEvent struct {
	Content string
	Deleted bool
}

// ConfigClient is one connection to a config centre, bound to one
// namespace. Group "" is never passed: scenarios use harness groups.
type ConfigClient interface {
	// Get returns the content, or an error whose Code is NotFound.
	Get(ctx context.Context, group, dataID string) (string, error)
	Publish(ctx context.Context, group, dataID, content string) error
	// PublishCAS publishes only if the current content's md5 (lower-case
	// hex) is casMD5 (CAS capability).
	PublishCAS(ctx context.Context, group, dataID, content, casMD5 string) error
	// Delete removes a config; deleting a missing one succeeds.
	Delete(ctx context.Context, group, dataID string) error
	// Watch reports changes (Watch capability); it may report the
	// current state first. SDK listeners sync asynchronously from "no
	// content", so only changes after the first reported event are
	// guaranteed to be seen.
	Watch(ctx context.Context, group, dataID string) (<-chan ConfigEvent, error)
	Close() error
}

// ConfigHarness adapts one config backend and client library to
// RunConfig. It is made per scenario and releases what it made through
// t.Cleanup.
type ConfigHarness interface {
	// Name is the backend and client, e.g. "nacos/sdk-go-v2 (fake)".
	Name() string
	Capabilities() Capabilities
	// Namespace returns a new namespace, ready for use.
	Namespace(ctx context.Context) (string, error)
	// Group and DataID return names unique to the call.
	Group() string
	DataID() string
	// Client connects to namespace ns ("" is the default namespace).
	Client(ctx context.Context, ns string) (ConfigClient, error)
	// BadCredentialsClient connects to a server with authentication on,
	// with a wrong password (Auth capability).
	BadCredentialsClient(ctx context.Context) (ConfigClient, error)
	// Code classifies an error from this harness's client.
	Code(err error) Code
}

// ConfigHarnessMaker makes a fresh harness for one scenario.
type ConfigHarnessMaker func(t *testing.T) ConfigHarness

// RunConfig runs every config-centre scenario against harnesses from mk.
func RunConfig(t *testing.T, mk ConfigHarnessMaker) {
	scenarios := []struct {
		name string
		fn   func(*testing.T, ConfigHarness)
		need []Capability
	}{
		{"MissingConfigIsNotFound", cfgMissingIsNotFound, nil},
		{"PublishThenGet", cfgPublishThenGet, nil},
		{"UpdateSeenByWatcher", cfgUpdateSeenByWatcher, []Capability{Watch}},
		{"DeleteSeenByWatcher", cfgDeleteSeenByWatcher, []Capability{Watch}},
		{"NamespaceAndGroupIsolation", cfgIsolation, nil},
		{"CASConflictIsRejected", cfgCASConflict, []Capability{CAS}},
		{"LargeAndUnicodeContent", cfgLargeAndUnicode, nil},
		{"WrongCredentialsAreUnauthenticated", cfgWrongCredentials, []Capability{Auth}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// Each scenario has its own harness and names, so they run
			// side by side: the two watcher scenarios wait for the v2 SDK's
			// first listen round (it registers a new listener on its next
			// 5 s tick, against a real Nacos too).
			t.Parallel()
			h := mk(t)
			need(t, h.Capabilities(), h.Name(), sc.need...)
			sc.fn(t, h)
		})
	}
}

func cfgClient(t *testing.T, ctx context.Context, h ConfigHarness, ns string) ConfigClient {
	t.Helper()
	c, err := h.Client(ctx, ns)
	if err != nil {
		t.Fatalf("config client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func cfgPublish(t *testing.T, ctx context.Context, c ConfigClient, group, id, content string) {
	t.Helper()
	if err := c.Publish(ctx, group, id, content); err != nil {
		t.Fatalf("publish %s/%s: %v", group, id, err)
	}
}

// cfgWaitGet polls until Get returns want: some servers apply writes to
// their read path asynchronously. Slowly, because SDKs limit reads (the Go
// SDK allows about 5 Gets per second per config).
func cfgWaitGet(t *testing.T, ctx context.Context, c ConfigClient, group, id, want string) {
	t.Helper()
	var got string
	var err error
	for {
		got, err = c.Get(ctx, group, id)
		if err == nil && got == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("get %s/%s: want %q, last got %q, %v", group, id, abbrev(want), abbrev(got), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func abbrev(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// cfgWaitEvent reads events until one satisfies ok.
func cfgWaitEvent(t *testing.T, ctx context.Context, ch <-chan ConfigEvent, what string, ok func(ConfigEvent) bool) {
	t.Helper()
	for {
		select {
		case ev, open := <-ch:
			if !open {
				t.Fatalf("watch closed before %s", what)
			}
			if ok(ev) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("watcher never saw %s", what)
		}
	}
}

func cfgMissingIsNotFound(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	c := cfgClient(t, ctx, h, "")
	_, err := c.Get(ctx, h.Group(), h.DataID())
	if code := h.Code(err); code != NotFound {
		t.Fatalf("get missing config: code %v (%v), want NotFound", code, err)
	}
}

func cfgPublishThenGet(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	group, id := h.Group(), h.DataID()
	writer, reader := cfgClient(t, ctx, h, ""), cfgClient(t, ctx, h, "")
	cfgPublish(t, ctx, writer, group, id, "port=8080")
	cfgWaitGet(t, ctx, reader, group, id, "port=8080")
	cfgPublish(t, ctx, writer, group, id, "port=9090")
	cfgWaitGet(t, ctx, reader, group, id, "port=9090")
}

func cfgUpdateSeenByWatcher(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	group, id := h.Group(), h.DataID()
	writer, watcher := cfgClient(t, ctx, h, ""), cfgClient(t, ctx, h, "")
	cfgPublish(t, ctx, writer, group, id, "v1")
	ch, err := watcher.Watch(ctx, group, id)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	cfgPublish(t, ctx, writer, group, id, "v2")
	cfgWaitEvent(t, ctx, ch, `"v2"`, func(ev ConfigEvent) bool { return ev.Content == "v2" })
	cfgPublish(t, ctx, writer, group, id, "v3")
	cfgWaitEvent(t, ctx, ch, `"v3"`, func(ev ConfigEvent) bool { return ev.Content == "v3" })
}

func cfgDeleteSeenByWatcher(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	group, id := h.Group(), h.DataID()
	writer, watcher := cfgClient(t, ctx, h, ""), cfgClient(t, ctx, h, "")
	cfgPublish(t, ctx, writer, group, id, "v1")
	ch, err := watcher.Watch(ctx, group, id)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	// SDK listeners sync with the server asynchronously, starting from
	// "no content": a deletion that lands before the first sync looks
	// like no change at all. Seeing an update first proves the watch live.
	cfgPublish(t, ctx, writer, group, id, "doomed")
	cfgWaitEvent(t, ctx, ch, `"doomed"`, func(ev ConfigEvent) bool { return ev.Content == "doomed" })
	if err := writer.Delete(ctx, group, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	cfgWaitEvent(t, ctx, ch, "the deletion", func(ev ConfigEvent) bool { return ev.Deleted })
	if _, err := writer.Get(ctx, group, id); h.Code(err) != NotFound {
		t.Fatalf("get after delete: code %v (%v), want NotFound", h.Code(err), err)
	}
	if err := writer.Delete(ctx, group, id); err != nil {
		t.Fatalf("deleting a missing config must succeed: %v", err)
	}
}

func cfgIsolation(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	nsA, err := h.Namespace(ctx)
	if err != nil {
		t.Fatalf("namespace: %v", err)
	}
	nsB, err := h.Namespace(ctx)
	if err != nil {
		t.Fatalf("namespace: %v", err)
	}
	id, g1, g2 := h.DataID(), h.Group(), h.Group()
	pub, a, b := cfgClient(t, ctx, h, ""), cfgClient(t, ctx, h, nsA), cfgClient(t, ctx, h, nsB)
	cfgPublish(t, ctx, pub, g1, id, "public/g1")
	cfgPublish(t, ctx, a, g1, id, "a/g1")
	cfgPublish(t, ctx, a, g2, id, "a/g2")
	cfgPublish(t, ctx, b, g1, id, "b/g1")
	cfgWaitGet(t, ctx, pub, g1, id, "public/g1")
	cfgWaitGet(t, ctx, a, g1, id, "a/g1")
	cfgWaitGet(t, ctx, a, g2, id, "a/g2")
	cfgWaitGet(t, ctx, b, g1, id, "b/g1")
	for _, miss := range []struct {
		c     ConfigClient
		group string
	}{{pub, g2}, {b, g2}} {
		if _, err := miss.c.Get(ctx, miss.group, id); h.Code(err) != NotFound {
			t.Fatalf("a config leaked across namespaces or groups: code %v (%v)", h.Code(err), err)
		}
	}
	if err := a.Delete(ctx, g1, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	cfgWaitGet(t, ctx, pub, g1, id, "public/g1")
	cfgWaitGet(t, ctx, b, g1, id, "b/g1")
	cfgWaitGet(t, ctx, a, g2, id, "a/g2")
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func cfgCASConflict(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	group, id := h.Group(), h.DataID()
	c := cfgClient(t, ctx, h, "")
	cfgPublish(t, ctx, c, group, id, "v1")
	err := c.PublishCAS(ctx, group, id, "lost", md5Hex("not the current content"))
	if code := h.Code(err); code != Conflict {
		t.Fatalf("CAS with a stale md5: code %v (%v), want Conflict", code, err)
	}
	cfgWaitGet(t, ctx, c, group, id, "v1")
	if err := c.PublishCAS(ctx, group, id, "v2", md5Hex("v1")); err != nil {
		t.Fatalf("CAS with the current md5: %v", err)
	}
	cfgWaitGet(t, ctx, c, group, id, "v2")
}

func cfgLargeAndUnicode(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	group := h.Group()
	c := cfgClient(t, ctx, h, "")
	unicode := "name=名前\ngreeting=Grüß Gott 👋\nquery=a&b=c+d%20e\ntab=\t\"quoted\" 'single' <xml/>\n"
	id := h.DataID()
	cfgPublish(t, ctx, c, group, id, unicode)
	cfgWaitGet(t, ctx, c, group, id, unicode)

	// 1 MiB of multi-byte text: far above typical configs, well under
	// Nacos's 10 MiB limit.
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString("line ")
		b.WriteString(strings.Repeat("é漢", 8))
		b.WriteString("\n")
	}
	large := b.String()
	id = h.DataID()
	cfgPublish(t, ctx, c, group, id, large)
	cfgWaitGet(t, ctx, c, group, id, large)
}

func cfgWrongCredentials(t *testing.T, h ConfigHarness) {
	ctx := ctxFor(t)
	c, err := h.BadCredentialsClient(ctx)
	if err == nil {
		t.Cleanup(func() { c.Close() })
		err = c.Publish(ctx, h.Group(), h.DataID(), "should not be stored")
	}
	if code := h.Code(err); code != Unauthenticated {
		t.Fatalf("publish with a wrong password: code %v (%v), want Unauthenticated", code, err)
	}
}

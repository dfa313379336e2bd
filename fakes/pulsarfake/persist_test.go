package pulsarfake_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

// logFiles lists the change logs of a data dir.
func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "pulsarfake-changes-*.log"))
	require.NoError(t, err)
	return files
}

func logBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, f := range logFiles(t, dir) {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// copyDir copies the files of a data dir, as a backup taken while the
// server runs would.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	ents, err := os.ReadDir(from)
	require.NoError(t, err)
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, e.Name()), b, 0o644))
	}
	return to
}

func crash(t *testing.T, srv *pulsarfake.Server) {
	t.Helper()
	require.NoError(t, srv.Crash())
}

func adminDo(t *testing.T, srv *pulsarfake.Server, method, path, body string) string {
	t.Helper()
	req, err := http.NewRequest(method, srv.AdminURL()+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Less(t, resp.StatusCode, 300, "%s %s: %s", method, path, b)
	return string(b)
}

// TestDataDirSurvivesCrash: everything the client was answered for is in
// the data dir before the answer, with no Close: acknowledged SENDs,
// individual, cumulative and batch-index acks, topics, tenants and
// namespaces.
func TestDataDirSurvivesCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	require.NoError(t, srv.CreateTopic("parted", 3))
	adminDo(t, srv, http.MethodPut, "/admin/v2/tenants/acme", `{"allowedClusters":["standalone"]}`)
	adminDo(t, srv, http.MethodPut, "/admin/v2/namespaces/acme/ns1", "")
	cl := newClient(t, srv)
	topic, batched := uniqueTopic(t), uniqueTopic(t)

	shared, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "shared",
		Type: pulsar.Shared, AckWithResponse: true})
	require.NoError(t, err)
	cumul, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "cumul", AckWithResponse: true})
	require.NoError(t, err)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	produce(t, p, payloads(10, "m")...)
	for i, m := range receive(t, shared, 10, false) {
		if i == 0 || i == 1 || i == 2 || i == 5 || i == 7 {
			require.NoError(t, shared.Ack(m))
		}
	}
	got := receive(t, cumul, 4, false)
	require.NoError(t, cumul.AckCumulative(got[3]))

	// A batch of 5; messages 0 and 3 acknowledged by batch index.
	bcons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: batched, SubscriptionName: "b",
		EnableBatchIndexAcknowledgment: true, AckWithResponse: true})
	require.NoError(t, err)
	bp, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: batched, BatchingMaxMessages: 5,
		BatchingMaxPublishDelay: time.Hour})
	require.NoError(t, err)
	done := make(chan error, 5)
	for _, m := range payloads(5, "b") {
		bp.SendAsync(context.Background(), m, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) { done <- err })
	}
	require.NoError(t, bp.FlushWithCtx(ctxT(t)))
	for range 5 {
		require.NoError(t, <-done)
	}
	for i, m := range receive(t, bcons, 5, false) {
		if i == 0 || i == 3 {
			require.NoError(t, bcons.Ack(m))
		}
	}
	require.EqualValues(t, 3, srv.Backlog(batched, "b"))

	// The copy is taken while the server runs, with its clients connected:
	// what a kill -9 would leave. The client is closed before Crash only
	// because its Close waits for a server that is gone.
	backup := copyDir(t, dir)
	cl.Close()
	crash(t, srv)

	for _, d := range []string{dir, backup} {
		srv2 := newServer(t, pulsarfake.WithDataDir(d))
		topics := srv2.Topics()
		require.Contains(t, topics, "persistent://public/default/parted")
		require.Contains(t, adminDo(t, srv2, http.MethodGet, "/admin/v2/tenants", ""), `"acme"`)
		require.Contains(t, adminDo(t, srv2, http.MethodGet, "/admin/v2/namespaces/acme", ""), `"acme/ns1"`)
		msgs, err := srv2.Messages(topic)
		require.NoError(t, err)
		require.Len(t, msgs, 10)
		require.EqualValues(t, 5, srv2.Backlog(topic, "shared"))
		require.EqualValues(t, 6, srv2.Backlog(topic, "cumul"))
		require.EqualValues(t, 3, srv2.Backlog(batched, "b"))

		cl2 := newClient(t, srv2)
		c2, err := cl2.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "shared", Type: pulsar.Shared})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"m-3", "m-4", "m-6", "m-8", "m-9"}, strs(receive(t, c2, 5, true)))
		c2.Close()
		b2, err := cl2.Subscribe(pulsar.ConsumerOptions{Topic: batched, SubscriptionName: "b",
			EnableBatchIndexAcknowledgment: true})
		require.NoError(t, err)
		require.Equal(t, []string{"b-1", "b-2", "b-4"}, strs(receive(t, b2, 3, true)))
		b2.Close()
		// New ids continue after the stored ones.
		p2, err := cl2.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
		require.NoError(t, err)
		produce(t, p2, payloads(1, "after")...)
		p2.Close()
		msgs, err = srv2.Messages(topic)
		require.NoError(t, err)
		require.Len(t, msgs, 11)
		cl2.Close()
	}
}

// TestDataDirDeletesSurviveCrash: deleting a subscription, a topic and a
// tenant is logged too.
func TestDataDirDeletesSurviveCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	require.NoError(t, srv.Seed("gone", "x"))
	require.NoError(t, srv.Seed("kept", "y"))
	adminDo(t, srv, http.MethodPut, "/admin/v2/persistent/public/default/kept/subscription/s1", "")
	adminDo(t, srv, http.MethodPut, "/admin/v2/persistent/public/default/kept/subscription/s2", "")
	adminDo(t, srv, http.MethodDelete, "/admin/v2/persistent/public/default/kept/subscription/s1", "")
	require.NoError(t, srv.DeleteTopic("gone"))
	require.NoError(t, srv.Seed("gone", "z")) // a new topic of the same name
	adminDo(t, srv, http.MethodPut, "/admin/v2/tenants/tmp", `{}`)
	adminDo(t, srv, http.MethodDelete, "/admin/v2/tenants/tmp", "")
	crash(t, srv)

	srv2 := newServer(t, pulsarfake.WithDataDir(dir))
	subs := adminDo(t, srv2, http.MethodGet, "/admin/v2/persistent/public/default/kept/subscriptions", "")
	var names []string
	require.NoError(t, json.Unmarshal([]byte(subs), &names))
	require.Equal(t, []string{"s2"}, names)
	msgs, err := srv2.Messages("gone")
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "z", string(msgs[0].Payload))
	require.NotContains(t, adminDo(t, srv2, http.MethodGet, "/admin/v2/tenants", ""), `"tmp"`)
}

// TestDataDirTornTail: a crash mid-append leaves half a record; the next
// start cuts it and keeps everything before it.
func TestDataDirTornTail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	require.NoError(t, srv.Seed("torn", "a", "b", "c"))
	crash(t, srv)

	files := logFiles(t, dir)
	require.Len(t, files, 1)
	f, err := os.OpenFile(files[0], os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], 100) // a record of 100 bytes ...
	_, err = f.Write(append(hdr[:], "only part of it"...))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	srv2, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	msgs, err := srv2.Messages("torn")
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	require.NoError(t, srv2.Seed("torn", "d"))
	crash(t, srv2)

	// Garbage instead of a record: cut as well.
	f, err = os.OpenFile(logFiles(t, dir)[0], os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("\x00\x00\x00\x05\xde\xad\xbe\xefhello"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	srv3 := newServer(t, pulsarfake.WithDataDir(dir))
	msgs, err = srv3.Messages("torn")
	require.NoError(t, err)
	var got []string
	for _, m := range msgs {
		got = append(got, string(m.Payload))
	}
	require.Equal(t, []string{"a", "b", "c", "d"}, got)
}

// TestDataDirCompaction: past the threshold the log is folded into the
// snapshot while the server runs, and nothing is lost.
func TestDataDirCompaction(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir), pulsarfake.WithCompactAt(limit))
	require.NoError(t, err)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", AckWithResponse: true})
	require.NoError(t, err)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	big := strings.Repeat("x", 4<<10)
	const n = 40 // 160 KiB, well past the limit
	for i := range n {
		produce(t, p, &pulsar.ProducerMessage{Payload: []byte(big), Properties: map[string]string{"i": string(rune('0' + i%10))}})
	}
	// Without compaction the log would hold every message; after it the
	// snapshot does and the log only what came since.
	require.Eventually(t, func() bool {
		fi, err := os.Stat(filepath.Join(dir, "pulsarfake.gob"))
		return err == nil && fi.Size() >= limit && logBytes(t, dir) < n*int64(len(big))
	}, 10*time.Second, 5*time.Millisecond, "log not compacted")
	got := receive(t, cons, 10, false)
	require.NoError(t, cons.AckCumulative(got[9]))
	p.Close()
	cons.Close()
	crash(t, srv)
	cl.Close()

	srv2 := newServer(t, pulsarfake.WithDataDir(dir), pulsarfake.WithCompactAt(limit))
	msgs, err := srv2.Messages(topic)
	require.NoError(t, err)
	require.Len(t, msgs, n)
	require.EqualValues(t, n-10, srv2.Backlog(topic, "s"))
	require.LessOrEqual(t, len(logFiles(t, dir)), 1)
}

// TestDataDirSyncWrites: WithSyncWrites changes durability, not behaviour.
func TestDataDirSyncWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir), pulsarfake.WithSyncWrites())
	require.NoError(t, err)
	require.NoError(t, srv.Seed("synced", "a", "b"))
	crash(t, srv)
	srv2 := newServer(t, pulsarfake.WithDataDir(dir), pulsarfake.WithSyncWrites())
	msgs, err := srv2.Messages("synced")
	require.NoError(t, err)
	require.Len(t, msgs, 2)
}

// TestDataDirTransactionsSurviveCrash: a committed transaction's messages
// stay, also when the snapshot was taken while it was open; aborted and
// never finished ones are gone.
func TestDataDirTransactionsSurviveCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.EnableTransaction = true })
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true, SendTimeout: -1})
	require.NoError(t, err)
	send := func(payload string) pulsar.Transaction {
		txn, err := cl.NewTransaction(time.Minute)
		require.NoError(t, err)
		_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Payload: []byte(payload), Transaction: txn})
		require.NoError(t, err)
		return txn
	}
	committed, aborted := send("committed"), send("aborted")
	send("never-finished")
	require.NoError(t, srv.Compact()) // the snapshot holds three open transactions
	require.NoError(t, committed.Commit(ctxT(t)))
	require.NoError(t, aborted.Abort(ctxT(t)))
	produce(t, p, payloads(1, "plain")...)
	p.Close()
	cons.Close()
	cl.Close()
	crash(t, srv)

	srv2 := newServer(t, pulsarfake.WithDataDir(dir))
	cl2 := newClient(t, srv2)
	c2, err := cl2.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer c2.Close()
	require.Equal(t, []string{"committed", "plain-0"}, strs(receive(t, c2, 2, true)))
	require.Eventually(t, func() bool { return srv2.Backlog(topic, "s") == 0 }, 5*time.Second, 5*time.Millisecond)
}

// TestDataDirCompactionUnderLoad: compactions run while changes keep
// coming (the log switches generation under the writers); nothing
// acknowledged is lost.
func TestDataDirCompactionUnderLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir), pulsarfake.WithCompactAt(2<<10))
	require.NoError(t, err)
	const writers, each = 4, 200
	errs := make(chan error, writers+1)
	for w := range writers {
		go func() {
			topic := "load-" + string(rune('a'+w))
			for i := range each {
				if err := srv.Seed(topic, topic+"-"+string(rune('0'+i%10))); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	go func() {
		var err error
		for range 20 {
			if err = srv.Compact(); err != nil {
				break
			}
		}
		errs <- err
	}()
	for range writers + 1 {
		require.NoError(t, <-errs)
	}
	crash(t, srv)

	srv2 := newServer(t, pulsarfake.WithDataDir(dir))
	for w := range writers {
		msgs, err := srv2.Messages("load-" + string(rune('a'+w)))
		require.NoError(t, err)
		require.Len(t, msgs, each)
	}
}

// TestDataDirAdminChangesSurviveCrash: policies, partition updates,
// schemas and cursor moves made through the admin API are logged.
func TestDataDirAdminChangesSurviveCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	const tp = "/admin/v2/persistent/public/default/"
	adminDo(t, srv, http.MethodPost, tp+"dd/deduplicationEnabled", "true")
	adminDo(t, srv, http.MethodPut, tp+"pp/partitions", "2")
	adminDo(t, srv, http.MethodPost, tp+"pp/partitions", "4")
	adminDo(t, srv, http.MethodPost, "/admin/v2/schemas/public/default/sc/schema", `{"type":"STRING","schema":""}`)
	require.NoError(t, srv.Seed("cur", "a", "b", "c"))
	adminDo(t, srv, http.MethodPut, tp+"cur/subscription/s", `{"ledgerId":-1,"entryId":-1}`)
	require.EqualValues(t, 3, srv.Backlog("cur", "s"))
	adminDo(t, srv, http.MethodPost, tp+"cur/subscription/s/skip_all", "")
	crash(t, srv)

	srv2 := newServer(t, pulsarfake.WithDataDir(dir))
	require.Equal(t, "true", strings.TrimSpace(adminDo(t, srv2, http.MethodGet, tp+"dd/deduplicationEnabled", "")))
	require.Contains(t, adminDo(t, srv2, http.MethodGet, tp+"pp/partitions", ""), "4")
	require.Contains(t, adminDo(t, srv2, http.MethodGet, "/admin/v2/schemas/public/default/sc/schema", ""), `"STRING"`)
	require.EqualValues(t, 0, srv2.Backlog("cur", "s"))
}

// Namespace and topic policies and permissions survive a crash (the log),
// a Close (the snapshot) and Restart, and removals survive too.
func TestDataDirPoliciesSurvive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	const ns, tp = "/admin/v2/namespaces/public/default/", "/admin/v2/persistent/public/default/"
	require.NoError(t, srv.CreateTopic("pol", 0))
	require.NoError(t, srv.CreateTopic("gone", 0))
	adminDo(t, srv, http.MethodPost, ns+"retention", `{"retentionTimeInMinutes":60,"retentionSizeInMB":10}`)
	adminDo(t, srv, http.MethodPost, ns+"messageTTL", "120")
	adminDo(t, srv, http.MethodPost, ns+"maxProducersPerTopic", "3")
	adminDo(t, srv, http.MethodDelete, ns+"maxProducersPerTopic", "")
	adminDo(t, srv, http.MethodPost, ns+"permissions/alice", `["produce","consume"]`)
	adminDo(t, srv, http.MethodPost, ns+"permissions/subscription/sub1", `["alice"]`)
	adminDo(t, srv, http.MethodPost, ns+"backlogQuota", `{"limitSize":1024,"policy":"producer_exception"}`)
	adminDo(t, srv, http.MethodPost, tp+"pol/maxProducers", "2")
	adminDo(t, srv, http.MethodPost, tp+"pol/permissions/bob", `["consume"]`)
	adminDo(t, srv, http.MethodPost, tp+"gone/maxConsumers", "5")
	adminDo(t, srv, http.MethodDelete, tp+"gone", "")

	check := func(srv *pulsarfake.Server) {
		t.Helper()
		require.JSONEq(t, `{"retentionTimeInMinutes":60,"retentionSizeInMB":10}`, adminDo(t, srv, http.MethodGet, ns+"retention", ""))
		require.Equal(t, "120", strings.TrimSpace(adminDo(t, srv, http.MethodGet, ns+"messageTTL", "")))
		require.Empty(t, strings.TrimSpace(adminDo(t, srv, http.MethodGet, ns+"maxProducersPerTopic", "")))
		require.JSONEq(t, `{"alice":["produce","consume"]}`, adminDo(t, srv, http.MethodGet, ns+"permissions", ""))
		require.JSONEq(t, `{"sub1":["alice"]}`, adminDo(t, srv, http.MethodGet, ns+"permissions/subscription", ""))
		require.Contains(t, adminDo(t, srv, http.MethodGet, ns+"backlogQuotaMap", ""), `"producer_exception"`)
		require.Equal(t, "2", strings.TrimSpace(adminDo(t, srv, http.MethodGet, tp+"pol/maxProducers", "")))
		require.JSONEq(t, `{"alice":["produce","consume"],"bob":["consume"]}`, adminDo(t, srv, http.MethodGet, tp+"pol/permissions", ""))
		require.NoError(t, srv.CreateTopic("gone", 0))
		require.Empty(t, strings.TrimSpace(adminDo(t, srv, http.MethodGet, tp+"gone/maxConsumers", "")))
		adminDo(t, srv, http.MethodDelete, tp+"gone", "")
	}
	crash(t, srv)
	srv2, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	check(srv2)
	require.NoError(t, srv2.Restart())
	check(srv2)
	require.NoError(t, srv2.Close())
	check(newServer(t, pulsarfake.WithDataDir(dir)))
}

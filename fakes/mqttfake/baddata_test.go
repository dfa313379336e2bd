package mqttfake

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/internal/syncbuf"

	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/datadir"
)

func retainedMsg(topic, payload string) storage.Message {
	return storage.Message{
		T: storage.RetainedKey, TopicName: topic, Payload: []byte(payload),
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: true, Qos: 1},
	}
}

// Bad items in a data dir (issue 14 item 8) are skipped with a logged
// error: the fake starts with everything else.
func TestDataDirBadItemsSkipped(t *testing.T) {
	dir := t.TempDir()

	// A snapshot with one good retained message and bad items of every kind.
	good := retainedMsg("good/topic", "keep")
	items := func(vs ...any) []json.RawMessage {
		var out []json.RawMessage
		for _, v := range vs {
			b, err := json.Marshal(v)
			require.NoError(t, err)
			out = append(out, b)
		}
		return out
	}
	snap := map[string]any{
		"version": 1,
		"retained": items(good, retainedMsg("bad/+", "wildcard"), retainedMsg("", "empty"),
			json.RawMessage(`{"payload": 5}`)),
		"clients":       items(storage.Client{ID: "", ProtocolVersion: 4}, json.RawMessage(`"not a client"`)),
		"subscriptions": items(storage.Subscription{Client: "nobody", Filter: "x/#"}),
		"inflight":      items(storage.Message{Client: "nobody", TopicName: "x/y", PacketID: 1}),
	}
	b, err := json.Marshal(snap)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, snapshotFile), b, 0o644))

	// A log (valid CRCs) with good and bad records.
	d, err := datadir.Open(dir)
	require.NoError(t, err)
	wal, err := d.OpenLog(logFile, false, nil)
	require.NoError(t, err)
	goodRec := retainedMsg("good/logged", "also kept")
	for _, r := range []any{
		record{Op: recRetain, Msg: &goodRec},
		json.RawMessage(`{not json`),
		record{Op: "zap"},
		record{Op: recRetain},
		record{Op: recRetain, Msg: &storage.Message{TopicName: "nul\x00topic", Payload: []byte("x")}},
		record{Op: recRetain, Msg: &storage.Message{TopicName: "x/#", Payload: []byte("x")}},
		record{Op: recClient, Cl: &storage.Client{ID: "sess", ProtocolVersion: 5,
			Properties: storage.ClientProperties{SessionExpiryInterval: 3600}}},
		record{Op: recSub, Sub: &storage.Subscription{Client: "sess", Filter: "a/#/b"}},
		record{Op: recSub, Sub: &storage.Subscription{Client: "sess", Filter: "ok/#", Qos: 1}},
	} {
		var rb []byte
		if raw, ok := r.(json.RawMessage); ok {
			rb = raw
		} else {
			rb, err = json.Marshal(r)
			require.NoError(t, err)
		}
		require.NoError(t, wal.Append(rb))
	}
	require.NoError(t, wal.Close())
	require.NoError(t, d.Close())

	var logs syncbuf.Buffer
	s := newServer(t, WithDataDir(dir), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	var topics []string
	for _, m := range s.Retained() {
		topics = append(topics, m.Topic)
	}
	require.Equal(t, []string{"good/logged", "good/topic"}, topics)
	ci, ok := s.Client("sess")
	require.True(t, ok)
	require.Equal(t, []string{"ok/#"}, ci.Subscriptions)
	skipped := strings.Count(logs.String(), "skipping a bad")
	t.Logf("skipped %d bad items", skipped)
	require.Equal(t, 13, skipped)

	// The broker serves.
	c := mustV5(t, s.Addr(), "reader")
	c.sub(t, "good/#", 1)
	got := []string{c.next(t).Topic, c.next(t).Topic}
	sort.Strings(got)
	require.Equal(t, []string{"good/logged", "good/topic"}, got)
}

// A snapshot that is not JSON at all is moved aside, not overwritten, and
// the fake starts from the log.
func TestDataDirCorruptSnapshotMovedAside(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, snapshotFile), []byte("\x00garbage{"), 0o644))
	var logs syncbuf.Buffer
	s, err := New(WithDataDir(dir), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	require.NoError(t, s.Publish("after/corrupt", []byte("x"), 1, true))
	require.NoError(t, s.Close())
	require.Contains(t, logs.String(), "unreadable snapshot moved aside")
	aside, err := filepath.Glob(filepath.Join(dir, snapshotFile+".corrupt-*"))
	require.NoError(t, err)
	require.Len(t, aside, 1)
	kept, err := os.ReadFile(aside[0])
	require.NoError(t, err)
	require.Equal(t, "\x00garbage{", string(kept))

	s2 := newServer(t, WithDataDir(dir))
	require.Len(t, s2.Retained(), 1)
}

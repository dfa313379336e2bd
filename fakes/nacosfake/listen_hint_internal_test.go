package nacosfake

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

// dialConfigConn is a set-up config connection of namespace tenant.
func dialConfigConn(t *testing.T, s *Server, tenant string) *wireClient {
	t.Helper()
	w := dialWire(t, s, false)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := w.cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, "/BiRequestStream/requestBiStream")
	require.NoError(t, err)
	require.NoError(t, st.SendMsg(&payload{Type: "ConnectionSetupRequest",
		Body: []byte(`{"clientVersion":"test","tenant":"` + tenant + `","labels":{"module":"config"}}`)}))
	w.stream = st
	require.Eventually(t, func() bool {
		for _, c := range s.Connections() {
			if c.Tenant == tenant && c.SetUp {
				return true
			}
		}
		return false
	}, 5*time.Second, 5*time.Millisecond)
	return w
}

func (w *wireClient) nextPush() map[string]any {
	w.t.Helper()
	var p payload
	require.NoError(w.t, w.stream.RecvMsg(&p))
	require.Equal(w.t, "ConfigChangeNotifyRequest", p.Type)
	return fields(w.t, &p)
}

// A change reaches the namespace's config connections before their first
// listen (nacos-sdk-go's listen tick is 5 s), once and without awaiting an
// ack, since the SDK drops pushes for keys it does not watch.
func TestWireChangeHintsConnectionsNotYetListening(t *testing.T) {
	s := newTestServer(t, func(o *options) { o.ackTimeout = 50 * time.Millisecond })
	w := dialConfigConn(t, s, "")
	other := dialConfigConn(t, s, "ns1")
	s.SetConfig("public", "G", "h", "v1")
	m := w.nextPush()
	require.Equal(t, "h", m["dataId"])
	require.Equal(t, "", m["tenant"]) // the connection's own spelling
	s.mu.Lock()
	conns := maps.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		c.inflightMu.Lock()
		require.Empty(t, c.inflight, "a hint is not re-pushed")
		c.inflightMu.Unlock()
	}

	// ns1's connection had no hint for public's key: its first push is
	// for its own namespace.
	s.SetConfig("ns1", "G", "h", "v1")
	require.Equal(t, "ns1", other.nextPush()["tenant"])

	// Once listening, the connection gets the real, acknowledged push only.
	w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"h","group":"G","tenant":"","md5":""}]}`, nil)
	s.SetConfig("", "G", "h", "v2")
	require.Equal(t, "h", w.nextPush()["dataId"])
}

func TestWireListenHintsOff(t *testing.T) {
	s := newTestServer(t, WithListenHints(false))
	w := dialConfigConn(t, s, "")
	s.SetConfig("", "G", "unwatched", "v1")
	w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"watched","group":"G","tenant":"","md5":""}]}`, nil)
	s.SetConfig("", "G", "watched", "v1")
	require.Equal(t, "watched", w.nextPush()["dataId"], "pushes are queued in order: no push for the unwatched key came first")
}

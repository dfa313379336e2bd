//go:build !race

// nacos-sdk-go v2.3.2 races in its own reconnect path (RpcClient.reconnect
// writes currentConnection while notifyConnectionEvent reads it), so tests
// that make the SDK reconnect stay out of -race runs.

package nacosclient_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
)

func TestNamingRegistrationsSurviveServerRestart(t *testing.T) {
	srv, ep := fake(t)
	n := namingClient(t, ep)
	svc := nacosclient.Service{Name: "phoenix"}
	require.NoError(t, n.Register(ctx(t), svc, nacosclient.Instance{IP: "10.0.4.1", Port: 80}))
	require.NoError(t, n.Register(ctx(t), svc, nacosclient.Instance{IP: "10.0.4.2", Port: 80}))
	require.Len(t, srv.Instances("", "", "phoenix"), 2)
	require.NoError(t, srv.Restart()) // ephemeral instances are lost with the connections
	// The SDK reconnects and re-sends its last registration: the batch.
	// Wait for it on the client's one live connection, so no reconnect is
	// still in flight when the client closes (the SDK would leak it).
	require.Eventually(t, func() bool {
		conns := srv.Connections()
		insts := srv.Instances("", "", "phoenix")
		return len(conns) == 1 && conns[0].SetUp && len(insts) == 2 && insts[0].Owner == conns[0].ID
	}, 30*time.Second, 50*time.Millisecond)
}

func TestConfigWatchSurvivesServerRestart(t *testing.T) {
	srv, ep := fake(t)
	// One client only: a second one could still be reconnecting when the
	// test ends, and the SDK leaks a reconnect that finishes after
	// CloseClient (it blocks sending the "connected" event).
	watcher := configClient(t, ep)
	srv.SetConfig("", nacosclient.DefaultGroup, "kept", "v1")
	_, err := watcher.Get(ctx(t), "", "kept")
	require.NoError(t, err)
	ch, err := watcher.Watch(ctx(t), "", "kept")
	require.NoError(t, err)
	require.NoError(t, srv.Restart()) // configs are kept; listeners re-listen
	srv.SetConfig("", nacosclient.DefaultGroup, "kept", "v2")
	for {
		select {
		case c := <-ch:
			if c.Content == "v2" {
				return
			}
		case <-ctx(t).Done():
			t.Fatal("the watch did not survive the restart")
		}
	}
}

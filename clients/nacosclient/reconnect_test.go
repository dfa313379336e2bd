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
	require.Eventually(t, func() bool { return len(srv.Instances("", "", "phoenix")) == 2 }, 30*time.Second, 50*time.Millisecond)
}

func TestConfigWatchSurvivesServerRestart(t *testing.T) {
	srv, ep := fake(t)
	watcher := configClient(t, ep)
	require.NoError(t, configClient(t, ep).Publish(ctx(t), "", "kept", "v1"))
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

//go:build !race

// nacos-sdk-go v2.3.2 has a data race in its own reconnect path
// (RpcClient.reconnect writes currentConnection while notifyConnectionEvent
// reads it), so the tests that make the SDK reconnect are left out of -race
// runs. wire_internal_test.go covers DropConnections and Restart at the
// protocol level under -race.

package nacosfake_test

import (
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"
)

func TestDropConnectionsSDKReRegisters(t *testing.T) {
	srv := newServer(t)
	nc := namingClient(t, srv)
	register(t, nc, vo.RegisterInstanceParam{ServiceName: "redo", Ip: "10.0.0.1", Port: 1})
	first := srv.Instances("", "", "redo")
	require.Len(t, first, 1)

	require.Positive(t, srv.DropConnections())
	// The SDK reconnects on a new connection and redoes its registration.
	require.Eventually(t, func() bool {
		insts := srv.Instances("", "", "redo")
		return len(insts) == 1 && insts[0].Owner != first[0].Owner
	}, waitFor, tick)
}

func TestRestartSDKRecovers(t *testing.T) {
	srv := newServer(t)
	cc := configClient(t, srv)
	nc := namingClient(t, srv)
	_, err := cc.PublishConfig(vo.ConfigParam{DataId: "kept", Group: "G", Content: "v1"})
	require.NoError(t, err)
	register(t, nc, vo.RegisterInstanceParam{ServiceName: "back", Ip: "10.0.0.1", Port: 1})

	require.NoError(t, srv.Restart())
	require.Eventually(t, func() bool {
		got, err := cc.GetConfig(vo.ConfigParam{DataId: "kept", Group: "G"})
		return err == nil && got == "v1"
	}, waitFor, tick)
	require.Eventually(t, func() bool { return len(srv.Instances("", "", "back")) == 1 }, waitFor, tick)
}

package nacosfake_test

import (
	"os"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/clients/nacosclient"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func newServer(t testing.TB, opts ...nacosfake.Option) *nacosfake.Server {
	t.Helper()
	srv, err := nacosfake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

// sdkDir is a scratch dir for SDK cache and logs. The SDK keeps writing
// after CloseClient, so t.TempDir's strict cleanup is avoided.
func sdkDir(t testing.TB) string {
	t.Helper()
	root := ""
	if _, ok := t.(*testing.B); ok {
		// The SDK writes a snapshot file on every GetConfig; on tmpfs that
		// costs microseconds instead of a millisecond.
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			root = "/dev/shm"
		}
	}
	dir, err := os.MkdirTemp(root, "nacosfake-sdk-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

type clientOpt func(*constant.ClientConfig)

func withNamespace(ns string) clientOpt { return func(c *constant.ClientConfig) { c.NamespaceId = ns } }
func withUser(u, p string) clientOpt {
	return func(c *constant.ClientConfig) { c.Username, c.Password = u, p }
}

func clientParam(t testing.TB, srv *nacosfake.Server, opts ...clientOpt) vo.NacosClientParam {
	dir := sdkDir(t)
	cc := constant.NewClientConfig(
		constant.WithTimeoutMs(5000),
		constant.WithNotLoadCacheAtStart(true),
		constant.WithDisableUseSnapShot(true),
		constant.WithUpdateCacheWhenEmpty(true),
		constant.WithCacheDir(dir+"/cache"),
		constant.WithLogDir(nacosclient.SharedLogDir()), // the SDK logger is global and outlives clients
		constant.WithLogLevel("error"),
	)
	for _, o := range opts {
		o(cc)
	}
	sc := constant.NewServerConfig(srv.Host(), uint64(srv.HTTPPort()), constant.WithGrpcPort(uint64(srv.GRPCPort())))
	return vo.NacosClientParam{ClientConfig: cc, ServerConfigs: []constant.ServerConfig{*sc}}
}

func configClient(t testing.TB, srv *nacosfake.Server, opts ...clientOpt) config_client.IConfigClient {
	t.Helper()
	c, err := clients.NewConfigClient(clientParam(t, srv, opts...))
	require.NoError(t, err)
	t.Cleanup(c.CloseClient)
	return c
}

func namingClient(t testing.TB, srv *nacosfake.Server, opts ...clientOpt) naming_client.INamingClient {
	t.Helper()
	c, err := clients.NewNamingClient(clientParam(t, srv, opts...))
	require.NoError(t, err)
	t.Cleanup(c.CloseClient)
	return c
}

// manualClock is a server clock the test moves (WithClock).
func manualClock() (*clock.Manual, nacosfake.Option) {
	clk := clock.NewManual(time.Now())
	return clk, nacosfake.WithClock(clk)
}

// advance moves clk and waits for the beat check it triggered to finish
// (the check re-arms its timer last).
func advance(t testing.TB, clk *clock.Manual, d time.Duration) {
	t.Helper()
	clk.Advance(d)
	require.Eventually(t, func() bool { return clk.Pending() > 0 }, 5*time.Second, time.Millisecond)
}

// waitFor is how long a push-driven assertion may take: the SDK's first
// listen round can take ~5 s.
const waitFor = 15 * time.Second
const tick = 20 * time.Millisecond

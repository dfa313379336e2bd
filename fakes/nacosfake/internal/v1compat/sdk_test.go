package v1compat_test

import (
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/clients"
	"github.com/nacos-group/nacos-sdk-go/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/common/constant"
	"github.com/nacos-group/nacos-sdk-go/model"
	"github.com/nacos-group/nacos-sdk-go/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func newServer(t *testing.T, opts ...nacosfake.Option) *nacosfake.Server {
	srv, err := nacosfake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

func param(t *testing.T, srv *nacosfake.Server, user, pass string) vo.NacosClientParam {
	dir, err := os.MkdirTemp("", "nacosfake-v1-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return vo.NacosClientParam{
		ClientConfig: &constant.ClientConfig{TimeoutMs: 5000, NotLoadCacheAtStart: true, UpdateCacheWhenEmpty: true,
			CacheDir: dir + "/cache", LogDir: filepath.Join(os.TempDir(), "brokerkit-nacos-sdk-v1-logs"), // the SDK logger is global and outlives clients
			LogLevel: "error", Username: user, Password: pass},
		ServerConfigs: []constant.ServerConfig{{IpAddr: srv.Host(), Port: uint64(srv.HTTPPort()), ContextPath: "/nacos"}},
	}
}

func v1Config(t *testing.T, srv *nacosfake.Server) config_client.IConfigClient {
	c, err := clients.NewConfigClient(param(t, srv, "", ""))
	require.NoError(t, err)
	return c
}

func v1Naming(t *testing.T, srv *nacosfake.Server) naming_client.INamingClient {
	c, err := clients.NewNamingClient(param(t, srv, "", ""))
	require.NoError(t, err)
	return c
}

const waitFor = 15 * time.Second
const tick = 20 * time.Millisecond

func TestV1ConfigPublishGetDelete(t *testing.T) {
	srv := newServer(t)
	cc := v1Config(t, srv)
	got, err := cc.GetConfig(vo.ConfigParam{DataId: "missing", Group: "G"})
	require.NoError(t, err) // 404 -> "" with no error
	require.Empty(t, got)

	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "v1.props", Group: "G", Content: "a=1\n名=值"})
	require.NoError(t, err)
	require.True(t, ok)
	got, err = cc.GetConfig(vo.ConfigParam{DataId: "v1.props", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "a=1\n名=值", got)

	ok, err = cc.DeleteConfig(vo.ConfigParam{DataId: "v1.props", Group: "G"})
	require.NoError(t, err)
	require.True(t, ok)
	_, found := srv.GetConfig("", "G", "v1.props")
	require.False(t, found)
}

func TestV1ConfigListenSeesUpdateAndDelete(t *testing.T) {
	srv := newServer(t)
	srv.SetConfig("", "G", "watched", "v0")
	cc := v1Config(t, srv)
	var mu sync.Mutex
	var seen []string
	require.NoError(t, cc.ListenConfig(vo.ConfigParam{DataId: "watched", Group: "G", OnChange: func(_, _, _, data string) {
		mu.Lock()
		seen = append(seen, data)
		mu.Unlock()
	}}))
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return "<none>"
		}
		return seen[len(seen)-1]
	}
	require.Eventually(t, func() bool { return last() == "v0" }, waitFor, tick) // initial sync
	srv.SetConfig("", "G", "watched", "v1")
	require.Eventually(t, func() bool { return last() == "v1" }, waitFor, tick)
	srv.DeleteConfig("", "G", "watched")
	require.Eventually(t, func() bool { return last() == "" }, waitFor, tick)
}

func TestV1NamingRegisterBeatDeregister(t *testing.T) {
	clk := clock.NewManual(time.Now())
	srv := newServer(t, nacosfake.WithClock(clk))
	nc := v1Naming(t, srv)
	ok, err := nc.RegisterInstance(vo.RegisterInstanceParam{Ip: "10.1.0.1", Port: 80, ServiceName: "web", Weight: 2,
		Enable: true, Healthy: true, Ephemeral: true, Metadata: map[string]string{"v": "1"}})
	require.NoError(t, err)
	require.True(t, ok)
	insts := srv.Instances("", "", "web")
	require.Len(t, insts, 1)
	require.Equal(t, 2.0, insts[0].Weight)
	require.Equal(t, map[string]string{"v": "1"}, insts[0].Metadata)

	got, err := nc.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "web"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "10.1.0.1", got[0].Ip)

	// The SDK beats every 5 s; a beat after the instance went unhealthy
	// makes it healthy again.
	// The beat check runs on its own goroutine once the clock moves; a real
	// beat landing just before it keeps the instance healthy, so move the
	// clock again until a check finds the beats stale.
	require.Eventually(t, func() bool {
		if !srv.Instances("", "", "web")[0].Healthy {
			return true
		}
		clk.Advance(16 * time.Second)
		return false
	}, waitFor, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		in := srv.Instances("", "", "web")
		return len(in) == 1 && in[0].Healthy
	}, waitFor, tick)

	list, err := nc.GetAllServicesInfo(vo.GetAllServiceInfoParam{PageNo: 1, PageSize: 10})
	require.NoError(t, err)
	require.Equal(t, []string{"web"}, list.Doms)

	ok, err = nc.DeregisterInstance(vo.DeregisterInstanceParam{Ip: "10.1.0.1", Port: 80, ServiceName: "web", Ephemeral: true})
	require.NoError(t, err)
	require.True(t, ok)
	require.Empty(t, srv.Instances("", "", "web"))
}

func TestV1NamingSubscribeSeesChanges(t *testing.T) {
	srv := newServer(t)
	nc := v1Naming(t, srv)
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "poll", IP: "10.2.0.1", Port: 1, Enabled: true, Healthy: true, Ephemeral: true}))
	var mu sync.Mutex
	var last []model.SubscribeService
	require.NoError(t, nc.Subscribe(&vo.SubscribeParam{ServiceName: "poll", SubscribeCallback: func(s []model.SubscribeService, err error) {
		mu.Lock()
		last = s
		mu.Unlock()
	}}))
	ips := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, s := range last {
			out = append(out, s.Ip)
		}
		sort.Strings(out)
		return out
	}
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "poll", IP: "10.2.0.2", Port: 1, Enabled: true, Healthy: true, Ephemeral: true}))
	require.Eventually(t, func() bool { return len(ips()) == 2 }, 30*time.Second, 50*time.Millisecond)
}

package nacosclient_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func ips(list []nacosclient.Instance) []string {
	out := []string{}
	for _, in := range list {
		out = append(out, in.IP)
	}
	return out
}

func TestNamingRegisterSeveralListDeregister(t *testing.T) {
	srv, ep := fake(t)
	n := namingClient(t, ep)
	svc := nacosclient.Service{Group: "G", Name: "web"}
	require.NoError(t, n.Register(ctx(t), svc, nacosclient.Instance{IP: "10.0.0.1", Port: 80, Metadata: map[string]string{"v": "1"}}))
	require.NoError(t, n.Register(ctx(t), svc, nacosclient.Instance{IP: "10.0.0.2", Port: 80, Weight: 3}))
	require.Len(t, srv.Instances("", "G", "web"), 2, "a second register keeps the first (sent as a batch)")

	var list []nacosclient.Instance
	require.Eventually(t, func() bool {
		var err error
		list, err = n.List(ctx(t), svc, nacosclient.ListOptions{})
		return err == nil && len(list) == 2
	}, waitFor, tick)
	require.Equal(t, []string{"10.0.0.1", "10.0.0.2"}, ips(list))
	require.Equal(t, map[string]string{"v": "1"}, list[0].Metadata)
	require.Equal(t, 1.0, list[0].Weight)
	require.Equal(t, 3.0, list[1].Weight)
	require.False(t, list[0].Persistent)

	require.NoError(t, n.Update(ctx(t), svc, nacosclient.Instance{IP: "10.0.0.2", Port: 80, Weight: 5}))
	require.Eventually(t, func() bool {
		list, err := n.List(ctx(t), svc, nacosclient.ListOptions{})
		return err == nil && len(list) == 2 && list[1].Weight == 5
	}, waitFor, tick)

	require.NoError(t, n.Deregister(ctx(t), svc, nacosclient.Instance{IP: "10.0.0.1", Port: 80}))
	require.Len(t, srv.Instances("", "G", "web"), 1)
	require.NoError(t, n.Deregister(ctx(t), svc, nacosclient.Instance{IP: "10.0.0.2", Port: 80}))
	require.Empty(t, srv.Instances("", "G", "web"))
	require.Eventually(t, func() bool {
		list, err := n.List(ctx(t), svc, nacosclient.ListOptions{})
		return err == nil && len(list) == 0
	}, waitFor, tick)
}

func TestNamingHealthyFilterClustersAndSelect(t *testing.T) {
	srv, ep := fake(t)
	n := namingClient(t, ep)
	svc := nacosclient.Service{Name: "api"}
	_, err := n.SelectHealthy(ctx(t), svc)
	require.ErrorIs(t, err, nacosclient.ErrNotFound)

	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "api", IP: "10.0.1.1", Port: 1, Weight: 1, Enabled: true, Healthy: true, Ephemeral: true, Cluster: "east"}))
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "api", IP: "10.0.1.2", Port: 1, Weight: 1, Enabled: true, Healthy: false, Ephemeral: true, Cluster: "west"}))
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "api", IP: "10.0.1.3", Port: 1, Weight: 1, Enabled: false, Healthy: true, Ephemeral: true, Cluster: "east"}))

	// The SDK cached the empty answer above; the server's push updates it.
	var list []nacosclient.Instance
	require.Eventually(t, func() bool {
		var err error
		list, err = n.List(ctx(t), svc, nacosclient.ListOptions{})
		return err == nil && len(list) == 2
	}, waitFor, tick)
	require.Equal(t, []string{"10.0.1.1", "10.0.1.2"}, ips(list), "disabled instances are never listed")
	require.True(t, list[1].Unhealthy)
	healthy, err := n.List(ctx(t), svc, nacosclient.ListOptions{HealthyOnly: true})
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.1.1"}, ips(healthy))
	west, err := n.List(ctx(t), svc, nacosclient.ListOptions{Clusters: []string{"west"}})
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.1.2"}, ips(west))

	one, err := n.SelectHealthy(ctx(t), svc)
	require.NoError(t, err)
	require.Equal(t, "10.0.1.1", one.IP)
	_, err = n.SelectHealthy(ctx(t), svc, "west")
	require.ErrorIs(t, err, nacosclient.ErrNotFound)
}

func TestNamingSubscribeChannelAndUnsubscribe(t *testing.T) {
	_, ep := fake(t)
	watcher := namingClient(t, ep)
	svc := nacosclient.Service{Name: "sub"}
	ch, err := watcher.Subscribe(ctx(t), svc)
	require.NoError(t, err)
	_, err = watcher.Subscribe(ctx(t), svc)
	require.Error(t, err)

	owner, err := nacosclient.NewNaming(ep)
	require.NoError(t, err)
	require.NoError(t, owner.Register(ctx(t), svc, nacosclient.Instance{IP: "10.0.2.1", Port: 8080}))
	waitList := func(want ...string) {
		t.Helper()
		for {
			select {
			case list := <-ch:
				if len(list) == len(want) && (len(want) == 0 || ips(list)[0] == want[0]) {
					return
				}
			case <-ctx(t).Done():
				t.Fatalf("never saw %v", want)
			}
		}
	}
	waitList("10.0.2.1")
	require.NoError(t, owner.Close(), "closing the connection removes its ephemeral instances")
	waitList()

	require.NoError(t, watcher.Unsubscribe(svc))
	for range ch {
	}
}

func TestNamingSubscribeFuncAndPersistent(t *testing.T) {
	srv, ep := fake(t)
	n := namingClient(t, ep)
	svc := nacosclient.Service{Name: "db"}
	seen := make(chan []nacosclient.Instance, 10)
	require.NoError(t, n.SubscribeFunc(ctx(t), svc, func(l []nacosclient.Instance) { seen <- l }))
	in := nacosclient.Instance{IP: "10.0.3.1", Port: 5432, Persistent: true}
	require.NoError(t, n.Register(ctx(t), svc, in))
	for l := range seen {
		if len(l) == 1 {
			require.True(t, l[0].Persistent)
			break
		}
	}
	require.Len(t, srv.Instances("", "", "db"), 1)
	require.NoError(t, n.Deregister(ctx(t), svc, in))
	require.Empty(t, srv.Instances("", "", "db"))
}

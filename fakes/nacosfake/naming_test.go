package nacosfake_test

import (
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"
)

func register(t *testing.T, nc interface {
	RegisterInstance(vo.RegisterInstanceParam) (bool, error)
}, p vo.RegisterInstanceParam) {
	t.Helper()
	if p.Weight == 0 {
		p.Weight = 1
	}
	p.Enable, p.Healthy, p.Ephemeral = true, true, true
	ok, err := nc.RegisterInstance(p)
	require.NoError(t, err)
	require.True(t, ok)
}

func ports(insts []model.Instance) []int {
	var out []int
	for _, in := range insts {
		out = append(out, int(in.Port))
	}
	sort.Ints(out)
	return out
}

func TestNamingRegisterAndList(t *testing.T) {
	srv := newServer(t)
	a, b, reader := namingClient(t, srv), namingClient(t, srv), namingClient(t, srv)
	register(t, a, vo.RegisterInstanceParam{ServiceName: "orders", Ip: "10.0.0.1", Port: 8080,
		Weight: 3.5, Metadata: map[string]string{"zone": "a", "version": "1.2"}})
	register(t, b, vo.RegisterInstanceParam{ServiceName: "orders", Ip: "10.0.0.2", Port: 8081})

	insts, err := reader.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "orders"})
	require.NoError(t, err)
	require.Equal(t, []int{8080, 8081}, ports(insts))
	for _, in := range insts {
		if in.Port == 8080 {
			require.Equal(t, 3.5, in.Weight)
			require.Equal(t, map[string]string{"zone": "a", "version": "1.2"}, in.Metadata)
			require.Equal(t, "DEFAULT", in.ClusterName)
			require.Equal(t, "DEFAULT_GROUP@@orders", in.ServiceName)
			require.True(t, in.Ephemeral)
		}
	}
	require.Len(t, srv.Instances("", "", "orders"), 2)

	list, err := reader.GetAllServicesInfo(vo.GetAllServiceInfoParam{PageNo: 1, PageSize: 10})
	require.NoError(t, err)
	require.Equal(t, int64(1), list.Count)
	require.Equal(t, []string{"orders"}, list.Doms)
}

func TestNamingSubscriberNotifiedOnDeregister(t *testing.T) {
	srv := newServer(t)
	owner, watcher := namingClient(t, srv), namingClient(t, srv)
	register(t, owner, vo.RegisterInstanceParam{ServiceName: "pay", Ip: "10.0.0.1", Port: 1})

	var mu sync.Mutex
	var last []model.Instance
	calls := 0
	require.NoError(t, watcher.Subscribe(&vo.SubscribeParam{ServiceName: "pay", SubscribeCallback: func(s []model.Instance, err error) {
		mu.Lock()
		last, calls = s, calls+1
		mu.Unlock()
	}}))
	snapshot := func() ([]int, int) { mu.Lock(); defer mu.Unlock(); return ports(last), calls }
	require.Eventually(t, func() bool { p, _ := snapshot(); return len(p) == 1 }, waitFor, tick)
	require.Len(t, srv.Subscribers(), 1)

	register(t, owner, vo.RegisterInstanceParam{ServiceName: "pay", Ip: "10.0.0.1", Port: 2}) // replaces port 1
	require.Eventually(t, func() bool { p, _ := snapshot(); return len(p) == 1 && p[0] == 2 }, waitFor, tick)

	ok, err := owner.DeregisterInstance(vo.DeregisterInstanceParam{ServiceName: "pay", Ip: "10.0.0.1", Port: 2, Ephemeral: true})
	require.NoError(t, err)
	require.True(t, ok)
	require.Eventually(t, func() bool { p, _ := snapshot(); return len(p) == 0 }, waitFor, tick)
}

func TestNamingEphemeralGoneWhenClientCloses(t *testing.T) {
	srv := newServer(t)
	watcher := namingClient(t, srv)
	owner := namingClient(t, srv)
	register(t, owner, vo.RegisterInstanceParam{ServiceName: "eph", Ip: "10.0.0.9", Port: 9})
	require.Len(t, srv.Instances("", "", "eph"), 1)

	var mu sync.Mutex
	var n = -1
	require.NoError(t, watcher.Subscribe(&vo.SubscribeParam{ServiceName: "eph", SubscribeCallback: func(s []model.Instance, err error) {
		mu.Lock()
		n = len(s)
		mu.Unlock()
	}}))
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return n == 1 }, waitFor, tick)

	owner.CloseClient()
	require.Eventually(t, func() bool { return len(srv.Instances("", "", "eph")) == 0 }, waitFor, tick)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return n == 0 }, waitFor, tick)
}

func TestNamingHealthyOnlyAndClusterFilter(t *testing.T) {
	srv := newServer(t)
	nc := namingClient(t, srv)
	require.NoError(t, srv.RegisterInstance(nacosfakeInstance("svc", "10.0.0.1", 1, "east", true)))
	require.NoError(t, srv.RegisterInstance(nacosfakeInstance("svc", "10.0.0.2", 2, "east", false)))
	require.NoError(t, srv.RegisterInstance(nacosfakeInstance("svc", "10.0.0.3", 3, "west", true)))

	healthy, err := nc.SelectInstances(vo.SelectInstancesParam{ServiceName: "svc", HealthyOnly: true})
	require.NoError(t, err)
	require.Equal(t, []int{1, 3}, ports(healthy))

	unhealthy, err := nc.SelectInstances(vo.SelectInstancesParam{ServiceName: "svc", HealthyOnly: false})
	require.NoError(t, err)
	require.Equal(t, []int{2}, ports(unhealthy))

	east, err := nc.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "svc", Clusters: []string{"east"}})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, ports(east))

	one, err := nc.SelectOneHealthyInstance(vo.SelectOneHealthInstanceParam{ServiceName: "svc", Clusters: []string{"west"}})
	require.NoError(t, err)
	require.Equal(t, uint64(3), one.Port)
}

func TestNamingBatchRegisterAndGroups(t *testing.T) {
	srv := newServer(t)
	nc := namingClient(t, srv)
	ok, err := nc.BatchRegisterInstance(vo.BatchRegisterInstanceParam{ServiceName: "batch", GroupName: "G1", Instances: []vo.RegisterInstanceParam{
		{Ip: "10.0.0.1", Port: 1, Weight: 1, Enable: true, Healthy: true, Ephemeral: true},
		{Ip: "10.0.0.2", Port: 2, Weight: 1, Enable: true, Healthy: true, Ephemeral: true},
	}})
	require.NoError(t, err)
	require.True(t, ok)
	insts, err := nc.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "batch", GroupName: "G1"})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, ports(insts))
	other, err := nc.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "batch", GroupName: "G2"})
	require.NoError(t, err)
	require.Empty(t, other)
	list, err := nc.GetAllServicesInfo(vo.GetAllServiceInfoParam{GroupName: "G1", PageNo: 1, PageSize: 10})
	require.NoError(t, err)
	require.Equal(t, []string{"batch"}, list.Doms)
}

func TestNamingPersistentInstanceViaSDKUsesHTTP(t *testing.T) {
	srv := newServer(t)
	nc := namingClient(t, srv)
	ok, err := nc.RegisterInstance(vo.RegisterInstanceParam{ServiceName: "pers", Ip: "10.0.0.7", Port: 7, Weight: 1,
		Enable: true, Healthy: true, Ephemeral: false, Metadata: map[string]string{"k": "v"}})
	require.NoError(t, err)
	require.True(t, ok)
	insts := srv.Instances("", "", "pers")
	require.Len(t, insts, 1)
	require.False(t, insts[0].Ephemeral)
	require.Equal(t, map[string]string{"k": "v"}, insts[0].Metadata)
	nc.CloseClient()
	require.Len(t, srv.Instances("", "", "pers"), 1, "persistent instances outlive their client")
}

func TestNamingUnsubscribe(t *testing.T) {
	srv := newServer(t)
	nc := namingClient(t, srv)
	p := &vo.SubscribeParam{ServiceName: "unsub", SubscribeCallback: func([]model.Instance, error) {}}
	require.NoError(t, nc.Subscribe(p))
	require.Eventually(t, func() bool { return len(srv.Subscribers()) == 1 }, waitFor, tick)
	// The SDK's reconnect-redo task runs once right after the client
	// connects and can re-send a subscribe that overtakes our unsubscribe,
	// so the unsubscribe is repeated until it sticks (as it would against a
	// real server).
	require.Eventually(t, func() bool {
		require.NoError(t, nc.Unsubscribe(p))
		return len(srv.Subscribers()) == 0
	}, waitFor, 200*time.Millisecond)
}

func TestNamingNamespaceIsolation(t *testing.T) {
	srv := newServer(t)
	dev, pub := namingClient(t, srv, withNamespace("dev")), namingClient(t, srv)
	register(t, dev, vo.RegisterInstanceParam{ServiceName: "iso", Ip: "10.0.0.1", Port: 1})
	register(t, pub, vo.RegisterInstanceParam{ServiceName: "iso", Ip: "10.0.0.2", Port: 2})
	got, err := dev.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "iso"})
	require.NoError(t, err)
	require.Equal(t, []int{1}, ports(got))
	got, err = pub.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "iso"})
	require.NoError(t, err)
	require.Equal(t, []int{2}, ports(got))
	require.Len(t, srv.Instances("dev", "", "iso"), 1)
	require.Len(t, srv.Instances("public", "", "iso"), 1)
}

func TestNamingManyClientsConverge(t *testing.T) {
	srv := newServer(t)
	const n = 5
	type seen struct {
		mu   sync.Mutex
		last int
	}
	views := make([]*seen, n)
	for i := 0; i < n; i++ {
		nc := namingClient(t, srv)
		v := &seen{}
		views[i] = v
		require.NoError(t, nc.Subscribe(&vo.SubscribeParam{ServiceName: "mesh", SubscribeCallback: func(s []model.Instance, _ error) {
			v.mu.Lock()
			v.last = len(s)
			v.mu.Unlock()
		}}))
		go func(i int) { // registrations race with each other's pushes
			_, _ = nc.RegisterInstance(vo.RegisterInstanceParam{ServiceName: "mesh", Ip: "10.0.1." + strconv.Itoa(i), Port: 80,
				Weight: 1, Enable: true, Healthy: true, Ephemeral: true})
		}(i)
	}
	require.Eventually(t, func() bool {
		for _, v := range views {
			v.mu.Lock()
			last := v.last
			v.mu.Unlock()
			if last != n {
				return false
			}
		}
		return true
	}, waitFor, tick)
	require.Len(t, srv.Instances("", "", "mesh"), n)
	require.Len(t, srv.Subscribers(), n)
}

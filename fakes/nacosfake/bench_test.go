package nacosfake_test

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		srv, err := nacosfake.New()
		require.NoError(b, err)
		require.NoError(b, srv.Close())
	}
}

// BenchmarkConfigGetSDK reads through GetConfig. The SDK rate-limits
// queries to ~5/s per key process-wide (config_client/limiter.go), so the
// reads rotate over many keys.
func BenchmarkConfigGetSDK(b *testing.B) {
	const keys = 20000
	srv := newServer(b)
	for k := 0; k < keys; k++ {
		srv.SetConfig("", "G", "bench-"+strconv.Itoa(k), "some: content")
	}
	cc := configClient(b, srv)
	var next atomic.Int64
	b.SetParallelism(32) // RPCs are latency-bound; keep many in flight
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := "bench-" + strconv.Itoa(int(next.Add(1)%keys))
			if _, err := cc.GetConfig(vo.ConfigParam{DataId: id, Group: "G"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

func BenchmarkConfigPublishSDK(b *testing.B) {
	srv := newServer(b)
	cc := configClient(b, srv)
	var n sync.Mutex
	i := 0
	b.SetParallelism(32) // RPCs are latency-bound; keep many in flight
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Lock()
			i++
			v := strconv.Itoa(i)
			n.Unlock()
			if _, err := cc.PublishConfig(vo.ConfigParam{DataId: "bench", Group: "G", Content: v}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
}

// BenchmarkPublishToWatcher measures publish -> ListenConfig callback. It
// rotates over several watched keys to stay under the SDK's per-key query
// rate limit, which the watcher's re-query goes through.
func BenchmarkPublishToWatcher(b *testing.B) {
	const keys = 32
	srv := newServer(b)
	watcher, writer := configClient(b, srv), configClient(b, srv)
	got := make([]chan string, keys)
	for k := range got {
		id := "w" + strconv.Itoa(k)
		srv.SetConfig("", "G", id, "init")
		_, err := watcher.GetConfig(vo.ConfigParam{DataId: id, Group: "G"}) // seeds the md5
		require.NoError(b, err)
		ch := make(chan string, 16)
		got[k] = ch
		require.NoError(b, watcher.ListenConfig(vo.ConfigParam{DataId: id, Group: "G", OnChange: func(_, _, _, d string) { ch <- d }}))
	}
	require.Eventually(b, func() bool { return len(srv.Listeners()) == keys }, waitFor, tick)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k, v := i%keys, strconv.Itoa(i)
		_, err := writer.PublishConfig(vo.ConfigParam{DataId: "w" + strconv.Itoa(k), Group: "G", Content: v})
		require.NoError(b, err)
		for d := range got[k] {
			if d == v {
				break
			}
		}
	}
}

// BenchmarkPublishToNewWatcher measures publish -> callback for a watch
// the SDK has just added, the usual order in an app or a test: ListenConfig
// only fills the SDK's cache, and its first listen request waits for the
// SDK's 5 s tick unless a push arrives first (see WithListenHints; with
// them off p90 is ~5.1 s). The p50 and p90 metrics are milliseconds from
// publish to callback.
func BenchmarkPublishToNewWatcher(b *testing.B) {
	srv := newServer(b)
	watcher, writer := configClient(b, srv), configClient(b, srv)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		id, v := "new"+strconv.Itoa(i), strconv.Itoa(i)
		ch := make(chan string, 4)
		require.NoError(b, watcher.ListenConfig(vo.ConfigParam{DataId: id, Group: "G", OnChange: func(_, _, _, d string) { ch <- d }}))
		start := time.Now()
		_, err := writer.PublishConfig(vo.ConfigParam{DataId: id, Group: "G", Content: v})
		require.NoError(b, err)
		for d := range ch {
			if d == v {
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.9), "p90-ms")
}

// BenchmarkRegisterToSubscriber measures register -> Subscribe callback
// with the push debounce lowered to 1 ms (Nacos uses 500 ms).
func BenchmarkRegisterToSubscriber(b *testing.B) {
	srv := newServer(b, nacosfake.WithPushDelay(time.Millisecond))
	sub, reg := namingClient(b, srv), namingClient(b, srv)
	got := make(chan []model.Instance, 16)
	require.NoError(b, sub.Subscribe(&vo.SubscribeParam{ServiceName: "bench", SubscribeCallback: func(s []model.Instance, _ error) { got <- s }}))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		port := uint64(1000 + i%2)
		_, err := reg.RegisterInstance(vo.RegisterInstanceParam{ServiceName: "bench", Ip: "10.0.0.1", Port: port, Weight: 1, Enable: true, Healthy: true, Ephemeral: true})
		require.NoError(b, err)
		for s := range got {
			if len(s) == 1 && s[0].Port == port {
				break
			}
		}
	}
}

// BenchmarkHTTPConfigGet reads through GET /nacos/v1/cs/configs.
func BenchmarkHTTPConfigGet(b *testing.B) {
	srv := newServer(b)
	srv.SetConfig("", "G", "bench", "some: content")
	u := srv.URL() + "/v1/cs/configs?dataId=bench&group=G"
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Get(u)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

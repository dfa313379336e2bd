package nacosfake_test

import (
	"crypto/md5"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func TestConfigMissingIsEmptyNotError(t *testing.T) {
	srv := newServer(t)
	cc := configClient(t, srv)
	content, err := cc.GetConfig(vo.ConfigParam{DataId: "missing", Group: "DEFAULT_GROUP"})
	require.NoError(t, err) // the SDK maps errorCode 300 to "" with no error
	require.Empty(t, content)
}

func TestConfigPublishGetDelete(t *testing.T) {
	srv := newServer(t)
	cc := configClient(t, srv)
	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "app.yaml", Group: "G", Content: "port: 1", Type: "yaml"})
	require.NoError(t, err)
	require.True(t, ok)
	got, err := cc.GetConfig(vo.ConfigParam{DataId: "app.yaml", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "port: 1", got)
	c, found := srv.GetConfig("", "G", "app.yaml")
	require.True(t, found)
	require.Equal(t, "yaml", c.Type)
	require.Equal(t, fmt.Sprintf("%x", md5.Sum([]byte("port: 1"))), c.MD5)

	ok, err = cc.DeleteConfig(vo.ConfigParam{DataId: "app.yaml", Group: "G"})
	require.NoError(t, err)
	require.True(t, ok)
	got, err = cc.GetConfig(vo.ConfigParam{DataId: "app.yaml", Group: "G"})
	require.NoError(t, err)
	require.Empty(t, got)
	// Deleting again succeeds, as in Nacos.
	ok, err = cc.DeleteConfig(vo.ConfigParam{DataId: "app.yaml", Group: "G"})
	require.NoError(t, err)
	require.True(t, ok)
}

func TestConfigNamespaceAndGroupIsolation(t *testing.T) {
	srv := newServer(t)
	pub := configClient(t, srv)
	dev := configClient(t, srv, withNamespace("dev"))
	_, err := pub.PublishConfig(vo.ConfigParam{DataId: "k", Group: "A", Content: "public-A"})
	require.NoError(t, err)
	_, err = pub.PublishConfig(vo.ConfigParam{DataId: "k", Group: "B", Content: "public-B"})
	require.NoError(t, err)
	_, err = dev.PublishConfig(vo.ConfigParam{DataId: "k", Group: "A", Content: "dev-A"})
	require.NoError(t, err)

	for _, tc := range []struct{ group, want string }{{"A", "public-A"}, {"B", "public-B"}} {
		got, err := pub.GetConfig(vo.ConfigParam{DataId: "k", Group: tc.group})
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
	got, err := dev.GetConfig(vo.ConfigParam{DataId: "k", Group: "A"})
	require.NoError(t, err)
	require.Equal(t, "dev-A", got)
	got, err = dev.GetConfig(vo.ConfigParam{DataId: "k", Group: "B"})
	require.NoError(t, err)
	require.Empty(t, got)
	c, ok := srv.GetConfig("public", "A", "k") // "public" is the default namespace
	require.True(t, ok)
	require.Equal(t, "public-A", c.Content)
}

func TestConfigCASConflict(t *testing.T) {
	srv := newServer(t)
	cc := configClient(t, srv)
	_, err := cc.PublishConfig(vo.ConfigParam{DataId: "cas", Group: "G", Content: "v1"})
	require.NoError(t, err)
	c, _ := srv.GetConfig("", "G", "cas")

	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "cas", Group: "G", Content: "v2", CasMd5: "not-the-md5"})
	require.Error(t, err)
	require.False(t, ok)
	require.Contains(t, err.Error(), "Cas publish fail")

	ok, err = cc.PublishConfig(vo.ConfigParam{DataId: "cas", Group: "G", Content: "v2", CasMd5: c.MD5})
	require.NoError(t, err)
	require.True(t, ok)
	got, _ := cc.GetConfig(vo.ConfigParam{DataId: "cas", Group: "G"})
	require.Equal(t, "v2", got)
}

func TestConfigLargeAndUnicodeContent(t *testing.T) {
	srv := newServer(t)
	// A multi-MiB JSON round trip under -race on a busy 2-core box can
	// exceed the default 5 s client timeout.
	cc := configClient(t, srv, func(c *constant.ClientConfig) { c.TimeoutMs = 30000 })
	for name, content := range map[string]string{
		"unicode": "名字=配置中心 ✓ emoji 🚀\nnewline\ttab \"quotes\" \\ \x01",
		"large":   strings.Repeat("0123456789abcdef", 128*1024), // 2 MiB
	} {
		t.Run(name, func(t *testing.T) {
			_, err := cc.PublishConfig(vo.ConfigParam{DataId: name, Group: "G", Content: content})
			require.NoError(t, err)
			got, err := cc.GetConfig(vo.ConfigParam{DataId: name, Group: "G"})
			require.NoError(t, err)
			require.Equal(t, content, got)
		})
	}
}

func TestConfigWatchSeesUpdateAndDelete(t *testing.T) {
	srv := newServer(t)
	cc := configClient(t, srv)
	writer := configClient(t, srv)
	var mu sync.Mutex
	var seen []string
	require.NoError(t, cc.ListenConfig(vo.ConfigParam{DataId: "watched", Group: "G", OnChange: func(_, _, _, data string) {
		mu.Lock()
		seen = append(seen, data)
		mu.Unlock()
	}}))
	last := func() (string, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return "", 0
		}
		return seen[len(seen)-1], len(seen)
	}
	_, err := writer.PublishConfig(vo.ConfigParam{DataId: "watched", Group: "G", Content: "v1"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { v, _ := last(); return v == "v1" }, waitFor, tick)
	_, err = writer.PublishConfig(vo.ConfigParam{DataId: "watched", Group: "G", Content: "v2"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { v, _ := last(); return v == "v2" }, waitFor, tick)
	_, err = writer.DeleteConfig(vo.ConfigParam{DataId: "watched", Group: "G"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { v, n := last(); return v == "" && n == 3 }, waitFor, tick)
	require.NotEmpty(t, srv.Listeners())
}

func TestConfigOversizedContentRejected(t *testing.T) {
	srv := newServer(t, nacosfake.WithMaxContentSize(1024))
	cc := configClient(t, srv)
	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "big", Group: "G", Content: strings.Repeat("x", 1025)})
	require.Error(t, err)
	require.False(t, ok)
	require.Contains(t, err.Error(), "over 1024")
	ok, err = cc.PublishConfig(vo.ConfigParam{DataId: "big", Group: "G", Content: strings.Repeat("x", 1024)})
	require.NoError(t, err)
	require.True(t, ok)
}

func TestConfigSearchViaSDK(t *testing.T) {
	srv := newServer(t)
	srv.SetConfig("", "G", "app-a.yaml", "a")
	srv.SetConfig("", "G", "app-b.yaml", "b")
	srv.SetConfig("", "H", "other", "c")
	cc := configClient(t, srv)
	page, err := cc.SearchConfig(vo.SearchConfigParam{Search: "blur", DataId: "app-*", Group: "G", PageNo: 1, PageSize: 10})
	require.NoError(t, err)
	require.Equal(t, 2, page.TotalCount)
	require.Len(t, page.PageItems, 2)
	require.Equal(t, "app-a.yaml", page.PageItems[0].DataId)
	require.Equal(t, "a", page.PageItems[0].Content)
	page, err = cc.SearchConfig(vo.SearchConfigParam{Search: "accurate", DataId: "other", Group: "H"})
	require.NoError(t, err)
	require.Equal(t, 1, page.TotalCount)
}

package nacosfake_test

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/internal/datadir"
)

func TestPortsFollowNacosOffset(t *testing.T) {
	srv := newServer(t)
	require.Equal(t, srv.HTTPPort()+1000, srv.GRPCPort())
	require.Equal(t, "127.0.0.1", srv.Host())

	// An explicit pair is honoured.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	free := l.Addr().String()
	require.NoError(t, l.Close())
	other := newServer(t, nacosfake.WithGRPCAddr(free))
	require.Equal(t, free, other.GRPCAddr())
}

func TestAuthWithSDKAndHTTP(t *testing.T) {
	clk, withClock := manualClock()
	srv := newServer(t, nacosfake.WithUser("nacos", "secret"), withClock)
	cc := configClient(t, srv, withUser("nacos", "secret"))
	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "auth", Group: "G", Content: "x"})
	require.NoError(t, err)
	require.True(t, ok)
	got, err := cc.GetConfig(vo.ConfigParam{DataId: "auth", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "x", got)

	// Plain HTTP: no token is 403, bad credentials are 403, a token works.
	r := do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=auth&group=G", nil, nil)
	require.Equal(t, 403, r.code)
	r = do(t, "POST", srv.URL()+"/v1/auth/login", url.Values{"username": {"nacos"}, "password": {"wrong"}}, nil)
	require.Equal(t, 403, r.code)
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=auth&group=G&accessToken=forged", nil, nil)
	require.Equal(t, 403, r.code)
	r = do(t, "POST", srv.URL()+"/v1/auth/users/login", url.Values{"username": {"nacos"}, "password": {"secret"}}, nil)
	require.Equal(t, 200, r.code)
	require.Contains(t, r.body, `"tokenTtl":18000`)
	tok := srv.Token()
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=auth&group=G&accessToken="+tok, nil, nil)
	require.Equal(t, 200, r.code)
	require.Equal(t, "x", r.body)
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=auth&group=G", nil, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, 200, r.code)

	// Tokens expire on the server clock.
	clk.Advance(18001 * time.Second)
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=auth&group=G&accessToken="+tok, nil, nil)
	require.Equal(t, 403, r.code)
	require.Contains(t, r.body, `"status":403,"error":"Forbidden","path":"/nacos/v1/cs/configs"}`) // AuthFilter's sendError hides "token expired!"
}

func TestAuthWrongPasswordSDKCallsFail(t *testing.T) {
	srv := newServer(t, nacosfake.WithUser("nacos", "secret"))
	srv.SetConfig("", "G", "k", "v")
	nc := namingClient(t, srv, withUser("nacos", "wrong"))
	// The SDK reports a typed 403 from RegisterInstance as (false, nil).
	ok, _ := nc.RegisterInstance(vo.RegisterInstanceParam{ServiceName: "s", Ip: "10.0.0.1", Port: 1, Weight: 1, Enable: true, Healthy: true, Ephemeral: true})
	require.False(t, ok)
	require.Empty(t, srv.Instances("", "", "s"))
	bad := configClient(t, srv, withUser("nacos", "wrong"))
	ok, err := bad.PublishConfig(vo.ConfigParam{DataId: "k", Group: "G", Content: "evil"})
	require.Error(t, err)
	require.False(t, ok)
	// Other clients are unaffected.
	good := configClient(t, srv, withUser("nacos", "secret"))
	got, err := good.GetConfig(vo.ConfigParam{DataId: "k", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "v", got)
}

func TestRestartKeepsDataAndPersists(t *testing.T) {
	dir := t.TempDir()
	srv, err := nacosfake.New(nacosfake.WithDataDir(dir))
	require.NoError(t, err)
	r := do(t, "POST", srv.URL()+"/v1/cs/configs", url.Values{"dataId": {"kept"}, "group": {"G"}, "content": {"v1"}}, nil)
	require.Equal(t, "true", r.body)
	r = do(t, "POST", srv.URL()+"/v1/ns/instance", url.Values{"serviceName": {"p"}, "ip": {"10.0.0.1"}, "port": {"1"}, "ephemeral": {"false"}}, nil)
	require.Equal(t, "ok", r.body)
	r = do(t, "POST", srv.URL()+"/v1/ns/instance", url.Values{"serviceName": {"e"}, "ip": {"10.0.0.1"}, "port": {"1"}}, nil)
	require.Equal(t, "ok", r.body)
	r = do(t, "POST", srv.URL()+"/v1/ns/service", url.Values{"serviceName": {"meta"}, "metadata": {"team=core"}}, nil)
	require.Equal(t, "ok", r.body)

	httpPort := srv.HTTPPort()
	require.NoError(t, srv.Restart())
	require.Equal(t, httpPort, srv.HTTPPort())
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=kept&group=G", nil, nil)
	require.Equal(t, "v1", r.body)
	require.Len(t, srv.Instances("", "", "p"), 1)
	require.Empty(t, srv.Instances("", "", "e"), "ephemeral instances do not survive a restart")
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close()) // idempotent

	again := newServer(t, nacosfake.WithDataDir(dir))
	c, ok := again.GetConfig("", "G", "kept")
	require.True(t, ok)
	require.Equal(t, "v1", c.Content)
	require.Len(t, again.Instances("", "", "p"), 1)
	r = do(t, "GET", again.URL()+"/v1/ns/service?serviceName=meta", nil, nil)
	require.Contains(t, r.body, `"team":"core"`)
}

func TestLoadSeedDir(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("public/DEFAULT_GROUP/app.yaml", "a: 1")
	write("dev/G/db.properties", "url=x")
	srv := newServer(t)
	require.NoError(t, srv.LoadSeedDir(dir))
	c, ok := srv.GetConfig("", "DEFAULT_GROUP", "app.yaml")
	require.True(t, ok)
	require.Equal(t, "yaml", c.Type)
	cc := configClient(t, srv, withNamespace("dev"))
	got, err := cc.GetConfig(vo.ConfigParam{DataId: "db.properties", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "url=x", got)

	write("too/deep/a/b", "x")
	require.Error(t, srv.LoadSeedDir(dir))
}

func TestFailNextHTTP(t *testing.T) {
	srv := newServer(t)
	_, err := srv.FailNext(nacosfake.OpHTTPGetConfig, "", 1, 503)
	require.NoError(t, err)
	r := do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=a&group=G", nil, nil)
	require.Equal(t, 503, r.code)
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=a&group=G", nil, nil)
	require.Equal(t, 404, r.code)
}

func TestFailNextGRPCSurfacesToSDK(t *testing.T) {
	srv := newServer(t)
	cc := configClient(t, srv)
	_, err := srv.FailNext(nacosfake.OpConfigPublish, "", 1, 500)
	require.NoError(t, err)
	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "f", Group: "G", Content: "x"})
	require.Error(t, err)
	require.False(t, ok)
	ok, err = cc.PublishConfig(vo.ConfigParam{DataId: "f", Group: "G", Content: "x"})
	require.NoError(t, err)
	require.True(t, ok)
}

func TestAccessKeySignatures(t *testing.T) {
	srv := newServer(t, nacosfake.WithAccessKey("ak1", "sk1"))
	withAK := func(ak, sk string) clientOpt {
		return func(c *constant.ClientConfig) { c.AccessKey, c.SecretKey = ak, sk }
	}
	good := configClient(t, srv, withAK("ak1", "sk1"))
	ok, err := good.PublishConfig(vo.ConfigParam{DataId: "signed", Group: "G", Content: "x"})
	require.NoError(t, err)
	require.True(t, ok)
	got, err := good.GetConfig(vo.ConfigParam{DataId: "signed", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "x", got)
	nc := namingClient(t, srv, withAK("ak1", "sk1"))
	register(t, nc, vo.RegisterInstanceParam{ServiceName: "signed", Ip: "10.0.0.1", Port: 1})

	bad := configClient(t, srv, withAK("ak1", "wrong"))
	ok, err = bad.PublishConfig(vo.ConfigParam{DataId: "signed", Group: "G", Content: "evil"})
	require.Error(t, err)
	require.False(t, ok)
	badNaming := namingClient(t, srv, withAK("ak1", "wrong"))
	ok, _ = badNaming.RegisterInstance(vo.RegisterInstanceParam{ServiceName: "evil", Ip: "10.0.0.2", Port: 1, Weight: 1, Enable: true, Healthy: true, Ephemeral: true})
	require.False(t, ok)
	require.Empty(t, srv.Instances("", "", "evil"))
}

func TestDataDirIsLockedWriteThroughAndSurvivesATornTail(t *testing.T) {
	dir := t.TempDir()
	srv := newServer(t, nacosfake.WithDataDir(dir), nacosfake.WithSyncWrites())
	_, err := nacosfake.New(nacosfake.WithDataDir(dir))
	require.ErrorIs(t, err, datadir.ErrLocked, "a second server on the same dir is refused")

	r := do(t, "POST", srv.URL()+"/v1/cs/configs", url.Values{"dataId": {"a"}, "group": {"G"}, "content": {"v1"}}, nil)
	require.Equal(t, "true", r.body)
	r = do(t, "POST", srv.URL()+"/v1/cs/configs", url.Values{"dataId": {"a"}, "group": {"G"}, "content": {"v2"}}, nil)
	require.Equal(t, "true", r.body)
	r = do(t, "POST", srv.URL()+"/v1/console/namespaces", url.Values{"customNamespaceId": {"dev"}, "namespaceName": {"Dev"}}, nil)
	require.Equal(t, "true\n", r.body)
	// Acknowledged changes are on disk before Close: the log has them.
	fi, err := os.Stat(filepath.Join(dir, "nacosfake-changes.log"))
	require.NoError(t, err)
	require.Positive(t, fi.Size())
	require.NoError(t, srv.Close())

	// A crash mid-append leaves a torn record; start cuts it.
	f, err := os.OpenFile(filepath.Join(dir, "nacosfake-changes.log"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{0, 0, 1, 0, 9, 9})
	require.NoError(t, err)
	require.NoError(t, f.Close())

	again := newServer(t, nacosfake.WithDataDir(dir))
	c, ok := again.GetConfig("", "G", "a")
	require.True(t, ok)
	require.Equal(t, "v2", c.Content)
	require.Len(t, again.Namespaces(), 1)

	// Reset compacts into a snapshot and empties the log.
	again.Reset()
	fi, err = os.Stat(filepath.Join(dir, "nacosfake-changes.log"))
	require.NoError(t, err)
	require.Zero(t, fi.Size())
	require.NoError(t, again.Close())
	third := newServer(t, nacosfake.WithDataDir(dir))
	require.Empty(t, third.Configs())
}

func TestDataDirCompactsTheLogIntoASnapshot(t *testing.T) {
	dir := t.TempDir()
	srv, err := nacosfake.New(nacosfake.WithDataDir(dir))
	require.NoError(t, err)
	big := strings.Repeat("x", 1<<20)
	for i := range 5 {
		srv.SetConfig("", "G", "big"+strconv.Itoa(i), big)
	}
	logSize := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, "nacosfake-changes.log"))
		require.NoError(t, err)
		return fi.Size()
	}
	require.Less(t, logSize(), int64(2<<20), "the log was folded into a snapshot past 4 MiB")
	srv.SetConfig("", "G", "big0", "small")
	require.NoError(t, srv.Close())

	again := newServer(t, nacosfake.WithDataDir(dir))
	require.Len(t, again.Configs(), 5)
	c, _ := again.GetConfig("", "G", "big0")
	require.Equal(t, "small", c.Content, "the log after the snapshot is replayed on top of it")
}

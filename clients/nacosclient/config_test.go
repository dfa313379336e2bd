package nacosclient_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func TestConfigPublishGetDelete(t *testing.T) {
	srv, ep := fake(t)
	c := configClient(t, ep)
	_, err := c.Get(ctx(t), "G", "app.props")
	require.ErrorIs(t, err, nacosclient.ErrNotFound)

	require.NoError(t, c.Publish(ctx(t), "G", "app.props", "a=1\n名=值"))
	got, err := c.Get(ctx(t), "G", "app.props")
	require.NoError(t, err)
	require.Equal(t, "a=1\n名=值", got)
	stored, ok := srv.GetConfig("", "G", "app.props")
	require.True(t, ok)
	require.Equal(t, nacosclient.MD5(got), stored.MD5)

	require.NoError(t, c.Delete(ctx(t), "G", "app.props"))
	require.NoError(t, c.Delete(ctx(t), "G", "app.props"), "deleting a missing config succeeds")
	_, err = c.Get(ctx(t), "G", "app.props")
	require.ErrorIs(t, err, nacosclient.ErrNotFound)
}

func TestConfigDefaultGroupAndNamespace(t *testing.T) {
	srv, ep := fake(t)
	require.NoError(t, configClient(t, ep).Publish(ctx(t), "", "d", "public"))
	require.NoError(t, configClient(t, ep.WithNamespace("dev")).Publish(ctx(t), "", "d", "dev"))
	_, ok := srv.GetConfig("", nacosclient.DefaultGroup, "d")
	require.True(t, ok)
	dev, ok := srv.GetConfig("dev", nacosclient.DefaultGroup, "d")
	require.True(t, ok)
	require.Equal(t, "dev", dev.Content)
}

func TestConfigPublishCAS(t *testing.T) {
	_, ep := fake(t)
	c := configClient(t, ep)
	require.NoError(t, c.Publish(ctx(t), "", "cas", "v1"))
	err := c.PublishCAS(ctx(t), "", "cas", "v2", nacosclient.MD5("not v1"))
	require.ErrorIs(t, err, nacosclient.ErrConflict)
	require.NoError(t, c.PublishCAS(ctx(t), "", "cas", "v2", nacosclient.MD5("v1")))
	got, err := c.Get(ctx(t), "", "cas")
	require.NoError(t, err)
	require.Equal(t, "v2", got)
}

func TestConfigWatchChannelSeesUpdateAndDelete(t *testing.T) {
	srv, ep := fake(t)
	c := configClient(t, ep)
	ch, err := c.Watch(ctx(t), "", "w")
	require.NoError(t, err)
	_, err = c.Watch(ctx(t), "", "w")
	require.Error(t, err, "one watch per key and client")

	srv.SetConfig("", nacosclient.DefaultGroup, "w", "v1")
	var last nacosclient.Change
	require.Eventually(t, func() bool {
		for {
			select {
			case last = <-ch:
			default:
				return last.Content == "v1"
			}
		}
	}, waitFor, tick)
	require.Equal(t, nacosclient.DefaultGroup, last.Group)
	require.Equal(t, "w", last.DataID)

	srv.DeleteConfig("", nacosclient.DefaultGroup, "w")
	require.Eventually(t, func() bool {
		select {
		case last = <-ch:
		default:
		}
		return last.Deleted
	}, waitFor, tick)

	require.NoError(t, c.Unwatch("", "w"))
	for range ch { // closed by Unwatch
	}
}

func TestConfigWatchFunc(t *testing.T) {
	_, ep := fake(t)
	c := configClient(t, ep)
	got := make(chan string, 10)
	require.NoError(t, c.WatchFunc(ctx(t), "G", "f", func(ch nacosclient.Change) { got <- ch.Content }))
	require.NoError(t, configClient(t, ep).Publish(ctx(t), "G", "f", "hello"))
	select {
	case s := <-got:
		require.Equal(t, "hello", s)
	case <-ctx(t).Done():
		t.Fatal("no change seen")
	}
}

func TestConfigOutageIsAnErrorNotStaleContent(t *testing.T) {
	srv, ep := fake(t)
	c := configClient(t, ep)
	require.NoError(t, c.Publish(ctx(t), "", "k", "v"))
	_, err := c.Get(ctx(t), "", "k") // writes the disk snapshot
	require.NoError(t, err)
	_, err = srv.FailNext(nacosfake.OpConfigQuery, "k", 100, 500)
	require.NoError(t, err)
	_, err = c.Get(ctx(t), "", "k")
	require.Error(t, err, "without WithSnapshot a failure is not hidden by the disk cache")
	require.False(t, errors.Is(err, nacosclient.ErrNotFound))
}

func TestConfigTLSAndAuth(t *testing.T) {
	srv, ep := fake(t, nacosfake.WithTLS(), nacosfake.WithUser("app", "secret"))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, srv.CACertPEM(), 0o644))
	ep.TLS = &nacosclient.TLS{CAFile: caFile}

	good := ep
	good.Username, good.Password = "app", "secret"
	c := configClient(t, good)
	require.NoError(t, c.Publish(ctx(t), "", "tls", "secure"))

	bad := ep
	bad.Username, bad.Password = "app", "wrong"
	_, err := nacosclient.NewConfig(bad)
	require.ErrorIs(t, err, nacosclient.ErrUnauthenticated, "credentials are checked up front")
	_, err = nacosclient.NewNaming(bad)
	require.ErrorIs(t, err, nacosclient.ErrUnauthenticated)

	// Past the up-front check (e.g. a password changed later), calls fail
	// with the server's reason where the SDK passes it on.
	c2, err := nacosclient.NewConfig(good, nacosclient.WithClientConfig(func(cc *constant.ClientConfig) { cc.Password = "wrong" }))
	require.NoError(t, err)
	t.Cleanup(func() { c2.Close() })
	require.ErrorIs(t, c2.Publish(ctx(t), "", "tls", "x"), nacosclient.ErrUnauthenticated)
	n2, err := nacosclient.NewNaming(good, nacosclient.WithClientConfig(func(cc *constant.ClientConfig) { cc.Password = "wrong" }))
	require.NoError(t, err)
	t.Cleanup(func() { n2.Close() })
	require.ErrorIs(t, n2.Register(ctx(t), nacosclient.Service{Name: "s"}, nacosclient.Instance{IP: "10.0.0.1", Port: 1}), nacosclient.ErrRejected,
		"the v2 SDK drops the reason of failed naming calls")
}

func TestEndpointValidationAndClose(t *testing.T) {
	_, err := nacosclient.NewConfig(nacosclient.Endpoint{})
	require.Error(t, err)
	require.Equal(t, 9848, nacosclient.Endpoint{Port: 8848}.EffectiveGRPCPort())
	_, ep := fake(t)
	c, err := nacosclient.NewConfig(ep)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.Get(ctx(t), "", "x")
	require.ErrorIs(t, err, nacosclient.ErrClosed)
}

func TestConfigGetRateLimitIsReported(t *testing.T) {
	_, ep := fake(t)
	c := configClient(t, ep)
	require.NoError(t, c.Publish(ctx(t), "", "hot", "v"))
	var err error
	for i := 0; i < 50 && err == nil; i++ {
		_, err = c.Get(ctx(t), "", "hot")
	}
	require.ErrorIs(t, err, nacosclient.ErrRateLimited, "the SDK limits Gets of one config to ~5/s")
}

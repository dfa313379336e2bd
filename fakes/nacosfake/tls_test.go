package nacosfake_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/internal/tlsca"
)

func TestTLSWithSDKAndHTTP(t *testing.T) {
	srv := newServer(t, nacosfake.WithTLS())
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, srv.CACertPEM(), 0o644))

	cc := configClient(t, srv, func(c *constant.ClientConfig) {
		c.TLSCfg = constant.TLSConfig{Appointed: true, Enable: true, CaFile: caFile}
	})
	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "tls", Group: "G", Content: "secure"})
	require.NoError(t, err)
	require.True(t, ok)

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.ClientTLSConfig()}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(srv.URL() + "/v1/cs/configs?dataId=tls&group=G")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, srv.URL(), "https://")
}

func TestTLSWithCallerConfig(t *testing.T) {
	ca, err := tlsca.New()
	require.NoError(t, err)
	cfg, err := ca.ServerConfig()
	require.NoError(t, err)
	srv := newServer(t, nacosfake.WithTLSConfig(cfg))
	require.Nil(t, srv.ClientTLSConfig(), "the caller owns the CA")
	require.Nil(t, srv.CACertPEM())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(srv.URL() + "/v1/console/health/readiness")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

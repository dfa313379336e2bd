package nacosclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

// waitFor bounds push-driven assertions: the SDK's first listen round can
// take ~5 s.
const (
	waitFor = 15 * time.Second
	tick    = 20 * time.Millisecond
)

func fake(t *testing.T, opts ...nacosfake.Option) (*nacosfake.Server, nacosclient.Endpoint) {
	t.Helper()
	srv, err := nacosfake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv, nacosclient.Endpoint{Host: srv.Host(), Port: srv.HTTPPort(), GRPCPort: srv.GRPCPort()}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func configClient(t *testing.T, ep nacosclient.Endpoint, opts ...nacosclient.Option) *nacosclient.Config {
	t.Helper()
	c, err := nacosclient.NewConfig(ep, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

func namingClient(t *testing.T, ep nacosclient.Endpoint, opts ...nacosclient.Option) *nacosclient.Naming {
	t.Helper()
	c, err := nacosclient.NewNaming(ep, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

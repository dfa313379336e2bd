package nacosclient_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
)

// Issue 9.11: a server that is not there gives an error naming it, not only
// the SDK's "client not connected, current status:STARTING".
func TestUnreachableServerIsNamed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	ep := nacosclient.Endpoint{Host: "127.0.0.1", Port: port, GRPCPort: port}
	want := "127.0.0.1:" + strconv.Itoa(port)

	c, err := nacosclient.NewConfig(ep, nacosclient.WithTimeout(time.Second))
	if err == nil {
		defer c.Close()
		_, err = c.Get(ctx(t), "", "app.yaml")
	}
	require.Error(t, err)
	require.ErrorContains(t, err, want)
	t.Log(err)
}

package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
)

// --user turns on the Pulsar fake's basic auth too.
func TestUpPulsarUserRequiresBasicAuth(t *testing.T) {
	out, stop := startUp(t, "--only", "pulsar", "--pulsar-port", "0", "--pulsar-admin-port", "0", "--user", "alice:secret")
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := byName(out)["pulsar"]["service"]
	produce := func(password string) error {
		cl, err := pulsarclient.New(pulsarclient.Endpoint{URL: url, User: "alice", Password: password, OperationTimeout: 2 * time.Second})
		require.NoError(t, err)
		defer cl.Close()
		p, err := cl.Producer("persistent://public/default/up-user")
		if err != nil {
			return err
		}
		defer p.Close()
		_, err = p.Send(ctx, pulsarclient.Message{Payload: []byte("x")})
		return err
	}
	require.NoError(t, produce("secret"))
	require.Error(t, produce("wrong"))
}

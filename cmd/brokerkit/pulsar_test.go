package main

import (
	"encoding/json"
	"strings"

	"context"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"

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

// Issue 9.12: --pulsar-oauth2-client writes the key file and prints
// authParams a Pulsar client takes as they are.
func TestUpPulsarOAuth2WritesKeyFileAndAuthParams(t *testing.T) {
	out, stop := startUp(t, "--only", "pulsar", "--pulsar-port", "0", "--pulsar-admin-port", "0", "--pulsar-oauth2-client", "app:s3cret")
	var params, keyFile string
	for _, b := range out.Backends {
		for _, n := range b.Notes {
			if v, ok := strings.CutPrefix(n, "  authParams: "); ok {
				params = v
			}
			if _, v, ok := strings.Cut(n, "OAuth2 key file for app: "); ok {
				keyFile = v
			}
		}
	}
	require.FileExists(t, keyFile)
	var m map[string]string
	require.NoError(t, json.Unmarshal([]byte(params), &m))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := pulsar.NewClient(pulsar.ClientOptions{URL: byName(out)["pulsar"]["service"], Authentication: pulsar.NewAuthenticationOAuth2(m),
		OperationTimeout: 10 * time.Second, Logger: plog.DefaultNopLogger()})
	require.NoError(t, err)
	defer cl.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://public/default/oauth2"})
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Send(ctx, &pulsar.ProducerMessage{Payload: []byte("x")})
	require.NoError(t, err)
	p.Close()
	cl.Close()
	require.Equal(t, 0, stop())
	require.NoFileExists(t, keyFile, "the key file goes with up")
}

// The suite of pulsar-client-go runs its broker with a 1 MiB limit.
func TestUpPulsarMaxMessageSize(t *testing.T) {
	out, _ := startUp(t, "--only", "pulsar", "--pulsar-port", "0", "--pulsar-admin-port", "0", "--pulsar-max-message-size", "1048576")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := pulsarclient.New(pulsarclient.Endpoint{URL: byName(out)["pulsar"]["service"], OperationTimeout: 5 * time.Second})
	require.NoError(t, err)
	defer cl.Close()
	p, err := cl.Producer("persistent://public/default/sized", pulsarclient.WithoutBatching())
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Send(ctx, pulsarclient.Message{Payload: make([]byte, 512<<10)})
	require.NoError(t, err)
	_, err = p.Send(ctx, pulsarclient.Message{Payload: make([]byte, 2<<20)})
	require.Error(t, err, "a 2 MiB message over a 1 MiB limit")
}

// --pulsar-superuser turns authorization on: the superuser produces, a user
// without a grant is refused with AuthorizationError.
func TestUpPulsarSuperuserTurnsOnAuthorization(t *testing.T) {
	out, stop := startUp(t, "--only", "pulsar", "--pulsar-port", "0", "--pulsar-admin-port", "0",
		"--user", "root:pw", "--user", "bob:pw", "--pulsar-superuser", "root")
	defer stop()
	url := byName(out)["pulsar"]["service"]
	produce := func(user string) error {
		cl, err := pulsarclient.New(pulsarclient.Endpoint{URL: url, User: user, Password: "pw", OperationTimeout: 2 * time.Second})
		require.NoError(t, err)
		defer cl.Close()
		p, err := cl.Producer("persistent://public/default/up-authz")
		if err == nil {
			p.Close()
		}
		return err
	}
	require.NoError(t, produce("root"))
	require.ErrorContains(t, produce("bob"), "AuthorizationError")
}

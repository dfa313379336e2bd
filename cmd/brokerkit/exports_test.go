package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/kafkaclient"
	"github.com/brokerkit/brokerkit/clients/pulsarclient"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/kafkatest"
	"github.com/brokerkit/brokerkit/fixtures/mqtttest"
	"github.com/brokerkit/brokerkit/fixtures/nacostest"
	"github.com/brokerkit/brokerkit/fixtures/pulsartest"
)

// setExports applies up's printed `export K=V` lines to the test, as a
// user pasting them into a shell would.
func setExports(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		kv, ok := strings.CutPrefix(l, "export ")
		require.True(t, ok, l)
		k, v, ok := strings.Cut(kv, "=")
		require.True(t, ok, l)
		if strings.HasPrefix(v, "'") {
			v = strings.ReplaceAll(strings.Trim(v, "'"), `'\''`, "'")
		}
		t.Setenv(k, v)
	}
}

// Issue 9.3: with auth on, the printed exports alone are enough for every
// test package's external mode; before, only Kafka's credentials were
// printed and the others failed with 401 or "user not found".
func TestUpExportsAreEnoughForEveryTestPackage(t *testing.T) {
	out, stop := startUp(t, "--kafka-port", "0", "--mqtt-port", "0", "--pulsar-port", "0",
		"--pulsar-admin-port", "0", "--nacos-port", "0", "--user", "alice:secret", "--pulsar-token", "tok")
	defer stop()
	setExports(t, out.Exports)
	t.Setenv("BROKERKIT_STRICT", "1") // a missing variable must fail, not skip
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	useEveryBackend(t, ctx, false)
}

// With --tls the exports carry the CA file (and MQTT's TLS listener), and
// the test packages' external mode serves WithTLS tests from them.
func TestUpTLSExportsTheCA(t *testing.T) {
	out, stop := startUp(t, "--only", "nacos,kafka,mqtt,pulsar", "--nacos-port", "0", "--kafka-port", "0", "--mqtt-port", "0", "--mqtt-tls-port", "0",
		"--mqtt-ws-port", "0", "--mqtt-wss-port", "0",
		"--pulsar-port", "0", "--pulsar-admin-port", "0", "--pulsar-tls-port", "0", "--pulsar-admin-tls-port", "0", "--pulsar-token", "tok",
		"--tls", "--user", "alice:secret")
	defer stop()
	setExports(t, out.Exports)
	t.Setenv("BROKERKIT_STRICT", "1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	useEveryBackend(t, ctx, true)
}

// useEveryBackend runs each test package in external mode against what the
// environment points at (up's exports), with user alice, STRICT; with tls,
// through the test packages' WithTLS.
func useEveryBackend(t *testing.T, ctx context.Context, tls bool) {
	t.Run("kafka", func(t *testing.T) {
		opts := []kafkatest.Option{kafkatest.WithUser("alice", "secret")}
		if tls {
			opts = append(opts, kafkatest.WithTLS())
		}
		env := kafkatest.New(t, opts...)
		require.Equal(t, fixtures.External, env.Mode())
		topic := env.Topic(t)
		_, err := env.Client(t).Produce(ctx, kafkaclient.Message{Topic: topic, Value: []byte("x")})
		require.NoError(t, err)
	})
	t.Run("pulsar", func(t *testing.T) {
		for name, opt := range map[string]pulsartest.Option{"token": pulsartest.WithToken("tok"), "basic": pulsartest.WithUser("alice", "secret")} {
			opts := []pulsartest.Option{opt}
			if tls {
				opts = append(opts, pulsartest.WithTLS())
			}
			env := pulsartest.New(t, opts...)
			require.Equal(t, fixtures.External, env.Mode())
			if tls {
				require.True(t, strings.HasPrefix(env.ServiceURL(), "pulsar+ssl://"), env.ServiceURL())
			}
			p, err := env.Client(t).Producer(env.Topic(t))
			require.NoError(t, err, name)
			_, err = p.Send(ctx, pulsarclient.Message{Payload: []byte("x")})
			p.Close()
			require.NoError(t, err, name)
		}
	})
	t.Run("mqtt", func(t *testing.T) {
		opts := []mqtttest.Option{mqtttest.WithUser("alice", "secret")}
		if tls {
			opts = append(opts, mqtttest.WithTLS())
		}
		env := mqtttest.New(t, opts...)
		require.Equal(t, fixtures.External, env.Mode())
		if tls {
			require.True(t, strings.HasPrefix(env.Endpoint().URLs[0], "mqtts://"))
		}
		topic := env.Topic(t)
		c := env.Client(t, mqtttest.AsUser("alice"))
		msgs, err := c.SubscribeChan(ctx, topic+"/#", 1, 1)
		require.NoError(t, err)
		require.NoError(t, c.Publish(ctx, topic+"/x", []byte("x"), 1, false))
		select {
		case m := <-msgs:
			require.Equal(t, "x", string(m.Payload))
		case <-ctx.Done():
			t.Fatal("the message did not arrive")
		}
	})
	t.Run("nacos", func(t *testing.T) {
		opts := []nacostest.Option{nacostest.WithUser("alice", "secret")}
		if tls {
			opts = append(opts, nacostest.WithTLS())
		}
		env := nacostest.New(t, opts...)
		require.Equal(t, fixtures.External, env.Mode())
		cfg := env.Config(t)
		group := env.Group(t)
		require.NoError(t, cfg.Publish(ctx, group, "app.yaml", "port: 8080"))
		got, err := cfg.Get(ctx, group, "app.yaml")
		require.NoError(t, err)
		require.Equal(t, "port: 8080", got)
	})
}

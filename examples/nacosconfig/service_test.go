package nacosconfig_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/examples/nacosconfig"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/nacostest"
)

func TestMain(m *testing.M) { fixtures.Main(m) }

// The SDK's first listen round can take ~5 s; later changes arrive in ms.
const reloadWait = 20 * time.Second

type fixture struct {
	env   *nacostest.Env
	admin *nacosclient.Config // what an operator uses to change settings
	opts  nacosconfig.Options
}

// setup gives each test its own Nacos (the fake unless BROKERKIT_NACOS
// says otherwise) and unique names.
func setup(t *testing.T, settings string) *fixture {
	env := nacostest.New(t)
	f := &fixture{env: env, admin: env.Config(t)}
	f.opts = nacosconfig.Options{
		Config: env.Config(t), Naming: env.Naming(t),
		Group: env.Group(t), DataID: "greeter.properties",
		Name: env.Service(t), IP: "10.10.0.7", Port: 8080,
	}
	if settings != "" {
		f.publish(t, settings)
	}
	return f
}

func (f *fixture) publish(t *testing.T, text string) {
	require.NoError(t, f.admin.Publish(context.Background(), f.opts.Group, f.opts.DataID, text))
}

func (f *fixture) start(t *testing.T) *nacosconfig.Service {
	svc, err := nacosconfig.Start(context.Background(), f.opts)
	require.NoError(t, err)
	t.Cleanup(func() { svc.Stop(context.Background()) })
	return svc
}

func TestLoadsSettingsAndRegistersForDiscovery(t *testing.T) {
	f := setup(t, "greeting=Hi\nmax_items=2\n")
	svc := f.start(t)
	require.Equal(t, "Hi a, b", svc.Greet("a", "b", "c"))

	client := f.env.Naming(t) // a consumer looking the service up
	target := nacosclient.Service{Group: f.opts.Group, Name: f.opts.Name}
	require.Eventually(t, func() bool {
		in, err := client.SelectHealthy(context.Background(), target)
		return err == nil && in.IP == "10.10.0.7" && in.Port == 8080 && in.Metadata["max-items"] == "2"
	}, 15*time.Second, 20*time.Millisecond)
}

func TestReloadsWhenSettingsChange(t *testing.T) {
	f := setup(t, "greeting=Hi\n")
	svc := f.start(t)
	f.publish(t, "greeting=Bonjour\n")
	require.Eventually(t, func() bool { return svc.Greet("x") == "Bonjour x" }, reloadWait, 20*time.Millisecond)
}

func TestInvalidOrDeletedSettingsKeepTheLastGood(t *testing.T) {
	f := setup(t, "greeting=Hi\nmax_items=1\n")
	svc := f.start(t)
	f.publish(t, "greeting=Hey\nmax_items=lots\n") // invalid: ignored
	f.publish(t, "greeting=Ahoy\nmax_items=3\n")
	require.Eventually(t, func() bool { return svc.Settings().Greeting == "Ahoy" }, reloadWait, 20*time.Millisecond)
	require.NoError(t, f.admin.Delete(context.Background(), f.opts.Group, f.opts.DataID))
	f.publish(t, "broken line without equals")
	f.publish(t, "greeting=Final\n")
	require.Eventually(t, func() bool { return svc.Settings().Greeting == "Final" }, reloadWait, 20*time.Millisecond)
	require.Equal(t, 10, svc.Settings().MaxItems, "a key left out goes back to its default")
}

func TestMissingSettingsFailStart(t *testing.T) {
	f := setup(t, "")
	_, err := nacosconfig.Start(context.Background(), f.opts)
	require.ErrorIs(t, err, nacosclient.ErrNotFound)

	f.publish(t, "max_items=0")
	_, err = nacosconfig.Start(context.Background(), f.opts)
	require.Error(t, err)
	require.False(t, errors.Is(err, nacosclient.ErrNotFound))
	require.True(t, strings.Contains(err.Error(), "max_items"))
}

func TestStopDeregisters(t *testing.T) {
	f := setup(t, "greeting=Hi\n")
	svc, err := nacosconfig.Start(context.Background(), f.opts)
	require.NoError(t, err)
	client := f.env.Naming(t)
	target := nacosclient.Service{Group: f.opts.Group, Name: f.opts.Name}
	require.Eventually(t, func() bool {
		l, err := client.List(context.Background(), target, nacosclient.ListOptions{})
		return err == nil && len(l) == 1
	}, 15*time.Second, 20*time.Millisecond)
	require.NoError(t, svc.Stop(context.Background()))
	require.Eventually(t, func() bool {
		l, err := client.List(context.Background(), target, nacosclient.ListOptions{})
		return err == nil && len(l) == 0
	}, 15*time.Second, 20*time.Millisecond)
}

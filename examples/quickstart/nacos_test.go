// go get github.com/brokerkit/brokerkit
package quickstart_test

import (
	"testing"

	"github.com/brokerkit/brokerkit/fixtures/nacostest"
)

func TestSettings(t *testing.T) {
	ctx := t.Context()
	env := nacostest.New(t)                           // fake unless BROKERKIT_NACOS says otherwise
	group := env.Group(t)                             // unique; Namespace(t), DataID(t), Service(t) too
	cfg := env.Config(t)                              // nacosclient over nacos-sdk-go v2 (gRPC); Raw() is native
	changes, err := cfg.Watch(ctx, group, "app.yaml") // or WatchFunc; env.Naming(t) for discovery
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Publish(ctx, group, "app.yaml", "port: 8080"); err != nil {
		t.Fatal(err)
	}
	if got := <-changes; got.Content != "port: 8080" {
		t.Fatalf("watch saw %q", got.Content)
	}
}

package nacosclient_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

// Publish and read a config through the wrapper, here against the
// in-process fake.
func Example() {
	srv, err := nacosfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ep := nacosclient.Endpoint{Host: srv.Host(), Port: srv.HTTPPort(), GRPCPort: srv.GRPCPort()}

	cfg, err := nacosclient.NewConfig(ep)
	if err != nil {
		panic(err)
	}
	defer cfg.Close()
	ctx := context.Background()
	_, err = cfg.Get(ctx, "", "app.yaml")
	fmt.Println(errors.Is(err, nacosclient.ErrNotFound))
	if err := cfg.Publish(ctx, "", "app.yaml", "port: 8080"); err != nil {
		panic(err)
	}
	content, err := cfg.Get(ctx, "", "app.yaml")
	fmt.Println(content, err)
	// Output:
	// true
	// port: 8080 <nil>
}

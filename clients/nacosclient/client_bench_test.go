package nacosclient_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func benchEndpoint(b *testing.B) nacosclient.Endpoint {
	srv, err := nacosfake.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return nacosclient.Endpoint{Host: srv.Host(), Port: srv.HTTPPort(), GRPCPort: srv.GRPCPort()}
}

// BenchmarkConfigGet: one Get round trip over gRPC to the fake (the SDK
// also writes a snapshot file per Get). The SDK allows 5 Gets per second
// per config in a process, so the loop cycles through many configs.
func BenchmarkConfigGet(b *testing.B) {
	c, err := nacosclient.NewConfig(benchEndpoint(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	const keys = 2000
	for i := range keys {
		if err := c.Publish(ctx, "", "bench-"+strconv.Itoa(i), "value"); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		i++
		if _, err := c.Get(ctx, "", "bench-"+strconv.Itoa(i%keys)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConfigPublish(b *testing.B) {
	c, err := nacosclient.NewConfig(benchEndpoint(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if err := c.Publish(ctx, "", "bench", strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNamingRegister re-registers one instance (an update).
func BenchmarkNamingRegister(b *testing.B) {
	n, err := nacosclient.NewNaming(benchEndpoint(b))
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	ctx := context.Background()
	svc := nacosclient.Service{Name: "bench"}
	i := 0
	for b.Loop() {
		i++
		if err := n.Register(ctx, svc, nacosclient.Instance{IP: "10.0.0.1", Port: 80, Weight: float64(i%100 + 1)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNamingList is served from the SDK's push-updated cache.
func BenchmarkNamingList(b *testing.B) {
	n, err := nacosclient.NewNaming(benchEndpoint(b))
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	ctx := context.Background()
	svc := nacosclient.Service{Name: "bench"}
	if err := n.Register(ctx, svc, nacosclient.Instance{IP: "10.0.0.1", Port: 80}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := n.List(ctx, svc, nacosclient.ListOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewConfig: client start-up (connection, server check, setup).
func BenchmarkNewConfig(b *testing.B) {
	ep := benchEndpoint(b)
	for b.Loop() {
		c, err := nacosclient.NewConfig(ep)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

package pulsarfake_test

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

func TestTenantsNamespacesSchemas(t *testing.T) {
	srv, err := pulsarfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if got := srv.Tenants(); !slices.Contains(got, "public") {
		t.Fatalf("Tenants = %v, want public among them", got)
	}
	cl, err := pulsar.NewClient(pulsar.ClientOptions{URL: srv.ServiceURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://acme/orders/o", Schema: pulsar.NewStringSchema(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Send(context.Background(), &pulsar.ProducerMessage{Value: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Namespaces("acme"); !slices.Equal(got, []string{"acme/orders"}) {
		t.Errorf("Namespaces(acme) = %v", got)
	}
	if !slices.Contains(srv.Tenants(), "acme") {
		t.Errorf("Tenants = %v, want acme", srv.Tenants())
	}
	if err := srv.CreateTopic("persistent://acme/orders/p", 3); err != nil {
		t.Fatal(err)
	}
	if got := srv.Partitions("persistent://acme/orders/p"); got != 3 {
		t.Errorf("Partitions(p) = %d, want 3", got)
	}
	if got := srv.Partitions("persistent://acme/orders/o"); got != 0 {
		t.Errorf("Partitions(o) = %d, want 0", got)
	}
	sc := srv.Schemas("persistent://acme/orders/o")
	if len(sc) != 1 || sc[0].Type != "STRING" {
		t.Errorf("Schemas = %+v, want one STRING version", sc)
	}
}

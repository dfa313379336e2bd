package kafkafake

import (
	"fmt"
	"path/filepath"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
)

// WithSchemaRegistry starts a Confluent-compatible Schema Registry
// (fakes/schemaregistryfake) beside the cluster, on a free port of the same
// host unless opts say otherwise, with the cluster's users for HTTP Basic
// auth. SchemaRegistryURL gives its URL; it stops with Close and keeps its
// schemas across Restart, and with WithDataDir across processes too (in
// the schema-registry folder of the data dir).
func WithSchemaRegistry(opts ...schemaregistryfake.Option) Option {
	return func(c *config) {
		c.schemaRegistry = append([]schemaregistryfake.Option{}, opts...)
		if c.schemaRegistry == nil {
			c.schemaRegistry = []schemaregistryfake.Option{}
		}
	}
}

// SchemaRegistryURL is the Schema Registry's base URL ("" without
// WithSchemaRegistry).
func (s *Server) SchemaRegistryURL() string {
	if s.registry == nil {
		return ""
	}
	return s.registry.URL()
}

// startSchemaRegistry runs before the cluster so a failure leaves nothing.
func (s *Server) startSchemaRegistry() error {
	if s.cfg.schemaRegistry == nil {
		return nil
	}
	opts := []schemaregistryfake.Option{
		schemaregistryfake.WithAddr(s.cfg.host + ":0"),
		schemaregistryfake.WithLogger(s.cfg.logger),
	}
	if s.cfg.dataDir != "" { // the user's dir, not the private one
		opts = append(opts, schemaregistryfake.WithDataDir(filepath.Join(s.cfg.dataDir, "schema-registry")))
	}
	for _, u := range s.cfg.users {
		opts = append(opts, schemaregistryfake.WithUser(u.Name, u.Password))
	}
	r, err := schemaregistryfake.New(append(opts, s.cfg.schemaRegistry...)...)
	if err != nil {
		return fmt.Errorf("kafkafake: schema registry: %w", err)
	}
	s.registry = r
	return nil
}

func (s *Server) closeSchemaRegistry() {
	if s.registry != nil {
		_ = s.registry.Close()
	}
}

package main

import (
	"flag"
	"net"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
)

// schemaRegistryFlags runs a Schema Registry beside the Kafka fake, on
// Confluent's default port 8081.
type schemaRegistryFlags struct {
	port int
	fs   *flag.FlagSet
}

func (s *schemaRegistryFlags) flags(fs *flag.FlagSet) {
	s.fs = fs
	fs.IntVar(&s.port, "schema-registry-port", 8081, "Confluent-compatible Schema Registry port, served with Kafka (0: a free port, -1: off; default a free port when --kafka-port is 0)")
}

// option is the kafkafake option that starts the registry, nil when off.
// A Kafka on a free port gets a registry on a free port too unless the port
// was given, so runs side by side do not fight over 8081.
func (s *schemaRegistryFlags) option(c *common, kafkaPort int) kafkafake.Option {
	port := s.port
	if kafkaPort == 0 && !s.given() {
		port = 0
	}
	if port < 0 {
		return nil
	}
	return kafkafake.WithSchemaRegistry(schemaregistryfake.WithAddr(net.JoinHostPort(c.host, strconv.Itoa(port))))
}

func (s *schemaRegistryFlags) given() bool {
	given := false
	if s.fs != nil {
		s.fs.Visit(func(f *flag.Flag) { given = given || f.Name == "schema-registry-port" })
	}
	return given
}

// describe adds the registry's URL, export and auth note to Kafka's entry.
func (s *schemaRegistryFlags) describe(srv *kafkafake.Server, r *running, c *common) {
	u := srv.SchemaRegistryURL()
	if u == "" {
		return
	}
	r.Addrs["schema-registry"] = u
	r.Env["BROKERKIT_SCHEMA_REGISTRY_URL"] = u
	if len(c.users) > 0 {
		r.Notes = append(r.Notes, "Schema Registry: HTTP Basic auth for "+userNames(c.users))
	}
}

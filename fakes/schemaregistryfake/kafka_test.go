package schemaregistryfake_test

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
)

// The registry beside a Kafka fake keeps its URL and schemas across the
// cluster's Restart.
func TestBesideKafkaSurvivesRestart(t *testing.T) {
	srv, err := kafkafake.New(kafkafake.WithSchemaRegistry())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	url := srv.SchemaRegistryURL()
	c := newClient(t, schemaregistry.NewConfig(url))
	id, err := c.Register("k-value", schemaregistry.SchemaInfo{Schema: userV1}, false)
	require.NoError(t, err)

	require.NoError(t, srv.Restart())
	require.Equal(t, url, srv.SchemaRegistryURL())
	fresh := newClient(t, schemaregistry.NewConfig(url))
	md, err := fresh.GetLatestSchemaMetadata("k-value")
	require.NoError(t, err)
	require.Equal(t, id, md.ID)
}

// With the cluster's data dir, the registry's schemas outlive the process:
// a new kafkafake on the same dir serves them.
func TestBesideKafkaDataDir(t *testing.T) {
	dir := t.TempDir()
	srv, err := kafkafake.New(kafkafake.WithSchemaRegistry(), kafkafake.WithDataDir(dir))
	require.NoError(t, err)
	first := srv
	t.Cleanup(func() { first.Close() }) // a no-op after the Close below
	c := newClient(t, schemaregistry.NewConfig(srv.SchemaRegistryURL()))
	id, err := c.Register("k-value", schemaregistry.SchemaInfo{Schema: userV1}, false)
	require.NoError(t, err)
	require.NoError(t, srv.Close())

	srv, err = kafkafake.New(kafkafake.WithSchemaRegistry(), kafkafake.WithDataDir(dir))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	fresh := newClient(t, schemaregistry.NewConfig(srv.SchemaRegistryURL()))
	md, err := fresh.GetLatestSchemaMetadata("k-value")
	require.NoError(t, err)
	require.Equal(t, id, md.ID)
}

package main

import (
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/stretchr/testify/require"
)

func kafkaAddrs(t *testing.T, out upOutput) map[string]string {
	t.Helper()
	for _, b := range out.Backends {
		if b.Name == "kafka" {
			return b.Addrs
		}
	}
	t.Fatalf("no kafka in %+v", out)
	return nil
}

func TestUpServesSchemaRegistryBesideKafka(t *testing.T) {
	out, stop := startUp(t, "--only", "kafka", "--kafka-port", "0", "--user", "alice:secret")
	url := kafkaAddrs(t, out)["schema-registry"]
	require.NotEmpty(t, url)
	require.Contains(t, out.Exports, "export BROKERKIT_SCHEMA_REGISTRY_URL="+url)

	c, err := schemaregistry.NewClient(schemaregistry.NewConfigWithBasicAuthentication(url, "alice", "secret"))
	require.NoError(t, err)
	defer c.Close()
	id, err := c.Register("up-value", schemaregistry.SchemaInfo{Schema: `"string"`}, false)
	require.NoError(t, err)
	require.Equal(t, 1, id)
	require.Equal(t, 0, stop())
}

func TestUpSchemaRegistryOff(t *testing.T) {
	out, stop := startUp(t, "--only", "kafka", "--kafka-port", "0", "--schema-registry-port", "-1")
	require.Empty(t, kafkaAddrs(t, out)["schema-registry"])
	require.Equal(t, 0, stop())
}

//go:build cgo

// confluent-kafka-go's serde packages import its cgo kafka package (for
// kafka.Header), so this test needs cgo; the registry client alone does not.

package schemaregistryfake_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
)

type order struct {
	ID     string   `avro:"id"`
	Amount float64  `avro:"amount"`
	Items  []string `avro:"items"`
}

// An Avro serializer and deserializer from confluent-kafka-go round-trip a
// record through the registry and the Kafka fake, with franz-go moving the
// bytes.
func TestSchemaRegistryAvroRoundTrip(t *testing.T) {
	srv, err := kafkafake.New(kafkafake.WithTopic("orders", 1), kafkafake.WithSchemaRegistry(),
		kafkafake.WithUser("app", "pw"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	require.NotEmpty(t, srv.SchemaRegistryURL())

	sr, err := schemaregistry.NewClient(schemaregistry.NewConfigWithBasicAuthentication(srv.SchemaRegistryURL(), "app", "pw"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sr.Close() })
	ser, err := avrov2.NewSerializer(sr, serde.ValueSerde, avrov2.NewSerializerConfig())
	require.NoError(t, err)
	deser, err := avrov2.NewDeserializer(sr, serde.ValueSerde, avrov2.NewDeserializerConfig())
	require.NoError(t, err)

	in := order{ID: "o-1", Amount: 12.5, Items: []string{"a", "b"}}
	payload, err := ser.Serialize("orders", &in)
	require.NoError(t, err)

	// Confluent's wire format: magic 0, then the registry's schema id.
	md, err := sr.GetLatestSchemaMetadata("orders-value")
	require.NoError(t, err)
	require.Equal(t, byte(0), payload[0])
	require.Equal(t, uint32(md.ID), binary.BigEndian.Uint32(payload[1:5]))

	cl, err := kgo.NewClient(kgo.SeedBrokers(srv.Brokers()...), kgo.SASL(plain.Auth{User: "app", Pass: "pw"}.AsMechanism()),
		kgo.ConsumeTopics("orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: payload}).FirstErr())
	fs := cl.PollRecords(ctx, 1)
	require.NoError(t, fs.Err0())
	recs := fs.Records()
	require.Len(t, recs, 1)

	var out order
	require.NoError(t, deser.DeserializeInto("orders", recs[0].Value, &out))
	require.Equal(t, in, out)
}

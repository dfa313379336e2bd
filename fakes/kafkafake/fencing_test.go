package kafkafake

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// A producer whose transactional.id was initialised by another producer is
// fenced: Kafka answers its next produce with INVALID_PRODUCER_EPOCH (the
// partition leader's epoch check, or the coordinator's PRODUCER_FENCED
// mapped to it by transaction verification) in every Produce version.
func TestFencedTransactionalProducerGetsInvalidProducerEpoch(t *testing.T) {
	for _, version := range []int16{3, 11, 12, 13} { // before and after KIP-890's implicit add
		for _, fencerProduces := range []bool{false, true} {
			t.Run(fmt.Sprintf("Produce-v%d/fencer-produces=%v", version, fencerProduces), func(t *testing.T) {
				s := start(t, WithTopic("orders", 1))
				old := client(t, s, kgo.TransactionalID("tx"), kgo.DefaultProduceTopic("orders"), kgo.MaxVersions(maxProduce(version)))
				require.NoError(t, old.BeginTransaction())
				require.NoError(t, old.ProduceSync(ctx(t), kgo.StringRecord("first")).FirstErr())

				fencer := client(t, s, kgo.TransactionalID("tx"), kgo.DefaultProduceTopic("orders"))
				require.NoError(t, fencer.BeginTransaction())
				if fencerProduces {
					require.NoError(t, fencer.ProduceSync(ctx(t), kgo.StringRecord("second")).FirstErr())
				} else {
					_, _, err := fencer.ProducerID(ctx(t)) // InitProducerId only
					require.NoError(t, err)
				}

				err := old.ProduceSync(ctx(t), kgo.StringRecord("third")).FirstErr()
				require.Truef(t, errors.Is(err, kerr.InvalidProducerEpoch), "got %v", err)
			})
		}
	}
}

// Before KIP-890 a producer adds a new partition with AddPartitionsToTxn,
// which Kafka's coordinator answers with PRODUCER_FENCED for an old epoch.
func TestFencedProducerAddingPartitionGetsProducerFenced(t *testing.T) {
	s := start(t, WithTopic("orders", 1))
	old := client(t, s, kgo.TransactionalID("tx"), kgo.DefaultProduceTopic("orders"), kgo.MaxVersions(maxProduce(11)))
	require.NoError(t, old.BeginTransaction())
	_, _, err := old.ProducerID(ctx(t))
	require.NoError(t, err)
	fencer := client(t, s, kgo.TransactionalID("tx"))
	_, _, err = fencer.ProducerID(ctx(t))
	require.NoError(t, err)
	err = old.ProduceSync(ctx(t), kgo.StringRecord("late")).FirstErr()
	require.Truef(t, errors.Is(err, kerr.ProducerFenced), "got %v", err)
}

// maxProduce caps the Produce version a client uses.
func maxProduce(v int16) *kversion.Versions {
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(int16(kmsg.Produce), v)
	return vs
}

package pulsarfake_test

import (
	"context"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

// sendSeqs sends one message per sequence id from a new producer named
// name; seq -1 means "let the client number it", which it does from the
// last_sequence_id the broker reported in PRODUCER_SUCCESS.
func sendSeqs(t *testing.T, c pulsar.Client, topic, name string, seqs ...int64) {
	t.Helper()
	p, err := c.CreateProducer(pulsar.ProducerOptions{Topic: topic, Name: name, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	for _, seq := range seqs {
		m := &pulsar.ProducerMessage{Payload: []byte{byte(seq)}}
		if seq >= 0 {
			m.SequenceID = &seq
		}
		_, err := p.Send(ctxT(t), m)
		require.NoError(t, err)
	}
}

func stored(t *testing.T, srv *pulsarfake.Server, topic string) int {
	t.Helper()
	msgs, err := srv.Messages(topic)
	require.NoError(t, err)
	return len(msgs)
}

func TestDeduplicationDropsResentSequences(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithDeduplication(true))
	c := newClient(t, srv)
	topic := uniqueTopic(t)

	sendSeqs(t, c, topic, "orders-writer", 0, 1, 2)
	// A resend of 1 and 2 (what a crash between send and receipt causes) is
	// acknowledged but not stored again.
	sendSeqs(t, c, topic, "orders-writer", 1, 2)
	require.Equal(t, 3, stored(t, srv, topic))
	// A restarted producer numbering on its own resumes after the broker's
	// last sequence id (3), so its message is new, not a duplicate of 0.
	sendSeqs(t, c, topic, "orders-writer", -1)
	require.Equal(t, 4, stored(t, srv, topic))
	// Another producer name has its own sequence.
	sendSeqs(t, c, topic, "other-writer", 0)
	require.Equal(t, 5, stored(t, srv, topic))
}

func TestDeduplicationOffKeepsDuplicates(t *testing.T) {
	t.Parallel()
	srv := newServer(t) // Pulsar's default: off
	c := newClient(t, srv)
	topic := uniqueTopic(t)
	sendSeqs(t, c, topic, "w", 0, 1)
	sendSeqs(t, c, topic, "w", 0, 1)
	require.Equal(t, 4, stored(t, srv, topic), "without deduplication a resend is stored again")
}

func TestDeduplicationTopicPolicyViaAdmin(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	admin, err := pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: srv.AdminURL()})
	require.NoError(t, err)
	topic := uniqueTopic(t)
	require.NoError(t, srv.CreateTopic(topic, 0))
	tn, err := utils.GetTopicName(topic)
	require.NoError(t, err)
	require.NoError(t, admin.Topics().SetDeduplicationStatusWithContext(context.Background(), *tn, true))
	on, err := admin.Topics().GetDeduplicationStatusWithContext(context.Background(), *tn)
	require.NoError(t, err)
	require.True(t, on)

	c := newClient(t, srv)
	sendSeqs(t, c, topic, "w", 5)
	sendSeqs(t, c, topic, "w", 5)
	require.Equal(t, 1, stored(t, srv, topic))
}

func TestDeduplicationStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithDeduplication(true), pulsarfake.WithDataDir(t.TempDir()))
	c := newClient(t, srv)
	topic := uniqueTopic(t)
	sendSeqs(t, c, topic, "w", 0, 1)
	require.NoError(t, srv.Restart())
	sendSeqs(t, c, topic, "w", 1, 2)
	require.Equal(t, 3, stored(t, srv, topic))
}

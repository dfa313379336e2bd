package kafkafake

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestGroupsAndProduce(t *testing.T) {
	s := start(t, WithTopic("orders", 2))
	ctx := context.Background()
	rs, err := s.Produce(ctx, &kgo.Record{Topic: "orders", Value: []byte("a")}, &kgo.Record{Topic: "orders", Value: []byte("b")})
	require.NoError(t, err)
	require.Len(t, rs, 2)

	gs, err := s.Groups(ctx)
	require.NoError(t, err)
	require.Empty(t, gs)

	cl := client(t, s, kgo.ConsumerGroup("billing"), kgo.ConsumeTopics("orders"), kgo.DisableAutoCommit())
	got := 0
	for got < 2 {
		fs := cl.PollFetches(ctx)
		require.NoError(t, fs.Err())
		got += len(fs.Records())
	}
	require.NoError(t, cl.CommitUncommittedOffsets(ctx))
	// One more record after the commit: the group lags by one somewhere.
	_, err = s.Produce(ctx, &kgo.Record{Topic: "orders", Value: []byte("c")})
	require.NoError(t, err)

	gs, err = s.Groups(ctx)
	require.NoError(t, err)
	require.Len(t, gs, 1)
	g := gs[0]
	require.NoError(t, g.Err)
	require.Equal(t, "billing", g.Group)
	require.Equal(t, "Stable", g.State)
	require.Len(t, g.Members, 1)
	require.NotEmpty(t, g.Offsets)
	var lag int64
	for _, o := range g.Offsets {
		require.Equal(t, g.Members[0].MemberID, o.Member)
		if o.Lag > 0 {
			lag += o.Lag
		}
	}
	require.EqualValues(t, 1, lag)
}

func TestRecordsRange(t *testing.T) {
	s := start(t, WithTopic("log", 1))
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		_, err := s.Produce(ctx, &kgo.Record{Topic: "log", Value: []byte{byte('0' + i)}})
		require.NoError(t, err)
	}
	rs, err := s.RecordsRange(ctx, "log", 0, 3, 4)
	require.NoError(t, err)
	require.Len(t, rs, 4)
	require.EqualValues(t, 3, rs[0].Offset)
	require.Equal(t, "6", string(rs[3].Value))
	rs, err = s.RecordsRange(ctx, "log", 0, 8, 50)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	rs, err = s.RecordsRange(ctx, "log", 0, 10, 50)
	require.NoError(t, err)
	require.Empty(t, rs)
	_, err = s.RecordsRange(ctx, "log", 7, 0, 1)
	require.Error(t, err)
}

package kafkafake

import (
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// GroupInfo describes a consumer group as a broker's admin API shows it.
type GroupInfo struct {
	Group    string
	State    string // Empty, Stable, PreparingRebalance, ...
	Protocol string // the assignor, e.g. "cooperative-sticky"
	Members  []GroupMember
	Offsets  []GroupOffset // one per committed or assigned partition, sorted
	Err      error         // the group could not be described
}

// GroupMember is one member of a group and the partitions assigned to it.
type GroupMember struct {
	MemberID, ClientID, Host string
	Assigned                 map[string][]int32 // topic -> partitions
}

// GroupOffset is a group's position on one partition. Lag is End minus
// Committed (-1 when either is unknown, e.g. nothing committed yet).
type GroupOffset struct {
	Topic     string
	Partition int32
	Member    string // member ID the partition is assigned to, if any
	Committed int64  // -1: nothing committed
	End       int64  // the high watermark
	Lag       int64
}

// Groups describes every consumer group, sorted by name, with committed
// offsets and lag per partition. It reads through the protocol like
// CommittedOffsets.
func (s *Server) Groups(ctx context.Context) ([]GroupInfo, error) {
	ins, err := s.inspect()
	if err != nil {
		return nil, err
	}
	listed, err := ins.adm.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	names := listed.Groups()
	if len(names) == 0 {
		return nil, nil
	}
	lags, err := ins.adm.Lag(ctx, names...)
	if err != nil {
		return nil, err
	}
	out := make([]GroupInfo, 0, len(lags))
	for _, l := range lags {
		g := GroupInfo{Group: l.Group, State: l.State, Protocol: l.Protocol, Err: l.DescribeErr}
		if g.Err == nil {
			g.Err = l.FetchErr
		}
		for _, m := range l.Members {
			gm := GroupMember{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Assigned: map[string][]int32{}}
			if a, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range a.Topics {
					gm.Assigned[t.Topic] = append(gm.Assigned[t.Topic], t.Partitions...)
				}
			}
			g.Members = append(g.Members, gm)
		}
		for _, ps := range l.Lag {
			for _, pl := range ps {
				o := GroupOffset{Topic: pl.Topic, Partition: pl.Partition, Committed: -1, End: pl.End.Offset, Lag: pl.Lag}
				if pl.Member != nil {
					o.Member = pl.Member.MemberID
				}
				if pl.Commit.At >= 0 && pl.Commit.Topic != "" {
					o.Committed = pl.Commit.At
				}
				if o.Committed < 0 {
					o.Lag = -1
				}
				g.Offsets = append(g.Offsets, o)
			}
		}
		sort.Slice(g.Offsets, func(i, j int) bool {
			a, b := g.Offsets[i], g.Offsets[j]
			return a.Topic < b.Topic || a.Topic == b.Topic && a.Partition < b.Partition
		})
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out, nil
}

// Produce writes records through the protocol, as a client would (so
// faults apply), partitioned by key like kgo's default partitioner (the
// Partition field is ignored), and returns them with partition and offset
// filled in.
func (s *Server) Produce(ctx context.Context, rs ...*kgo.Record) ([]*kgo.Record, error) {
	ins, err := s.inspect()
	if err != nil {
		return nil, err
	}
	return rs, ins.cl.ProduceSync(ctx, rs...).FirstErr()
}

// RecordsRange returns up to limit records of one partition starting at
// offset from (clamped to the log start), without joining a group; unlike
// Records it reads only that window, so a console can page a big partition.
func (s *Server) RecordsRange(ctx context.Context, topic string, partition int32, from int64, limit int) ([]*kgo.Record, error) {
	var pi *kfake.PartitionInfo
	if err := s.withCluster(func(c *kfake.Cluster) error { pi = c.PartitionInfo(topic, partition); return nil }); err != nil {
		return nil, err
	}
	if pi == nil {
		return nil, fmt.Errorf("kafkafake: no partition %s/%d", topic, partition)
	}
	from = max(from, pi.LogStartOffset)
	end := pi.HighWatermark
	if limit <= 0 || from >= end {
		return nil, nil
	}
	end = min(end, from+int64(limit))
	ins, err := s.inspect()
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), ins.opts...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {partition: kgo.NewOffset().At(from)},
	}))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		fs := cl.PollRecords(ctx, int(end-from))
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if err := fs.Err0(); err != nil {
			return out, err
		}
		for _, r := range fs.Records() {
			if r.Offset >= end {
				return out, nil
			}
			out = append(out, r)
		}
		// Compaction or aborted transactions can leave gaps: stop at end.
		if len(out) > 0 && out[len(out)-1].Offset >= end-1 {
			return out, nil
		}
	}
}

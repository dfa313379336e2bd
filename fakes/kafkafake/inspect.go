package kafkafake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The inspector reads the fake through the protocol, as a client would, so
// it sees exactly what clients see. With SASL on it logs in as a user of its
// own whose password exists only in this process.
const inspectorUser = "brokerkit-inspector"

var inspectorPassword = func() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

type inspector struct {
	opts []kgo.Opt
	cl   *kgo.Client
	adm  *kadm.Client
}

func (s *Server) inspect() (*inspector, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	if s.inspector != nil {
		return s.inspector, nil
	}
	var seeds []string
	for _, l := range s.listeners {
		seeds = append(seeds, l.Addr().String())
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...)}
	if s.tlsCfg != nil {
		cfg := s.ClientTLSConfig()
		if cfg == nil { // a user-supplied server config: we cannot verify it
			cfg = insecureTLS()
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if len(s.cfg.users) > 0 {
		opts = append(opts, kgo.SASL(scram.Auth{User: inspectorUser, Pass: inspectorPassword}.AsSha512Mechanism()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	s.inspector = &inspector{opts: opts, cl: cl, adm: kadm.NewClient(cl)}
	return s.inspector, nil
}

func (i *inspector) close() { i.cl.Close() }

func (i *inspector) topics(ctx context.Context) (map[string]int32, error) {
	td, err := i.adm.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int32, len(td))
	for name, t := range td {
		out[name] = int32(len(t.Partitions))
	}
	return out, nil
}

// Records returns every record currently stored in one partition, from the
// log start to the high watermark, without joining a group or moving any
// committed offset.
func (s *Server) Records(ctx context.Context, topic string, partition int32) ([]*kgo.Record, error) {
	var pi *kfake.PartitionInfo
	if err := s.withCluster(func(c *kfake.Cluster) error { pi = c.PartitionInfo(topic, partition); return nil }); err != nil {
		return nil, err
	}
	if pi == nil {
		return nil, fmt.Errorf("kafkafake: no partition %s/%d", topic, partition)
	}
	if pi.HighWatermark <= pi.LogStartOffset {
		return nil, nil
	}
	ins, err := s.inspect()
	if err != nil {
		return nil, err
	}
	opts := append(append([]kgo.Opt(nil), ins.opts...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {partition: kgo.NewOffset().At(pi.LogStartOffset)},
	}))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return out, ferr
		}
		for _, r := range fs.Records() {
			if r.Offset >= pi.HighWatermark {
				return out, nil
			}
			out = append(out, r)
		}
		if len(out) > 0 && out[len(out)-1].Offset >= pi.HighWatermark-1 {
			return out, nil
		}
	}
}

// TopicRecords returns the records of every partition of topic, partition
// by partition.
func (s *Server) TopicRecords(ctx context.Context, topic string) ([]*kgo.Record, error) {
	parts := s.Partitions(topic)
	if len(parts) == 0 {
		return nil, fmt.Errorf("kafkafake: no topic %s", topic)
	}
	var out []*kgo.Record
	for _, p := range parts {
		rs, err := s.Records(ctx, topic, p.Partition)
		if err != nil {
			return out, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// CommittedOffsets returns a group's committed offsets: topic -> partition
// -> next offset to consume.
func (s *Server) CommittedOffsets(ctx context.Context, group string) (map[string]map[int32]int64, error) {
	ins, err := s.inspect()
	if err != nil {
		return nil, err
	}
	resp, err := ins.adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[string]map[int32]int64{}, nil // Kafka: a group that never committed
	}
	if err != nil {
		return nil, err
	}
	if err := resp.Error(); err != nil {
		return nil, err
	}
	out := map[string]map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.At
	})
	return out, nil
}

package kafkaclient

import "github.com/twmb/franz-go/pkg/kgo"

// manualKey marks, in a record's context, a partition chosen by the caller.
type manualKey struct{}

func manual(r *kgo.Record) bool {
	return r.Context != nil && r.Context.Value(manualKey{}) != nil
}

// partitioner honours Message.Partition and otherwise defers to kgo's
// default (sticky for key-less records, murmur2 of the key like the Java
// client otherwise).
type partitioner struct{ base kgo.Partitioner }

func (p partitioner) ForTopic(t string) kgo.TopicPartitioner {
	return topicPartitioner{p.base.ForTopic(t)}
}

type topicPartitioner struct{ base kgo.TopicPartitioner }

func (p topicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return manual(r) || p.base.RequiresConsistency(r)
}

func (p topicPartitioner) Partition(r *kgo.Record, n int) int {
	if manual(r) {
		return int(r.Partition)
	}
	return p.base.Partition(r, n)
}

// OnNewBatch keeps the sticky partitioner sticky.
func (p topicPartitioner) OnNewBatch() {
	if nb, ok := p.base.(kgo.TopicPartitionerOnNewBatch); ok {
		nb.OnNewBatch()
	}
}

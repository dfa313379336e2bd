package kafkafake

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// leaderLog records which members ran the group balancer, i.e. were told
// by the coordinator that they lead the generation.
type leaderLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *leaderLog) ran(name string) {
	l.mu.Lock()
	l.calls = append(l.calls, name)
	l.mu.Unlock()
}

func (l *leaderLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.calls
	l.calls = nil
	return out
}

// takeAll is an eager balancer that gives every partition to the member
// that runs it, so the assignment kept shows whose plan the broker used.
type takeAll struct {
	name string
	log  *leaderLog
}

func (b takeAll) ProtocolName() string { return "take-all" }
func (b takeAll) IsCooperative() bool  { return false }

func (b takeAll) JoinGroupMetadata(topics []string, _ map[string][]int32, _ int32) []byte {
	m := kmsg.NewConsumerMemberMetadata()
	m.Topics = topics
	m.UserData = []byte(b.name)
	return m.AppendTo(nil)
}

func (b takeAll) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	return kgo.ParseConsumerSyncAssignment(assignment)
}

func (b takeAll) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	cb, err := kgo.NewConsumerBalancer(b, members)
	if err != nil {
		return nil, nil, err
	}
	return cb, cb.MemberTopics(), nil
}

func (b takeAll) Balance(cb *kgo.ConsumerBalancer, topics map[string]int32) kgo.IntoSyncAssignment {
	b.log.ran(b.name)
	plan := cb.NewPlan()
	cb.EachMember(func(m *kmsg.JoinGroupResponseMember, meta *kmsg.ConsumerMemberMetadata) {
		if string(meta.UserData) != b.name {
			return
		}
		for topic, n := range topics {
			for p := range n {
				plan.AddPartition(m, topic, p)
			}
		}
	})
	return plan
}

// syncCount counts SyncGroup requests per generation as kfake receives
// them, so the test knows when every member has finished its join.
func syncCount(t *testing.T, c *kfake.Cluster) func(gen int32) int {
	var mu sync.Mutex
	n := map[int32]int{}
	c.ControlKey(int16(kmsg.SyncGroup), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		n[r.(*kmsg.SyncGroupRequest).Generation]++
		mu.Unlock()
		return nil, nil, false
	})
	return func(gen int32) int {
		mu.Lock()
		defer mu.Unlock()
		return n[gen]
	}
}

// When the leader leaves, Kafka elects one new leader and tells every
// member the same id; kfake told each survivor that it leads.
func TestOneGroupLeaderAfterLeaderLeaves(t *testing.T) {
	s := start(t, WithTopic("orders", 4))
	c := s.Cluster()
	syncs := syncCount(t, c)
	log := &leaderLog{}
	clients := map[string]*kgo.Client{}
	poll := ctx(t)
	for _, name := range []string{"a", "b", "c"} {
		cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr()), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("orders"),
			kgo.Balancers(takeAll{name: name, log: log}))
		require.NoError(t, err)
		t.Cleanup(cl.Close)
		clients[name] = cl
		go cl.PollFetches(poll) // joins the group; returns when the client closes
	}
	info, err := c.WaitGroupInfo(ctx(t), "g", func(i *kfake.GroupInfo) bool {
		return i != nil && i.State == "Stable" && len(i.Members) == 3 && i.NumAssigned() == 4 && syncs(i.Epoch) == 3
	})
	require.NoError(t, err)
	owner := func(i *kfake.GroupInfo) string { // the member holding every partition
		for _, m := range i.Members {
			if m.NumAssigned() == 4 {
				for name, cl := range clients {
					if id, _ := cl.GroupMetadata(); id == m.MemberID {
						return name
					}
				}
			}
		}
		return ""
	}
	leader := owner(info)
	require.NotEmpty(t, leader)
	log.take()
	gen := info.Epoch

	clients[leader].Close() // leaves the group

	info, err = c.WaitGroupInfo(ctx(t), "g", func(i *kfake.GroupInfo) bool {
		return i != nil && i.Epoch > gen && i.State == "Stable" && len(i.Members) == 2 && syncs(i.Epoch) == 2
	})
	require.NoError(t, err)
	calls := log.take()
	require.Len(t, calls, 1, "members that were told they lead the new generation: %v", calls)
	newLeader := calls[0]
	require.NotEqual(t, leader, newLeader)
	// The kept plan is the one from the member everyone was told leads:
	// it gave itself every partition.
	require.Equal(t, 4, info.NumAssigned())
	require.Equal(t, newLeader, owner(info))
}

package kafkafake

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/kafkafake/internal/reqcheck"
)

// kfake elects a classic group's leader inside its loop over the members
// when the old leader is gone, so every member's JoinGroup answer names
// that member itself as leader, with the member list, and kfake then keeps
// the plan of whichever member its loop reached last. Kafka elects one
// leader per generation, names it to every member and sends the member
// list only to it. The shim restores that: the first member it sees told
// "you lead" for a generation becomes the leader of record; later answers
// of that generation name it and lose the member list. Because kfake may
// wait for another member's SyncGroup to complete the generation, every
// other member's SyncGroup of a split generation carries the elected
// leader's plan (waiting for it if needed); kfake ignores the plan of
// members it does not consider leader, so the one it uses is the elected
// leader's.

// leaders is the per-server record of each group's latest generation.
type leaders struct {
	mu     sync.Mutex
	groups map[string]*generation
}

type generation struct {
	gen       int32
	leader    string
	split     bool // kfake told more than one member it leads
	plan      []kmsg.SyncGroupRequestGroupAssignment
	planned   chan struct{} // closed when the leader's SyncGroup arrived
	rebalance time.Duration // longest rebalance timeout asked for
}

// defaultRebalanceTimeout bounds how long a follower's SyncGroup waits for
// the leader's when no JoinGroup stated a timeout (Kafka's default
// max.poll.interval.ms).
const defaultRebalanceTimeout = 5 * time.Minute

// current returns the record for group at gen, starting a new one when the
// generation moved on; l.mu must be held.
func (l *leaders) current(group string, gen int32) *generation {
	if l.groups == nil {
		l.groups = map[string]*generation{}
	}
	g := l.groups[group]
	if g == nil || g.gen != gen {
		rt := defaultRebalanceTimeout
		if g != nil && g.rebalance > 0 {
			rt = g.rebalance
		}
		g = &generation{gen: gen, planned: make(chan struct{}), rebalance: rt}
		l.groups[group] = g
	}
	return g
}

// joinRequest notes the group a JoinGroup asks for, so its answer can be
// checked.
func (c *conn) joinRequest(version int16, corr int32, body []byte) {
	req := kmsg.NewPtrJoinGroupRequest()
	if readRequest(body, version, req) < 0 {
		return
	}
	if rt := time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond; rt > 0 {
		l := &c.shim.leaders
		l.mu.Lock()
		if g := l.groups[req.Group]; g != nil && rt > g.rebalance {
			g.rebalance = rt
		}
		l.mu.Unlock()
	}
	c.expect(corr, pendingResp{kind: respJoinGroup, version: version, group: req.Group})
}

// joinResponse makes a JoinGroup answer name the generation's one leader.
func (c *conn) joinResponse(frame []byte, p pendingResp) []byte {
	resp := kmsg.NewPtrJoinGroupResponse()
	resp.Version = p.version
	body, ok := responseBody(frame, resp)
	if !ok || resp.ReadFrom(body) != nil || resp.ErrorCode != 0 || resp.LeaderID == "" {
		return frame
	}
	l := &c.shim.leaders
	l.mu.Lock()
	g := l.current(p.group, resp.Generation)
	if g.leader == "" {
		g.leader = resp.LeaderID
	}
	rewrite := resp.LeaderID != g.leader
	if rewrite {
		g.split = true
	}
	leader := g.leader
	l.mu.Unlock()
	if !rewrite {
		return frame
	}
	resp.LeaderID = leader
	if resp.MemberID != leader {
		resp.Members = nil
	}
	return appendResponse(frame, resp)
}

// syncRequest gives a follower's SyncGroup of a split generation the
// elected leader's plan, waiting for the leader's SyncGroup if needed.
func (c *conn) syncRequest(version int16, body []byte) {
	req := kmsg.NewPtrSyncGroupRequest()
	hl := readRequest(body, version, req)
	if hl < 0 {
		return
	}
	l := &c.shim.leaders
	l.mu.Lock()
	g := l.groups[req.Group]
	if g == nil || g.gen != req.Generation {
		l.mu.Unlock()
		return
	}
	if req.MemberID == g.leader {
		if g.plan == nil {
			g.plan = req.GroupAssignment
			close(g.planned)
		}
		l.mu.Unlock()
		return
	}
	split, planned, wait := g.split, g.planned, g.rebalance
	l.mu.Unlock()
	if !split {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-planned:
	case <-t.C:
		return // the leader never synced; kfake times the generation out
	case <-c.gone:
		return
	}
	l.mu.Lock()
	req.GroupAssignment = g.plan
	l.mu.Unlock()
	c.replaceBody(body[:hl], req)
}

// readRequest decodes a request body of the given version after its
// header and returns the header's length, or -1 if either is malformed.
func readRequest(body []byte, version int16, req kmsg.Request) int {
	hl := reqcheck.HeaderLen(body)
	if hl < 0 {
		return -1
	}
	req.SetVersion(version)
	if req.ReadFrom(body[hl:]) != nil {
		return -1
	}
	return hl
}

// responseBody returns a response frame's body, after the correlation ID
// and, for flexible versions, the header's empty tag section.
func responseBody(frame []byte, resp kmsg.Response) ([]byte, bool) {
	body := frame[8:]
	if resp.IsFlexible() {
		if len(body) == 0 || body[0] != 0 {
			return nil, false
		}
		body = body[1:]
	}
	return body, true
}

// appendResponse encodes resp behind frame's correlation ID.
func appendResponse(frame []byte, resp kmsg.Response) []byte {
	out := append([]byte(nil), frame[:8]...)
	if resp.IsFlexible() {
		out = append(out, 0)
	}
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

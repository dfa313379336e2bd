package mqttfake

import (
	"sort"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// mochi resends a resumed session's queued messages sorted by their creation
// second only (sort.Slice over a map), so messages queued within one second
// arrive shuffled, breaking [MQTT-4.6.0-1] ordering that Mosquitto keeps.
// The fake takes the queue away from the old session before mochi inherits
// it and resends it itself, in the order it was queued.

type resender struct {
	mu      sync.Mutex
	pending map[*mqtt.Client][]packets.Packet
}

// take is called from OnSessionEstablish, before mochi inherits the session.
func (r *resender) take(m *mqtt.Server, cl *mqtt.Client, pk packets.Packet) {
	existing, ok := m.Clients.Get(cl.ID)
	if !ok || existing == cl || pk.Connect.Clean ||
		(existing.Properties.Clean && existing.Properties.ProtocolVersion < 5) {
		return // no session to resume
	}
	if !existing.Closed() {
		_ = m.DisconnectClient(existing, packets.ErrSessionTakenOver) // [MQTT-3.1.4-3]
	}
	queued := existing.State.Inflight.GetAll(false)
	if len(queued) == 0 {
		return
	}
	for _, q := range queued {
		existing.State.Inflight.Delete(q.PacketID)
	}
	sortQueued(queued)
	reserveIDs(cl, queued[len(queued)-1].PacketID)
	r.mu.Lock()
	if r.pending == nil {
		r.pending = map[*mqtt.Client][]packets.Packet{}
	}
	r.pending[cl] = queued
	r.mu.Unlock()
}

// resend is called from OnSessionEstablished, right after the CONNACK.
func (r *resender) resend(cl *mqtt.Client) {
	r.mu.Lock()
	queued := r.pending[cl]
	delete(r.pending, cl)
	r.mu.Unlock()
	for i, q := range queued {
		if q.FixedHeader.Type == packets.Publish {
			queued[i].FixedHeader.Dup = true // [MQTT-3.3.1-1]
		}
		if q.FixedHeader.Type != packets.Puback && q.FixedHeader.Type != packets.Pubcomp {
			cl.State.Inflight.Set(queued[i]) // first, so a failed write below loses nothing
		}
	}
	for _, q := range queued {
		if err := cl.WritePacket(q); err != nil {
			return
		}
	}
}

// reserveIDs keeps the queued messages' packet IDs from being handed to
// live messages routed to cl between now (cl not yet visible to routing)
// and resend: it advances cl's packet ID counter past the last queued ID,
// and NextPacketID skips IDs that resend has put back in flight.
func reserveIDs(cl *mqtt.Client, last uint16) {
	for range 1 << 16 {
		id, err := cl.NextPacketID()
		if err != nil || uint16(id) == last {
			return
		}
	}
}

// forget drops a stash whose connection failed before resend.
func (r *resender) forget(cl *mqtt.Client) {
	r.mu.Lock()
	delete(r.pending, cl)
	r.mu.Unlock()
}

// sortQueued orders by creation second, then by packet ID in serial-number
// order (IDs grow as messages are queued and wrap at 65535).
func sortQueued(q []packets.Packet) {
	sort.SliceStable(q, func(i, j int) bool {
		if q[i].Created != q[j].Created {
			return q[i].Created < q[j].Created
		}
		return int16(q[i].PacketID-q[j].PacketID) < 0
	})
}

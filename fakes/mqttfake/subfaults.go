package mqttfake

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// SUBSCRIBE faults: mochi has no hook that refuses one filter with a chosen
// code, so OnSubscribe replaces a failing filter with an invalid one (mochi
// then subscribes nothing and answers 0x8F) and remembers the code, and
// OnSubscribed, which sees the SUBACK's reason codes before they are
// written, puts the chosen code in its place.

// subFaults holds, per client and packet ID, the codes of the filters
// OnSubscribe failed. A client's packets are handled one at a time.
type subFaults struct {
	mu      sync.Mutex
	pending map[subKey]map[int]byte
}

type subKey struct {
	cl *mqtt.Client
	id uint16
}

// invalidFilter is refused by mochi's IsValidFilter.
const invalidFilter = "#/"

// OnSubscribe applies SUBSCRIBE delays and failures.
func (h *fakeHook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline {
		return pk
	}
	var failed map[int]byte
	for i, sub := range pk.Filters {
		code, fail, d := h.s.faults.Check(string(OpSubscribe), sub.Filter)
		if i == 0 {
			h.g.sleep(d) // once per packet
		}
		if !fail {
			continue
		}
		if failed == nil {
			failed = map[int]byte{}
			pk.Filters = append(packets.Subscriptions(nil), pk.Filters...)
		}
		if cl.Properties.ProtocolVersion < 5 || code < 0x80 {
			code = packets.ErrUnspecifiedError.Code // 3.1.1 has only 0x80 for failure
		}
		failed[i] = code
		pk.Filters[i].Filter = invalidFilter
	}
	if failed != nil {
		h.subs.mu.Lock()
		if h.subs.pending == nil {
			h.subs.pending = map[subKey]map[int]byte{}
		}
		h.subs.pending[subKey{cl, pk.PacketID}] = failed
		h.subs.mu.Unlock()
	}
	return pk
}

// OnSubscribed writes the injected codes into the SUBACK mochi is about to
// send (reasonCodes is the SUBACK's own slice).
func (h *fakeHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	if cl.Net.Inline {
		return
	}
	key := subKey{cl, pk.PacketID}
	h.subs.mu.Lock()
	failed := h.subs.pending[key]
	delete(h.subs.pending, key)
	h.subs.mu.Unlock()
	for i, code := range failed {
		if i < len(reasonCodes) {
			reasonCodes[i] = code
		}
	}
}

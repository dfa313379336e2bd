package mqttfake

import (
	"bytes"
	"cmp"
	"slices"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// fakeHook is where the fake changes mochi's behaviour: Mosquitto-compatible
// CONNACK codes, auth and ACLs, faults, and the publish log.
type fakeHook struct {
	mqtt.HookBase
	s      *Server
	g      *generation
	resend resender
	subs   subFaults
}

func (h *fakeHook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	h.resend.take(h.g.m, cl, pk)
}

func (h *fakeHook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	h.resend.resend(cl)
}

func (h *fakeHook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	h.resend.forget(cl)
}

func (h *fakeHook) ID() string { return "brokerkit-fake" }

func (h *fakeHook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnPacketRead, mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck,
		mqtt.OnPacketEncode, mqtt.OnPublish, mqtt.OnSubscribe, mqtt.OnSubscribed,
		mqtt.OnSessionEstablish, mqtt.OnSessionEstablished, mqtt.OnDisconnect,
		mqtt.OnPacketProcessed,
	}, []byte{b})
}

// OnPacketRead fixes mochi's answer to a 3.1.1 CONNECT with an empty client
// ID and CleanSession=0: mochi sends the v5 code 0x80, [MQTT-3.1.3-8] and
// Mosquitto send 0x02 (identifier rejected).
//
// It also lets a CONNECT with the password flag and an empty password
// through to auth: mochi refuses it with 0x82 (not even a 3.1.1 code),
// Mosquitto 2.0.11 treats it as an empty password, answering 5 (3.1.1) or
// 0x87 (v5) when it is wrong and accepting it on an anonymous broker.
func (h *fakeHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type == packets.Puback {
		h.handOver(cl, pk)
		return pk, nil
	}
	if pk.FixedHeader.Type == packets.Connect && pk.Connect.PasswordFlag && len(pk.Connect.Password) == 0 {
		pk.Connect.PasswordFlag = false
	}
	if pk.FixedHeader.Type == packets.Connect && pk.ProtocolVersion < 5 &&
		!pk.Connect.Clean && pk.Connect.ClientIdentifier == "" {
		_ = cl.WritePacket(packets.Packet{
			FixedHeader: packets.FixedHeader{Type: packets.Connack},
			ReasonCode:  packets.Err3ClientIdentifierNotValid.Code,
		})
		return pk, packets.ErrRejectPacket // only this error stops mochi
	}
	return pk, nil
}

// OnConnect authenticates and applies connect faults. It answers the CONNACK
// itself because mochi's auth path always sends 0x86/0x05, while Mosquitto
// sends 0x87 (v5) and 0x05 (v3) for bad or missing credentials.
func (h *fakeHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	cfg := &h.s.cfg
	if !cfg.authenticate(pk.Connect.Username, pk.Connect.Password, pk.Connect.UsernameFlag) {
		return refuse(cl, packets.ErrNotAuthorized.Code)
	}
	code, fail, delay := h.s.faults.Check(string(OpConnect), cl.ID)
	h.g.sleep(delay)
	if fail {
		return refuse(cl, code)
	}
	if ka := cfg.keepAlive; ka > 0 && cl.Properties.ProtocolVersion == 5 {
		// mochi sends it in CONNACK and enforces it from here on.
		cl.State.ServerKeepalive, cl.State.Keepalive = true, ka
	}
	return nil
}

// refuse sends a failure CONNACK, translating v5 codes for v3 clients.
func refuse(cl *mqtt.Client, code byte) error {
	if cl.Properties.ProtocolVersion < 5 {
		code = v3ConnackCode(code)
	}
	_ = cl.WritePacket(packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Connack},
		ReasonCode:  code,
	})
	return packets.Code{Code: code, Reason: "refused by mqttfake"}
}

// v3ConnackCode maps a v5 CONNACK reason code to the 3.1.1 return code a
// broker would use; codes already in the v3 range pass through.
func v3ConnackCode(code byte) byte {
	switch code {
	case 0x84:
		return 0x01 // unacceptable protocol version
	case 0x85:
		return 0x02 // identifier rejected
	case 0x86:
		return 0x04 // bad user name or password
	case 0x87, 0x8C:
		return 0x05 // not authorized
	}
	if code <= 0x05 {
		return code
	}
	return 0x03 // server unavailable
}

// OnConnectAuthenticate accepts: OnConnect already decided.
func (h *fakeHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnACLCheck leaves publishes to OnPublish, which sees the topic after
// topic-alias resolution (mochi checks the raw, possibly empty, name) and
// can answer 3.1.1 clients as Mosquitto does (mochi disconnects them).
func (h *fakeHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	return write || h.s.cfg.allowed(cl, topic, false)
}

// OnPacketEncode advertises the packet size limit to v5 clients, as
// Mosquitto does when max_packet_size is set, and the Topic Alias Maximum,
// which mochi enforces but never advertises; and it keeps the client's user
// properties out of SUBACK and UNSUBACK, as Mosquitto does.
func (h *fakeHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if t := pk.FixedHeader.Type; t == packets.Suback || t == packets.Unsuback {
		pk.Properties.User = nil // mochi copies the client's own, as it did on PUBACK
	}
	if pk.FixedHeader.Type != packets.Connack || pk.ReasonCode != 0 || cl.Properties.ProtocolVersion != 5 {
		return pk
	}
	if max := h.s.cfg.maxPacket; max > 0 {
		pk.Properties.MaximumPacketSize = max
	}
	pk.Properties.TopicAliasMaximum = h.s.cfg.aliasMax
	return pk
}

// OnPublish applies publish faults and delivery rules. A failed v5 QoS>0
// publish is acknowledged with the chosen code; anything else that fails or
// is dropped is acknowledged normally and never delivered or retained.
//
// It also records the message: mochi acknowledges a QoS 1 publish before
// routing it, so recording here (before the acknowledgement) means a
// publisher that has its PUBACK always finds its message in Published.
func (h *fakeHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		h.s.rec.add(cl.ID, pk, false)
		return pk, nil
	}
	var (
		code  = packets.ErrNotAuthorized.Code
		fail  = true
		drop  bool
		delay time.Duration
	)
	// Not authorized: v5 QoS 1/2 get 0x87, everything else is acked and
	// dropped (Mosquitto 2.0.11 acks a denied 3.1.1 publish with rc 0).
	if h.s.cfg.allowed(cl, pk.TopicName, true) {
		code, fail, delay = h.s.faults.Check(string(OpPublish), pk.TopicName)
		var d time.Duration
		d, drop = h.s.delivery.check(pk.TopicName)
		h.g.sleep(delay + d)
	}
	h.s.rec.add(cl.ID, pk, fail || drop)
	if !fail {
		if drop {
			return pk, packets.CodeSuccessIgnore
		}
		return pk, nil
	}
	if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
		typ := packets.Puback
		if pk.FixedHeader.Qos == 2 {
			typ = packets.Pubrec
		}
		_ = cl.WritePacket(packets.Packet{
			FixedHeader: packets.FixedHeader{Type: typ},
			PacketID:    pk.PacketID,
			ReasonCode:  code,
		})
		return pk, packets.ErrRejectPacket
	}
	return pk, packets.CodeSuccessIgnore
}

// handOver gives the slot a PUBACK frees straight to the oldest delivery
// held back by the client's Receive Maximum. Done before mochi sees the
// PUBACK (it then finds nothing to complete), so mochi's send quota never
// rises while messages are held back, and a message routed meanwhile is
// held back behind them instead of overtaking them.
func (h *fakeHook) handOver(cl *mqtt.Client, pk packets.Packet) {
	done, ok := cl.State.Inflight.Get(pk.PacketID)
	if !ok || done.FixedHeader.Type != packets.Publish || done.Expiry < 0 {
		return
	}
	next, ok := oldestParked(cl)
	if !ok {
		return
	}
	if cl.State.Inflight.Delete(pk.PacketID) {
		atomic.AddInt64(&h.g.m.Info.Inflight, -1)
		if h.g.persist != nil {
			h.g.persist.OnQosComplete(cl, pk)
		}
	}
	next.Expiry = 0
	cl.State.Inflight.Set(next) // still awaiting its acknowledgement
	_ = cl.WritePacket(next)
}

// oldestParked returns the oldest delivery mochi held back (Expiry -1).
func oldestParked(cl *mqtt.Client) (packets.Packet, bool) {
	parked := parkedDeliveries(cl)
	if len(parked) == 0 {
		return packets.Packet{}, false
	}
	return parked[0], true
}

func parkedDeliveries(cl *mqtt.Client) []packets.Packet {
	var parked []packets.Packet
	for _, p := range cl.State.Inflight.GetAll(true) {
		if p.FixedHeader.Type == packets.Publish {
			parked = append(parked, p)
		}
	}
	slices.SortFunc(parked, func(a, b packets.Packet) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), cmp.Compare(a.PacketID, b.PacketID))
	})
	return parked
}

// OnPacketProcessed sends deliveries held back by the client's Receive
// Maximum once an acknowledgement frees room.
func (h *fakeHook) OnPacketProcessed(cl *mqtt.Client, pk packets.Packet, err error) {
	if t := pk.FixedHeader.Type; err == nil && (t == packets.Puback || t == packets.Pubcomp) {
		sendParked(cl)
	}
}

// sendParked fixes mochi's flow control [MQTT-3.3.4-9]: a QoS 1/2 delivery
// beyond the client's Receive Maximum is parked in the inflight store
// (Expiry -1), and mochi later sends one parked message per packet it
// processes, in no particular order, and forgets it, so its PUBACK frees
// nothing and the last parked messages are never sent. This sends the
// oldest parked messages, as many as the client has room for, and keeps
// them in flight until acknowledged. It runs before mochi's own attempt,
// which then finds no room or nothing parked.
func sendParked(cl *mqtt.Client) {
	room := int(cl.Properties.Props.ReceiveMaximum)
	if room == 0 {
		return // no Receive Maximum: mochi parks nothing
	}
	for _, p := range cl.State.Inflight.GetAll(false) {
		if (p.FixedHeader.Type == packets.Publish && p.Expiry >= 0) || p.FixedHeader.Type == packets.Pubrel {
			room-- // sent, awaiting PUBACK, PUBREC or PUBCOMP
		}
	}
	parked := parkedDeliveries(cl)
	for _, p := range parked[:max(0, min(room, len(parked)))] {
		p.Expiry = 0
		cl.State.Inflight.Set(p) // still awaiting its acknowledgement
		cl.State.Inflight.DecreaseSendQuota()
		if cl.WritePacket(p) != nil {
			return
		}
	}
}

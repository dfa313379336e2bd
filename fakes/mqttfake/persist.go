package mqttfake

import (
	"bytes"
	"errors"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/packets"
)

// persistHook writes every change of the durable state to the store as
// mochi makes it. Retained messages, sessions and subscriptions change
// before mochi answers the client (PUBACK, CONNACK, SUBACK, UNSUBACK);
// messages queued for a session are written as they are routed, which mochi
// does right after it acknowledged the publish.
type persistHook struct {
	mqtt.HookBase
	st *store
	m  *mqtt.Server
}

func (h *persistHook) ID() string { return "brokerkit-persist" }

func (h *persistHook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnSessionEstablish, mqtt.OnDisconnect, mqtt.OnClientExpired,
		mqtt.OnSubscribed, mqtt.OnUnsubscribed,
		mqtt.OnRetainMessage, mqtt.OnRetainedExpired,
		mqtt.OnQosPublish, mqtt.OnQosComplete, mqtt.OnQosDropped,
	}, []byte{b})
}

// persistent reports whether cl's session outlives its connection.
// It reads single fields: mochi writes others (the will) on the client's
// own goroutine while hooks run on publishers' goroutines.
func persistent(cl *mqtt.Client) bool {
	if cl.Net.Inline {
		return false
	}
	if cl.Properties.ProtocolVersion == 5 {
		return cl.Properties.Props.SessionExpiryInterval > 0
	}
	return !cl.Properties.Clean
}

// storedClient runs on cl's own goroutine (OnSessionEstablish).
func storedClient(cl *mqtt.Client) *storage.Client {
	p := &cl.Properties
	return &storage.Client{
		ID:              cl.ID,
		T:               storage.ClientKey,
		Listener:        cl.Net.Listener,
		Username:        p.Username,
		Clean:           p.Clean,
		ProtocolVersion: p.ProtocolVersion,
		Properties: storage.ClientProperties{
			SessionExpiryInterval:     p.Props.SessionExpiryInterval,
			SessionExpiryIntervalFlag: p.Props.SessionExpiryIntervalFlag,
			ReceiveMaximum:            p.Props.ReceiveMaximum,
			TopicAliasMaximum:         p.Props.TopicAliasMaximum,
			MaximumPacketSize:         p.Props.MaximumPacketSize,
			User:                      p.Props.User,
		},
	}
}

// OnSessionEstablish runs before the CONNACK: a clean start ends the old
// session; a persistent one is recorded.
func (h *persistHook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	if cl.Net.Inline {
		return
	}
	if pk.Connect.Clean {
		h.st.write(record{Op: recDropClient, Client: cl.ID})
	}
	if persistent(cl) {
		h.st.write(record{Op: recClient, Cl: storedClient(cl)})
	} else if !pk.Connect.Clean {
		h.st.write(record{Op: recDropClient, Client: cl.ID}) // resumed, but ends with this connection
	}
}

// superseded reports whether a newer connection owns cl's client ID.
func (h *persistHook) superseded(cl *mqtt.Client) bool {
	if cl.IsTakenOver() || errors.Is(cl.StopCause(), packets.ErrSessionTakenOver) {
		return true
	}
	cur, ok := h.m.Clients.Get(cl.ID)
	return ok && cur != cl
}

func (h *persistHook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if cl.Net.Inline || h.superseded(cl) {
		return
	}
	if expire {
		h.st.write(record{Op: recDropClient, Client: cl.ID})
	}
}

func (h *persistHook) OnClientExpired(cl *mqtt.Client) {
	h.st.write(record{Op: recDropClient, Client: cl.ID})
}

// OnSubscribed runs before the SUBACK (and after the fake's own hook put
// injected failure codes in reasonCodes).
func (h *persistHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	if !persistent(cl) {
		return
	}
	for i, sub := range pk.Filters {
		if i >= len(reasonCodes) || reasonCodes[i] >= 0x80 {
			continue
		}
		h.st.write(record{Op: recSub, Sub: &storage.Subscription{
			T:                 storage.SubscriptionKey,
			Client:            cl.ID,
			Filter:            sub.Filter,
			Identifier:        sub.Identifier,
			RetainHandling:    sub.RetainHandling,
			Qos:               reasonCodes[i],
			RetainAsPublished: sub.RetainAsPublished,
			NoLocal:           sub.NoLocal,
		}})
	}
}

func (h *persistHook) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	if !persistent(cl) {
		return
	}
	for _, sub := range pk.Filters {
		h.st.write(record{Op: recUnsub, Client: cl.ID, Topic: sub.Filter})
	}
}

// OnRetainMessage runs before the publisher's acknowledgement.
func (h *persistHook) OnRetainMessage(_ *mqtt.Client, pk packets.Packet, r int64) {
	if strings.HasPrefix(pk.TopicName, "$SYS") {
		return // the broker's own, resent every interval
	}
	if r <= 0 || len(pk.Payload) == 0 {
		h.st.write(record{Op: recUnretain, Topic: pk.TopicName})
		return
	}
	m := storedMessage("", pk)
	m.T = storage.RetainedKey
	h.st.write(record{Op: recRetain, Msg: &m})
}

func (h *persistHook) OnRetainedExpired(topic string) {
	h.st.write(record{Op: recUnretain, Topic: topic})
}

func (h *persistHook) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, _ int) {
	if !persistent(cl) {
		return
	}
	m := storedMessage(cl.ID, pk)
	h.st.write(record{Op: recQueue, Msg: &m})
}

func (h *persistHook) OnQosComplete(cl *mqtt.Client, pk packets.Packet) {
	if persistent(cl) {
		h.st.write(record{Op: recDequeue, Client: cl.ID, ID: pk.PacketID})
	}
}

func (h *persistHook) OnQosDropped(cl *mqtt.Client, pk packets.Packet) {
	if persistent(cl) {
		h.st.write(record{Op: recDequeue, Client: cl.ID, ID: pk.PacketID})
	}
}

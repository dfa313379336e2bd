package mqttfake

import (
	"bytes"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage"
	"github.com/mochi-mqtt/server/v2/packets"
)

// The durable state (retained messages, persistent sessions with their
// subscriptions and queued QoS 1/2 messages) is captured from a stopped
// mochi instance and fed to the next one through mochi's own storage-hook
// restore path (Restart, in memory). With WithDataDir the same snapshot,
// as JSON, is the compacted form of the store's log (store.go); mochi's
// storage backends would each add a database dependency.

const snapshotFile = "mqttfake-state.json"

type snapshot struct {
	Version       int                    `json:"version"`
	Retained      []storage.Message      `json:"retained"`
	Clients       []storage.Client       `json:"clients"`
	Subscriptions []storage.Subscription `json:"subscriptions"`
	Inflight      []storage.Message      `json:"inflight"`
}

// capture reads the durable state of a mochi server whose connections have
// all ended.
func capture(m *mqtt.Server) *snapshot {
	snap := &snapshot{Version: 1}
	for _, pk := range m.Topics.Retained.GetAll() {
		if strings.HasPrefix(pk.TopicName, "$SYS") {
			continue
		}
		snap.Retained = append(snap.Retained, storedMessage("", pk))
	}
	for id, cl := range m.Clients.GetAll() {
		p := cl.Properties
		if cl.Net.Inline || (p.ProtocolVersion == 5 && p.Props.SessionExpiryInterval == 0) || (p.ProtocolVersion < 5 && p.Clean) {
			continue // session ends with the connection
		}
		snap.Clients = append(snap.Clients, *storedClient(cl))
		for _, sub := range cl.State.Subscriptions.GetAll() {
			snap.Subscriptions = append(snap.Subscriptions, storage.Subscription{
				T:                 storage.SubscriptionKey,
				Client:            id,
				Filter:            sub.Filter,
				Identifier:        sub.Identifier,
				RetainHandling:    sub.RetainHandling,
				Qos:               sub.Qos,
				RetainAsPublished: sub.RetainAsPublished,
				NoLocal:           sub.NoLocal,
			})
		}
		for _, pk := range cl.State.Inflight.GetAll(false) {
			snap.Inflight = append(snap.Inflight, storedMessage(id, pk))
		}
	}
	return snap
}

func storedMessage(client string, pk packets.Packet) storage.Message {
	return storage.Message{
		T:           storage.InflightKey,
		Client:      client,
		Origin:      pk.Origin,
		TopicName:   pk.TopicName,
		Payload:     pk.Payload,
		FixedHeader: pk.FixedHeader,
		PacketID:    pk.PacketID,
		Created:     pk.Created,
		Properties: storage.MessageProperties{
			PayloadFormat:          pk.Properties.PayloadFormat,
			PayloadFormatFlag:      pk.Properties.PayloadFormatFlag,
			MessageExpiryInterval:  pk.Properties.MessageExpiryInterval,
			ContentType:            pk.Properties.ContentType,
			ResponseTopic:          pk.Properties.ResponseTopic,
			CorrelationData:        pk.Properties.CorrelationData,
			SubscriptionIdentifier: pk.Properties.SubscriptionIdentifier,
			User:                   pk.Properties.User,
		},
	}
}

// restoreHook hands a snapshot to mochi's Serve.
type restoreHook struct {
	mqtt.HookBase
	snap *snapshot
}

func (h *restoreHook) ID() string { return "brokerkit-restore" }

func (h *restoreHook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.StoredClients, mqtt.StoredSubscriptions, mqtt.StoredInflightMessages, mqtt.StoredRetainedMessages,
	}, []byte{b})
}

func (h *restoreHook) StoredClients() ([]storage.Client, error) { return h.snap.Clients, nil }
func (h *restoreHook) StoredSubscriptions() ([]storage.Subscription, error) {
	return h.snap.Subscriptions, nil
}
func (h *restoreHook) StoredInflightMessages() ([]storage.Message, error) {
	return h.snap.Inflight, nil
}
func (h *restoreHook) StoredRetainedMessages() ([]storage.Message, error) {
	return h.snap.Retained, nil
}

package conformance

import (
	"slices"
	"testing"

	"github.com/eclipse/paho.golang/packets"
)

func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }

func m5Retained(c *m5Client, topic, payload string) {
	c.t.Helper()
	c.publish(&packets.Publish{Topic: topic, QoS: 1, Retain: true, Payload: []byte(payload)})
	// mochi acknowledges before routing; a broker handles one connection's
	// packets in order, so once this is acknowledged the retained message
	// has been routed and a later subscriber gets it only as retained.
	c.publish(&packets.Publish{Topic: topic + "/sync", QoS: 1})
	// Leave no retained message behind on an external broker.
	c.t.Cleanup(func() { c.send(&packets.Publish{Topic: topic, Retain: true, Properties: &packets.Properties{}}) })
}

// m5AckProperties: MQTT 5 allows a reason string and user properties on
// PUBACK, PUBREC, SUBACK and UNSUBACK, but they are the broker's own; no
// broker echoes the client's (Mosquitto sends none, and strict clients reject
// an ack whose length they do not expect).
func m5AckProperties(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	c := m5Dial(t, ctx, h)
	up := []packets.User{{Key: "k", Value: "from the publisher"}}
	for _, qos := range []byte{1, 2} {
		ack := c.publish(&packets.Publish{Topic: h.Topic(), QoS: qos, Payload: []byte("x"), Properties: &packets.Properties{User: up}})
		var props *packets.Properties
		switch a := ack.Content.(type) {
		case *packets.Puback:
			props = a.Properties
		case *packets.Pubrec:
			props = a.Properties
		}
		if u := userProps(props); len(u) > 0 {
			t.Errorf("QoS %d ack carries the publisher's user properties %v", qos, u)
		}
	}
	sub := &packets.Subscribe{PacketID: c.id(), Properties: &packets.Properties{User: up},
		Subscriptions: []packets.SubOptions{{Topic: h.Topic(), QoS: 1}}}
	c.send(sub)
	if u := userProps(await[*packets.Suback](c, true).Properties); len(u) > 0 {
		t.Errorf("SUBACK carries the subscriber's user properties %v", u)
	}
	c.send(&packets.Unsubscribe{PacketID: c.id(), Properties: &packets.Properties{User: up}, Topics: []string{sub.Subscriptions[0].Topic}})
	if u := userProps(await[*packets.Unsuback](c, true).Properties); len(u) > 0 {
		t.Errorf("UNSUBACK carries the subscriber's user properties %v", u)
	}
}

// m5Expiry: a message without a Message Expiry Interval does not expire and
// is forwarded without one [MQTT-3.3.2-5]; one with an interval is
// forwarded with what is left of it [MQTT-3.3.2-6], retained copies too.
func m5Expiry(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	sub := m5Dial(t, ctx, h)
	sub.subscribe(packets.SubOptions{Topic: topic + "/#", QoS: 1})
	pub := m5Dial(t, ctx, h)
	pub.publish(&packets.Publish{Topic: topic + "/none", QoS: 1, Payload: []byte("none")})
	pub.publish(&packets.Publish{Topic: topic + "/set", QoS: 1, Payload: []byte("set"),
		Properties: &packets.Properties{MessageExpiry: u32(300)}})
	m5Retained(pub, topic+"/kept", "kept")
	for _, p := range sub.deliveriesUntil(topic + "/kept") {
		checkExpiry(t, p, topic)
	}
	late := m5Dial(t, ctx, h)
	late.subscribe(packets.SubOptions{Topic: topic + "/kept", QoS: 1})
	checkExpiry(t, late.delivery(), topic)
}

func checkExpiry(t *testing.T, p *packets.Publish, topic string) {
	t.Helper()
	var exp *uint32
	if p.Properties != nil {
		exp = p.Properties.MessageExpiry
	}
	switch p.Topic {
	case topic + "/none", topic + "/kept":
		if exp != nil {
			t.Errorf("%s (retain=%v) forwarded with an invented Message Expiry Interval %d", p.Topic, p.Retain, *exp)
		}
	case topic + "/set":
		if exp == nil || *exp > 300 || *exp < 250 {
			t.Errorf("%s forwarded with Message Expiry Interval %v, want what is left of 300", p.Topic, exp)
		}
	}
}

// m5ReceiveMaximum: a client that sends more unacknowledged QoS 2
// publishes than the broker's Receive Maximum is disconnected with 0x93
// (MQTT 5 3.3.4), after an acknowledgement for each one allowed.
func m5ReceiveMaximum(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	c := m5Dial(t, ctx, h, m5Manual())
	rm := 65535
	if p := c.connack.Properties; p != nil && p.ReceiveMaximum != nil {
		rm = int(*p.ReceiveMaximum)
	}
	if rm > 4096 {
		t.Skipf("Receive Maximum %d: too many to overrun quickly", rm)
	}
	topic := h.Topic()
	for i := 1; i <= rm+1; i++ {
		c.send(&packets.Publish{Topic: topic, QoS: 2, PacketID: uint16(i), Payload: []byte("x"), Properties: &packets.Properties{}})
	}
	recs := 0
	for {
		cp := c.next()
		switch p := cp.Content.(type) {
		case *packets.Pubrec:
			recs++
		case *packets.Disconnect:
			if p.ReasonCode != 0x93 {
				t.Fatalf("DISCONNECT 0x%02x, want 0x93 (Receive Maximum exceeded)", p.ReasonCode)
			}
			if recs != rm {
				t.Fatalf("%d PUBRECs before the DISCONNECT, want %d (Receive Maximum)", recs, rm)
			}
			return
		default:
			t.Fatalf("got %s", cp.PacketType())
		}
	}
}

// m5ClientReceiveMaximum: the broker never has more QoS 1 deliveries
// unacknowledged than the client's Receive Maximum [MQTT-3.3.4-9], and
// sends the rest, in order, as the client acknowledges.
func m5ClientReceiveMaximum(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	sub := m5Dial(t, ctx, h, m5Manual(), m5Props(func(p *packets.Properties) { p.ReceiveMaximum = u16(2) }))
	sub.subscribe(packets.SubOptions{Topic: topic, QoS: 1})
	pub := m5Dial(t, ctx, h)
	want := []string{"m0", "m1", "m2", "m3", "m4"}
	for _, m := range want {
		pub.publish(&packets.Publish{Topic: topic, QoS: 1, Payload: []byte(m)})
	}
	held := []*packets.Publish{sub.delivery(), sub.delivery()}
	// Anything the broker sent before it answers this PINGREQ is on the wire
	// ahead of the PINGRESP.
	sub.send(&packets.Pingreq{})
	for {
		cp := sub.next()
		if _, ok := cp.Content.(*packets.Pingresp); ok {
			break
		}
		if p, ok := cp.Content.(*packets.Publish); ok {
			t.Fatalf("third delivery %q while 2 (the client's Receive Maximum) are unacknowledged", p.Payload)
		}
	}
	got := m5Payloads(held)
	for _, p := range held {
		sub.send(&packets.Puback{PacketID: p.PacketID})
	}
	for len(got) < len(want) {
		p := sub.delivery()
		got = append(got, string(p.Payload))
		sub.send(&packets.Puback{PacketID: p.PacketID})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("deliveries %v, want %v", got, want)
	}
}

// m5SubscriptionID: a delivery carries the Subscription Identifier of the
// subscription it matched [MQTT-3.3.4-3], and none when that subscription
// has none.
func m5SubscriptionID(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	sub := m5Dial(t, ctx, h)
	sub.subscribeID(7, packets.SubOptions{Topic: topic + "/with/#", QoS: 1})
	sub.subscribe(packets.SubOptions{Topic: topic + "/without", QoS: 1})
	pub := m5Dial(t, ctx, h)
	pub.publish(&packets.Publish{Topic: topic + "/with/x", QoS: 1, Payload: []byte("a")})
	pub.publish(&packets.Publish{Topic: topic + "/without", QoS: 1, Payload: []byte("b")})
	for _, p := range sub.deliveriesUntil(topic + "/without") {
		var id *int
		if p.Properties != nil {
			id = p.Properties.SubscriptionIdentifier
		}
		switch {
		case p.Topic == topic+"/with/x" && (id == nil || *id != 7):
			t.Errorf("%s delivered with Subscription Identifier %v, want 7", p.Topic, id)
		case p.Topic == topic+"/without" && id != nil:
			t.Errorf("%s delivered with Subscription Identifier %d, want none", p.Topic, *id)
		}
	}
}

// m5ClientAliases: a publisher may replace the topic by an alias it set
// earlier and remap an alias [MQTT-3.3.2-12]; subscribers get the full
// topic, and a client that allowed no aliases never gets one [MQTT-3.3.2-9].
func m5ClientAliases(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	sub := m5Dial(t, ctx, h)
	sub.subscribe(packets.SubOptions{Topic: topic + "/#", QoS: 1})
	pub := m5Dial(t, ctx, h)
	if p := pub.connack.Properties; p == nil || p.TopicAliasMaximum == nil || *p.TopicAliasMaximum == 0 {
		t.Skip("the broker accepts no topic aliases (no Topic Alias Maximum in CONNACK)")
	}
	send := []struct{ topic, payload string }{{topic + "/x", "1"}, {"", "2"}, {topic + "/y", "3"}, {"", "4"}}
	for _, s := range send {
		pub.publish(&packets.Publish{Topic: s.topic, QoS: 1, Payload: []byte(s.payload),
			Properties: &packets.Properties{TopicAlias: u16(1)}})
	}
	want := []string{topic + "/x", topic + "/x", topic + "/y", topic + "/y"}
	for i, w := range want {
		p := sub.delivery()
		if p.Topic != w || string(p.Payload) != send[i].payload {
			t.Fatalf("delivery %d: %q on %q, want %q on %q", i, p.Payload, p.Topic, send[i].payload, w)
		}
		if p.Properties != nil && p.Properties.TopicAlias != nil {
			t.Fatalf("delivery %d carries Topic Alias %d, but the client allowed none", i, *p.Properties.TopicAlias)
		}
	}
}

func m5ServerAliases(t *testing.T, h MQTT5Harness)     { serverAliases(t, h, false) }
func m5ServerAliasesUsed(t *testing.T, h MQTT5Harness) { serverAliases(t, h, true) }

// serverAliases: aliases on deliveries stay within the client's Topic
// Alias Maximum [MQTT-3.3.2-10], are set (with the topic) before being used
// alone, and resolve to the right topics; with used, the broker must
// actually send an alias without a topic.
func serverAliases(t *testing.T, h MQTT5Harness, used bool) {
	ctx := ctxFor(t)
	topic := h.Topic()
	sub := m5Dial(t, ctx, h, m5Props(func(p *packets.Properties) { p.TopicAliasMaximum = u16(2) }))
	sub.subscribe(packets.SubOptions{Topic: topic + "/#", QoS: 1})
	pub := m5Dial(t, ctx, h)
	var want []string
	for range 2 {
		for _, s := range []string{"/a", "/b", "/c"} {
			want = append(want, topic+s)
			pub.publish(&packets.Publish{Topic: topic + s, QoS: 1, Payload: []byte(s)})
		}
	}
	aliases := map[uint16]string{}
	alone := 0
	for i, w := range want {
		p := sub.delivery()
		name := p.Topic
		if p.Properties != nil && p.Properties.TopicAlias != nil {
			a := *p.Properties.TopicAlias
			if a == 0 || a > 2 {
				t.Fatalf("delivery %d uses Topic Alias %d; the client allowed 1–2", i, a)
			}
			if name != "" {
				aliases[a] = name
			} else if name = aliases[a]; name == "" {
				t.Fatalf("delivery %d uses Topic Alias %d before setting it", i, a)
			} else {
				alone++
			}
		} else if name == "" {
			t.Fatalf("delivery %d has neither topic nor alias", i)
		}
		if name != w {
			t.Fatalf("delivery %d resolves to %q, want %q", i, name, w)
		}
	}
	if used && alone == 0 {
		t.Fatal("no delivery used a topic alias without its topic")
	}
}

// m5WillSessionEnds: the will is published when its delay passes or the
// session ends, whichever is first [MQTT-3.1.3-9]: with a 1 h delay and a
// 1 s session expiry, it comes after about a second.
func m5WillSessionEnds(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	will := h.Topic() + "/will"
	sub := m5Dial(t, ctx, h)
	sub.subscribe(packets.SubOptions{Topic: will, QoS: 1})
	c := m5Dial(t, ctx, h, m5Will(will, []byte("gone"), 3600),
		m5Props(func(p *packets.Properties) { p.SessionExpiryInterval = u32(1) }))
	_ = c.conn.Close() // no DISCONNECT: the will applies
	if p := sub.delivery(); string(p.Payload) != "gone" {
		t.Fatalf("got %q on %s, want the will", p.Payload, p.Topic)
	}
}

// m5WillHeld: within the will delay the will is held, and a reconnection
// to the session before it passes cancels it [MQTT-3.1.3-9]; the resumed
// session is reported present [MQTT-3.2.2-2].
func m5WillHeld(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	will := topic + "/will"
	sub := m5Dial(t, ctx, h)
	sub.subscribe(packets.SubOptions{Topic: topic + "/#", QoS: 1})
	id := h.ClientID()
	session := m5Props(func(p *packets.Properties) { p.SessionExpiryInterval = u32(3600) })
	c := m5Dial(t, ctx, h, m5ID(id, true), m5Will(will, []byte("gone"), 3600), session)
	_ = c.conn.Close()
	again := m5Dial(t, ctx, h, m5ID(id, false), session)
	if !again.connack.SessionPresent {
		t.Error("CONNACK to the resumed session says Session Present 0")
	}
	pub := m5Dial(t, ctx, h)
	pub.publish(&packets.Publish{Topic: topic + "/marker", QoS: 1, Payload: []byte("marker")})
	// End the session for good: no will after a normal DISCONNECT.
	again.send(&packets.Disconnect{Properties: &packets.Properties{SessionExpiryInterval: u32(0)}})
	_ = again.conn.Close()
	pub.publish(&packets.Publish{Topic: topic + "/end", QoS: 1, Payload: []byte("end")})
	if got := m5Payloads(sub.deliveriesUntil(topic + "/end")); !slices.Equal(got, []string{"marker", "end"}) {
		t.Fatalf("deliveries %v, want [marker end] (the will held, then cancelled)", got)
	}
}

// m5SharedNoRetained: a shared subscription gets no retained messages when
// it is made: [MQTT-3.3.1-6] sends them when a non-shared subscription is
// made, and MQTT 5 4.8.2 says retained messages are not sent to a shared one.
func m5SharedNoRetained(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	pub := m5Dial(t, ctx, h)
	m5Retained(pub, topic, "old")
	sub := m5Dial(t, ctx, h)
	sub.subscribe(packets.SubOptions{Topic: "$share/g/" + topic, QoS: 1})
	pub.publish(&packets.Publish{Topic: topic, QoS: 1, Payload: []byte("live")})
	if p := sub.delivery(); string(p.Payload) != "live" {
		t.Fatalf("shared subscription got %q (retain=%v) first, want the live message", p.Payload, p.Retain)
	}
}

// retainHandling subscribes twice with rh and checks what each
// subscription brings before a live message published after its SUBACK:
// first and second list the payloads, in any order (mochi sends the SUBACK
// before queueing retained messages, so the live one can come first).
// Something unexpected sent as retained would usually come first.
func retainHandling(t *testing.T, h MQTT5Harness, rh byte, first, second []string) {
	ctx := ctxFor(t)
	topic := h.Topic()
	pub := m5Dial(t, ctx, h)
	m5Retained(pub, topic, "kept")
	c := m5Dial(t, ctx, h)
	for i, want := range [][]string{first, second} {
		c.subscribe(packets.SubOptions{Topic: topic, QoS: 1, RetainHandling: rh})
		pub.publish(&packets.Publish{Topic: topic, QoS: 1, Payload: []byte("live")})
		var got []string
		for !slices.Contains(got, "live") || len(got) < len(want) {
			got = append(got, string(c.delivery().Payload))
			if len(got) > len(want) || !slices.Contains(want, got[len(got)-1]) {
				t.Fatalf("retain handling %d, subscription %d: got %v, want %v", rh, i+1, got, want)
			}
		}
	}
}

// Retain Handling 0: retained messages on every SUBSCRIBE [MQTT-3.3.1-9].
func m5RetainHandling0(t *testing.T, h MQTT5Harness) {
	retainHandling(t, h, 0, []string{"kept", "live"}, []string{"kept", "live"})
}

// Retain Handling 1: only when the subscription is new [MQTT-3.3.1-10].
func m5RetainHandling1(t *testing.T, h MQTT5Harness) {
	retainHandling(t, h, 1, []string{"kept", "live"}, []string{"live"})
}

// Retain Handling 2: never [MQTT-3.3.1-11].
func m5RetainHandling2(t *testing.T, h MQTT5Harness) {
	retainHandling(t, h, 2, []string{"live"}, []string{"live"})
}

// m5NoLocal: with No Local the broker does not send a client its own
// messages [MQTT-3.8.3-3].
func m5NoLocal(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	c := m5Dial(t, ctx, h)
	c.subscribe(packets.SubOptions{Topic: topic, QoS: 1, NoLocal: true})
	c.publish(&packets.Publish{Topic: topic, QoS: 1, Payload: []byte("own")})
	// One connection's packets are handled in order: once this is
	// acknowledged, "own" has been routed.
	c.publish(&packets.Publish{Topic: topic + "/sync", QoS: 1, Payload: []byte("sync")})
	other := m5Dial(t, ctx, h)
	other.publish(&packets.Publish{Topic: topic, QoS: 1, Payload: []byte("other")})
	if p := c.delivery(); string(p.Payload) != "other" {
		t.Fatalf("No Local subscriber got %q first, want only the other client's message", p.Payload)
	}
}

// m5RetainAsPublished: a live delivery keeps the publisher's RETAIN flag
// only with Retain As Published; without it the flag is 0 [MQTT-3.3.1-12,
// MQTT-3.3.1-13].
func m5RetainAsPublished(t *testing.T, h MQTT5Harness) {
	ctx := ctxFor(t)
	topic := h.Topic()
	c := m5Dial(t, ctx, h)
	c.subscribe(packets.SubOptions{Topic: topic + "/rap", QoS: 1, RetainAsPublished: true})
	c.subscribe(packets.SubOptions{Topic: topic + "/plain", QoS: 1})
	pub := m5Dial(t, ctx, h)
	m5Retained(pub, topic+"/rap", "x")
	m5Retained(pub, topic+"/plain", "y")
	for _, p := range c.deliveriesUntil(topic + "/plain") {
		if want := p.Topic == topic+"/rap"; p.Retain != want {
			t.Errorf("live delivery on %s has RETAIN %v, want %v", p.Topic, p.Retain, want)
		}
	}
}

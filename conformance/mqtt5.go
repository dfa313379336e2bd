package conformance

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/eclipse/paho.golang/packets"
)

// MQTT 5 broker-behaviour capabilities: what the spec leaves optional, or
// where a broker the suite runs against is known to deviate.
const (
	// ServerTopicAliases: the broker uses topic aliases on the messages it
	// sends when the client allows them (optional, MQTT 5 3.3.2.3.4).
	// Mosquitto 2.0.11 never does.
	ServerTopicAliases Capability = "server-to-client topic aliases"
	// ReceiveMaximumDisconnect: a client that exceeds the broker's Receive
	// Maximum is disconnected with 0x93 (MQTT 5 3.3.4). Mosquitto 2.0.11
	// keeps the connection.
	ReceiveMaximumDisconnect Capability = "DISCONNECT 0x93 past Receive Maximum"
	// SharedSubscriptionNoRetained: a new shared subscription gets no
	// retained messages ([MQTT-3.3.1-6] sends them for non-shared ones).
	// Mosquitto 2.0.11 sends them.
	SharedSubscriptionNoRetained Capability = "no retained messages for shared subscriptions"
)

// MQTT5Harness gives RunMQTT5 raw connections to one broker; the scenarios
// speak MQTT 5 over them with paho.golang's packet codec, so they can check
// what a client library hides (ack properties, aliases, flow control).
type MQTT5Harness interface {
	// Name is the broker, e.g. "mqtt5 (fake)".
	Name() string
	Capabilities() Capabilities
	// Topic returns a topic level unique to this call.
	Topic() string
	// ClientID returns a client identifier unique to this call.
	ClientID() string
	// Dial opens a connection to the broker's plain MQTT listener.
	Dial(ctx context.Context) (net.Conn, error)
	// Login is the username and password every client sends ("" for none).
	Login() (user, password string)
}

// MQTT5HarnessMaker makes a fresh harness for one scenario.
type MQTT5HarnessMaker func(t *testing.T) MQTT5Harness

// RunMQTT5 runs the MQTT 5 broker-behaviour scenarios: normative
// statements of the MQTT 5.0 spec that the Eclipse Paho interoperability
// suite and broker conformance tools exercise.
func RunMQTT5(t *testing.T, mk MQTT5HarnessMaker) {
	scenarios := []struct {
		name string
		fn   func(*testing.T, MQTT5Harness)
		need []Capability
	}{
		{"AcksDoNotEchoClientProperties", m5AckProperties, nil},
		{"MessageExpiryOnlyWhenSetAndCountedDown", m5Expiry, nil},
		{"ReceiveMaximumExceededDisconnects", m5ReceiveMaximum, []Capability{ReceiveMaximumDisconnect}},
		{"ServerHonoursClientReceiveMaximum", m5ClientReceiveMaximum, nil},
		{"SubscriptionIdentifierOnDeliveries", m5SubscriptionID, nil},
		{"ClientTopicAliasesResolved", m5ClientAliases, nil},
		{"ServerTopicAliasesWithinClientMaximum", m5ServerAliases, nil},
		{"ServerTopicAliasesUsed", m5ServerAliasesUsed, []Capability{ServerTopicAliases}},
		{"WillDelayEndsWithSession", m5WillSessionEnds, nil},
		{"WillDelayHoldsWillUntilReconnect", m5WillHeld, nil},
		{"SharedSubscriptionGetsNoRetained", m5SharedNoRetained, []Capability{Groups, SharedSubscriptionNoRetained}},
		{"RetainHandling0SendsOnEverySubscribe", m5RetainHandling0, nil},
		{"RetainHandling1SendsOnNewSubscriptionOnly", m5RetainHandling1, nil},
		{"RetainHandling2NeverSends", m5RetainHandling2, nil},
		{"NoLocalSkipsOwnMessages", m5NoLocal, nil},
		{"RetainAsPublishedKeepsFlag", m5RetainAsPublished, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h := mk(t)
			need(t, h.Capabilities(), h.Name(), sc.need...)
			sc.fn(t, h)
		})
	}
}

// m5Client is one raw MQTT 5 connection. A reader goroutine acknowledges
// QoS 1/2 deliveries (unless manual) and queues every packet it reads.
type m5Client struct {
	t       *testing.T
	conn    net.Conn
	connack *packets.Connack
	in      chan *packets.ControlPacket
	readErr chan error // the reader's final error
	manual  bool       // leave PUBACK/PUBREC to the scenario

	wmu     sync.Mutex
	nextID  uint16
	pending []*packets.ControlPacket // deliveries read while waiting for an ack
}

type m5Opt func(*packets.Connect, *m5Client)

func m5Manual() m5Opt { return func(_ *packets.Connect, c *m5Client) { c.manual = true } }

func m5Props(fn func(*packets.Properties)) m5Opt {
	return func(cp *packets.Connect, _ *m5Client) {
		if cp.Properties == nil {
			cp.Properties = &packets.Properties{}
		}
		fn(cp.Properties)
	}
}

func m5ID(id string, clean bool) m5Opt {
	return func(cp *packets.Connect, _ *m5Client) { cp.ClientID, cp.CleanStart = id, clean }
}

func m5Will(topic string, payload []byte, delay uint32) m5Opt {
	return func(cp *packets.Connect, _ *m5Client) {
		cp.WillFlag, cp.WillTopic, cp.WillMessage, cp.WillQOS = true, topic, payload, 1
		cp.WillProperties = &packets.Properties{WillDelayInterval: &delay}
	}
}

// m5Dial connects and checks the CONNACK is a success; the connection is
// closed at cleanup.
func m5Dial(t *testing.T, ctx context.Context, h MQTT5Harness, opts ...m5Opt) *m5Client {
	t.Helper()
	conn, err := h.Dial(ctx)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c := &m5Client{t: t, conn: conn, in: make(chan *packets.ControlPacket, 4096), readErr: make(chan error, 1)}
	t.Cleanup(func() { conn.Close(); <-c.readErr })
	cp := &packets.Connect{ProtocolName: "MQTT", ProtocolVersion: 5, ClientID: h.ClientID(), CleanStart: true, KeepAlive: 60}
	if u, p := h.Login(); u != "" {
		cp.Username, cp.UsernameFlag, cp.Password, cp.PasswordFlag = u, true, []byte(p), true
	}
	for _, o := range opts {
		o(cp, c)
	}
	if _, err := cp.WriteTo(conn); err != nil {
		t.Fatalf("CONNECT: %v", err)
	}
	first, err := packets.ReadPacket(conn)
	if err != nil {
		t.Fatalf("CONNACK: %v", err)
	}
	ca, ok := first.Content.(*packets.Connack)
	if !ok || ca.ReasonCode != 0 {
		t.Fatalf("CONNECT answered with %v", first)
	}
	c.connack = ca
	go c.read()
	return c
}

func (c *m5Client) read() {
	for {
		cp, err := packets.ReadPacket(c.conn)
		if err != nil {
			close(c.in)
			c.readErr <- err
			return
		}
		if !c.manual {
			switch p := cp.Content.(type) {
			case *packets.Publish:
				switch p.QoS {
				case 1:
					c.send(&packets.Puback{PacketID: p.PacketID})
				case 2:
					c.send(&packets.Pubrec{PacketID: p.PacketID})
				}
			case *packets.Pubrel:
				c.send(&packets.Pubcomp{PacketID: p.PacketID})
			}
		}
		c.in <- cp
	}
}

// send writes one packet; write errors show up as the reader's error.
func (c *m5Client) send(p io.WriterTo) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, _ = p.WriteTo(c.conn)
}

func (c *m5Client) id() uint16 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nextID++
	return c.nextID
}

// next returns the next packet, failing the test when the connection ends.
func (c *m5Client) next() *packets.ControlPacket {
	c.t.Helper()
	cp, ok := <-c.in
	if !ok {
		c.t.Fatalf("connection ended: %v", c.err())
	}
	return cp
}

func (c *m5Client) err() error {
	select {
	case err := <-c.readErr:
		c.readErr <- err
		return err
	default:
		return nil
	}
}

// await returns the next packet of type T, failing on anything else but
// deliveries (which are skipped only if skipPublish).
func await[T any](c *m5Client, skipPublish bool) T {
	c.t.Helper()
	for {
		cp := c.next()
		if v, ok := cp.Content.(T); ok {
			return v
		}
		if _, ok := cp.Content.(*packets.Publish); ok && skipPublish {
			continue
		}
		var zero T
		c.t.Fatalf("got %s while waiting for %T", cp.PacketType(), zero)
	}
}

func (c *m5Client) subscribe(opts ...packets.SubOptions) *packets.Suback {
	c.t.Helper()
	return c.subscribeID(0, opts...)
}

func (c *m5Client) subscribeID(subID int, opts ...packets.SubOptions) *packets.Suback {
	c.t.Helper()
	s := &packets.Subscribe{PacketID: c.id(), Subscriptions: opts, Properties: &packets.Properties{}}
	if subID > 0 {
		s.Properties.SubscriptionIdentifier = &subID
	}
	c.send(s)
	sa := await[*packets.Suback](c, true)
	for i, r := range sa.Reasons {
		if r >= 0x80 {
			c.t.Fatalf("SUBSCRIBE %s refused: 0x%02x", opts[i].Topic, r)
		}
	}
	return sa
}

// publish sends p (QoS 0 as is; QoS 1 and 2 wait for the PUBACK or PUBREC,
// then PUBCOMP) and returns the first ack.
func (c *m5Client) publish(p *packets.Publish) *packets.ControlPacket {
	c.t.Helper()
	if p.QoS > 0 {
		p.PacketID = c.id()
	}
	if p.Properties == nil {
		p.Properties = &packets.Properties{}
	}
	c.send(p)
	switch p.QoS {
	case 1:
		for {
			cp := c.next()
			if a, ok := cp.Content.(*packets.Puback); ok && a.PacketID == p.PacketID {
				if a.ReasonCode >= 0x80 {
					c.t.Fatalf("PUBLISH to %s refused: 0x%02x", p.Topic, a.ReasonCode)
				}
				return cp
			}
			c.requeue(cp)
		}
	case 2:
		var rec *packets.ControlPacket
		for rec == nil {
			cp := c.next()
			if r, ok := cp.Content.(*packets.Pubrec); ok && r.PacketID == p.PacketID {
				rec = cp
				break
			}
			c.requeue(cp)
		}
		c.send(&packets.Pubrel{PacketID: p.PacketID})
		for {
			cp := c.next()
			if pc, ok := cp.Content.(*packets.Pubcomp); ok && pc.PacketID == p.PacketID {
				return rec
			}
			c.requeue(cp)
		}
	}
	return nil
}

// requeue keeps a delivery read while waiting for an ack for later; any
// other packet is unexpected.
func (c *m5Client) requeue(cp *packets.ControlPacket) {
	c.t.Helper()
	if _, ok := cp.Content.(*packets.Publish); !ok {
		c.t.Fatalf("got %s while waiting for an ack", cp.PacketType())
	}
	c.pending = append(c.pending, cp)
}

// delivery returns the next PUBLISH (kept ones first).
func (c *m5Client) delivery() *packets.Publish {
	c.t.Helper()
	if len(c.pending) > 0 {
		cp := c.pending[0]
		c.pending = c.pending[1:]
		return cp.Content.(*packets.Publish)
	}
	return await[*packets.Publish](c, false)
}

// deliveriesUntil returns the deliveries up to and including the first on
// topic last. A message the broker should not have sent, published before
// last on the same route, would be among them.
func (c *m5Client) deliveriesUntil(last string) []*packets.Publish {
	c.t.Helper()
	var got []*packets.Publish
	for {
		p := c.delivery()
		got = append(got, p)
		if p.Topic == last {
			return got
		}
	}
}

func m5Payloads(ps []*packets.Publish) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p.Payload)
	}
	return out
}

func userProps(p *packets.Properties) []packets.User {
	if p == nil {
		return nil
	}
	return p.User
}

package conformance_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	pahov3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
	"github.com/brokerkit/brokerkit/conformance"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/mqtttest"
)

// The harnesses run RunStream and RunMQTT through both Go MQTT clients:
// paho.golang (MQTT 5; mqttclient for streams, the raw client for RunMQTT,
// which needs wills and abrupt disconnects) and paho.mqtt.golang (3.1.1).

func TestMQTTStreamV5(t *testing.T) {
	conformance.RunStream(t, func(t *testing.T) conformance.StreamHarness { return newMQTTStream(t, v5Dialer{}) })
}

func TestMQTTStreamV311(t *testing.T) {
	conformance.RunStream(t, func(t *testing.T) conformance.StreamHarness { return newMQTTStream(t, v3Dialer{}) })
}

func TestMQTTV5(t *testing.T) {
	conformance.RunMQTT(t, func(t *testing.T) conformance.MQTTHarness { return newMQTTHarness(t, v5Dialer{}) })
}

func TestMQTTV311(t *testing.T) {
	conformance.RunMQTT(t, func(t *testing.T) conformance.MQTTHarness { return newMQTTHarness(t, v3Dialer{}) })
}

// The limited user exists on every broker the harness uses with users
// (declared in BROKERKIT_MQTT_USERS for an external one, see .ci/mqtt/legs.sh).
const (
	limitedUser     = "brokerkit-limited"
	limitedPassword = "brokerkit-limited-pw"
)

var limitedACL = mqtttest.ACL{Filter: conformance.MQTTAllowedRoot + "/#", Read: true, Write: true}

// authEnv returns a broker with users, or nil when it cannot have them: an
// external broker whose users are not declared.
func authEnv(t *testing.T) *mqtttest.Env {
	m, _ := fixtures.ModeOf(fixtures.MQTT)
	if m == fixtures.External && os.Getenv("BROKERKIT_MQTT_USERS") == "" {
		return nil
	}
	return mqtttest.New(t, mqtttest.WithUser(limitedUser, limitedPassword, limitedACL))
}

// dialer connects one client library.
type dialer interface {
	name() string
	version() byte
	connect(ctx context.Context, ep mqttclient.Endpoint, o conformance.MQTTConnect) (conformance.MQTTClient, error)
	reasonCode(err error) (byte, bool)
}

// mqttErr carries a refusal's reason code and the operation it refused.
type mqttErr struct {
	op   string
	code byte
	err  error
}

func (e *mqttErr) Error() string { return e.op + ": " + e.err.Error() }
func (e *mqttErr) Unwrap() error { return e.err }

func code(d dialer, err error) conformance.Code {
	if err == nil {
		return conformance.OK
	}
	var me *mqttErr
	if errors.As(err, &me) {
		switch {
		case me.op == "connect" && (me.code == 0x86 || me.code == 0x87 || me.code == 4 || me.code == 5):
			return conformance.Unauthenticated
		case me.op != "connect" && (me.code == 0x87 || me.code == 0x80):
			return conformance.PermissionDenied
		case me.code == 0x95:
			return conformance.TooLarge
		}
	}
	if c, ok := d.reasonCode(err); ok {
		if c == 0x86 || c == 0x87 {
			return conformance.Unauthenticated
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return conformance.Unavailable
	}
	return conformance.Unknown
}

// mqttHarness is the RunMQTT harness.
type mqttHarness struct {
	t   *testing.T
	d   dialer
	env *mqtttest.Env
	ltd bool // env has the limited user
}

func newMQTTHarness(t *testing.T, d dialer) conformance.MQTTHarness {
	h := &mqttHarness{t: t, d: d, env: authEnv(t)}
	h.ltd = h.env != nil
	if h.env == nil {
		h.env = mqtttest.New(t)
	}
	return h
}

func (h *mqttHarness) Name() string {
	return "mqtt/" + h.d.name() + " (" + string(h.env.Mode()) + ")"
}

func (h *mqttHarness) Capabilities() conformance.Capabilities {
	caps := conformance.Capabilities{conformance.Groups, conformance.BinaryPayloads}
	if h.d.version() == 5 {
		caps = append(caps, conformance.Headers)
	}
	if h.ltd {
		caps = append(caps, conformance.Auth, conformance.TopicACL)
	}
	if h.d.version() == 5 {
		caps = append(caps, conformance.PublishReasonCodes)
	}
	// mochi checks SUBSCRIBE against the ACL; Mosquitto's acl_file (2.0)
	// grants it and only withholds the messages.
	if h.env.Mode() == fixtures.Fake {
		caps = append(caps, conformance.SubscribeDenial)
	}
	return caps
}

func (h *mqttHarness) ProtocolVersion() byte { return h.d.version() }
func (h *mqttHarness) Topic() string         { return h.env.Topic(h.t) }
func (h *mqttHarness) Code(err error) conformance.Code {
	return code(h.d, err)
}
func (h *mqttHarness) ReasonCode(err error) (byte, bool) {
	var me *mqttErr
	if errors.As(err, &me) {
		return me.code, true
	}
	return h.d.reasonCode(err)
}

func (h *mqttHarness) Connect(ctx context.Context, o conformance.MQTTConnect) (conformance.MQTTClient, error) {
	ep := h.env.Endpoint()
	switch o.Login {
	case conformance.LimitedLogin:
		ep = h.env.Endpoint(mqtttest.AsUser(limitedUser))
	case conformance.WrongPassword:
		ep = h.env.Endpoint(mqtttest.Login(limitedUser, "not-"+limitedPassword))
	}
	if o.ClientID == "" {
		o.ClientID = h.env.ClientID(h.t)
	}
	return h.d.connect(ctx, ep, o)
}

// --- paho.golang (MQTT 5), raw client ---

type v5Dialer struct{}

func (v5Dialer) name() string  { return "paho.golang v5" }
func (v5Dialer) version() byte { return 5 }
func (v5Dialer) reasonCode(err error) (byte, bool) {
	return mqttclient.ReasonCode(err)
}

type v5Client struct {
	c    *paho.Client
	conn net.Conn
	msgs chan conformance.MQTTMessage
}

func (v5Dialer) connect(ctx context.Context, ep mqttclient.Endpoint, o conformance.MQTTConnect) (conformance.MQTTClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostPort(ep.URLs[0]))
	if err != nil {
		return nil, err
	}
	c := &v5Client{conn: conn, msgs: make(chan conformance.MQTTMessage, 4096)}
	c.c = paho.NewClient(paho.ClientConfig{
		ClientID: o.ClientID,
		Conn:     conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			p := pr.Packet
			m := conformance.MQTTMessage{Topic: p.Topic, Payload: p.Payload, QoS: p.QoS, Retain: p.Retain}
			if p.Properties != nil && len(p.Properties.User) > 0 {
				m.UserProperties = map[string]string{}
				for _, u := range p.Properties.User {
					m.UserProperties[u.Key] = u.Value
				}
			}
			c.msgs <- m
			return true, nil
		}},
	})
	cp := &paho.Connect{ClientID: o.ClientID, CleanStart: !o.Persistent, KeepAlive: 30}
	if o.Persistent {
		expiry := uint32(300)
		cp.Properties = &paho.ConnectProperties{SessionExpiryInterval: &expiry}
	}
	if ep.Username != "" {
		cp.Username, cp.UsernameFlag = ep.Username, true
		cp.Password, cp.PasswordFlag = []byte(ep.Password), true
	}
	if w := o.Will; w != nil {
		cp.WillMessage = &paho.WillMessage{Topic: w.Topic, Payload: w.Payload, QoS: w.QoS, Retain: w.Retain}
	}
	ca, err := c.c.Connect(ctx, cp)
	if err != nil {
		conn.Close()
		<-c.c.Done()
		if ca != nil {
			return nil, &mqttErr{op: "connect", code: ca.ReasonCode, err: err}
		}
		return nil, err
	}
	return c, nil
}

func (c *v5Client) Publish(ctx context.Context, m conformance.MQTTMessage) error {
	p := &paho.Publish{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Retain: m.Retain}
	if len(m.UserProperties) > 0 {
		p.Properties = &paho.PublishProperties{}
		for k, v := range m.UserProperties {
			p.Properties.User.Add(k, v)
		}
	}
	pr, err := c.c.Publish(ctx, p)
	if pr != nil && pr.ReasonCode >= 0x80 {
		return &mqttErr{op: "publish", code: pr.ReasonCode, err: err}
	}
	return err
}

func (c *v5Client) Subscribe(ctx context.Context, filter string, qos byte) error {
	sa, err := c.c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: qos}}})
	if sa != nil && len(sa.Reasons) == 1 && sa.Reasons[0] >= 0x80 {
		return &mqttErr{op: "subscribe", code: sa.Reasons[0], err: err}
	}
	return err
}

func (c *v5Client) Messages() <-chan conformance.MQTTMessage { return c.msgs }

func (c *v5Client) Disconnect(context.Context) error {
	select {
	case <-c.c.Done():
		return nil
	default:
	}
	err := c.c.Disconnect(&paho.Disconnect{ReasonCode: 0})
	<-c.c.Done()
	return err
}

func (c *v5Client) Drop() error {
	err := c.conn.Close()
	<-c.c.Done()
	return err
}

func hostPort(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}

// --- paho.mqtt.golang (MQTT 3.1.1) ---

type v3Dialer struct{}

func (v3Dialer) name() string  { return "paho.mqtt.golang v3.1.1" }
func (v3Dialer) version() byte { return 4 }
func (v3Dialer) reasonCode(err error) (byte, bool) {
	for rc, e := range packets.ConnErrors {
		if e != nil && errors.Is(err, e) {
			return rc, true
		}
	}
	return 0, false
}

type v3Client struct {
	c    pahov3.Client
	msgs chan conformance.MQTTMessage

	mu   sync.Mutex
	conn *droppable
	lost chan struct{}
}

// droppable lets Drop cut the socket under paho.mqtt.golang. Its reads then
// fail with errDropped rather than "use of closed network connection",
// which the client would take for its own disconnect and never report.
type droppable struct {
	net.Conn
	dropped atomic.Bool
}

var errDropped = errors.New("connection dropped by the test")

func (d *droppable) Read(p []byte) (int, error) {
	n, err := d.Conn.Read(p)
	if err != nil && d.dropped.Load() {
		return n, errDropped
	}
	return n, err
}

func (d *droppable) drop() error {
	d.dropped.Store(true)
	return d.Conn.Close()
}

func (d v3Dialer) connect(ctx context.Context, ep mqttclient.Endpoint, o conformance.MQTTConnect) (conformance.MQTTClient, error) {
	c := &v3Client{msgs: make(chan conformance.MQTTMessage, 4096), lost: make(chan struct{})}
	opts := pahov3.NewClientOptions().
		AddBroker("tcp://" + hostPort(ep.URLs[0])).
		SetClientID(o.ClientID).
		SetProtocolVersion(4).
		SetCleanSession(!o.Persistent).
		SetAutoReconnect(false).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetDefaultPublishHandler(func(_ pahov3.Client, m pahov3.Message) {
			c.msgs <- conformance.MQTTMessage{Topic: m.Topic(), Payload: m.Payload(), QoS: m.Qos(), Retain: m.Retained()}
		}).
		SetConnectionLostHandler(func(pahov3.Client, error) { close(c.lost) }).
		// Our own dial, so Drop can cut the socket under the client.
		SetCustomOpenConnectionFn(func(u *url.URL, _ pahov3.ClientOptions) (net.Conn, error) {
			var nd net.Dialer
			conn, err := nd.DialContext(ctx, "tcp", u.Host)
			if err != nil {
				return nil, err
			}
			dc := &droppable{Conn: conn}
			c.mu.Lock()
			c.conn = dc
			c.mu.Unlock()
			return dc, nil
		})
	if ep.Username != "" {
		opts.SetUsername(ep.Username).SetPassword(ep.Password)
	}
	if w := o.Will; w != nil {
		opts.SetBinaryWill(w.Topic, w.Payload, w.QoS, w.Retain)
	}
	c.c = pahov3.NewClient(opts)
	tok := c.c.Connect()
	if err := wait(ctx, tok); err != nil {
		if rc, ok := d.reasonCode(err); ok {
			return nil, &mqttErr{op: "connect", code: rc, err: err}
		}
		return nil, err
	}
	return c, nil
}

func wait(ctx context.Context, tok pahov3.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *v3Client) Publish(ctx context.Context, m conformance.MQTTMessage) error {
	return wait(ctx, c.c.Publish(m.Topic, m.QoS, m.Retain, m.Payload))
}

func (c *v3Client) Subscribe(ctx context.Context, filter string, qos byte) error {
	tok := c.c.Subscribe(filter, qos, nil) // nil: messages go to the default handler
	if err := wait(ctx, tok); err != nil {
		return err
	}
	if granted := tok.(*pahov3.SubscribeToken).Result()[filter]; granted >= 0x80 {
		return &mqttErr{op: "subscribe", code: granted, err: errors.New("subscription refused")}
	}
	return nil
}

func (c *v3Client) Messages() <-chan conformance.MQTTMessage { return c.msgs }

func (c *v3Client) Disconnect(context.Context) error {
	c.c.Disconnect(1000) // waits for the DISCONNECT to be written (at most 1 s)
	return nil
}

func (c *v3Client) Drop() error {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	err := conn.drop()
	<-c.lost
	c.c.Disconnect(0) // the connection is gone; this only stops the client
	return err
}

// --- RunStream harness over either client ---

// mqttStream maps streams onto MQTT: a topic is a unique topic level, a
// group a shared subscription ($share/<group>/<topic>), headers are v5 user
// properties; acknowledgement is the client's own PUBACK.
type mqttStream struct {
	t   *testing.T
	d   dialer
	env *mqtttest.Env
}

func newMQTTStream(t *testing.T, d dialer) conformance.StreamHarness {
	return &mqttStream{t: t, d: d, env: mqtttest.New(t)}
}

func (h *mqttStream) Name() string {
	return "mqtt/" + h.d.name() + " (" + string(h.env.Mode()) + ")"
}

func (h *mqttStream) Capabilities() conformance.Capabilities {
	// Both brokers allow 1 MiB (no max_packet_size; mochi unlimited).
	caps := conformance.Capabilities{conformance.Groups, conformance.BinaryPayloads, conformance.LargeMessages}
	if h.d.version() == 5 {
		caps = append(caps, conformance.Headers)
	}
	if m, _ := fixtures.ModeOf(fixtures.MQTT); m != fixtures.External || os.Getenv("BROKERKIT_MQTT_USERS") != "" {
		caps = append(caps, conformance.Auth)
	}
	return caps
}

func (h *mqttStream) Topic(context.Context, int) (string, error) {
	return h.env.Topic(h.t) + "/stream", nil
}

func (h *mqttStream) MissingTopic() string { return h.env.Topic(h.t) + "/missing" }

func (h *mqttStream) Producer(ctx context.Context) (conformance.Producer, error) {
	return h.producer(ctx, h.env.Endpoint())
}

func (h *mqttStream) producer(ctx context.Context, ep mqttclient.Endpoint) (conformance.Producer, error) {
	if h.d.version() == 5 {
		c, err := newV5(ctx, ep)
		if err != nil {
			return nil, err
		}
		return v5Producer{c}, nil
	}
	c, err := h.d.connect(ctx, ep, conformance.MQTTConnect{ClientID: h.env.ClientID(h.t)})
	if err != nil {
		return nil, err
	}
	return v3Producer{c}, nil
}

func (h *mqttStream) BadCredentialsProducer(ctx context.Context) (conformance.Producer, error) {
	env := authEnv(h.t)
	return h.producer(ctx, env.Endpoint(mqtttest.Login(limitedUser, "not-"+limitedPassword)))
}

func (h *mqttStream) Subscribe(ctx context.Context, topic string, sub conformance.Subscription) (conformance.Consumer, error) {
	filter := topic
	if sub.Group != "" {
		filter = "$share/" + sub.Group + "/" + topic
	}
	if h.d.version() == 5 {
		c, err := newV5(ctx, h.env.Endpoint())
		if err != nil {
			return nil, err
		}
		msgs, err := c.SubscribeChan(ctx, filter, 1, 4096)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		return &v5Consumer{c: c, msgs: msgs}, nil
	}
	c, err := h.d.connect(ctx, h.env.Endpoint(), conformance.MQTTConnect{ClientID: h.env.ClientID(h.t)})
	if err != nil {
		return nil, err
	}
	if err := c.Subscribe(ctx, filter, 1); err != nil {
		c.Disconnect(ctx)
		return nil, err
	}
	return v3Consumer{c}, nil
}

func (h *mqttStream) Code(err error) conformance.Code { return code(h.d, err) }

// newV5 connects an mqttclient within ctx's deadline.
func newV5(ctx context.Context, ep mqttclient.Endpoint) (*mqttclient.Client, error) {
	var opts []mqttclient.Option
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, mqttclient.WithTimeout(time.Until(dl)))
	}
	return mqttclient.New(ep, opts...)
}

type v5Producer struct{ c *mqttclient.Client }

func (p v5Producer) Send(ctx context.Context, topic string, m conformance.Message) error {
	msg := mqttclient.Message{Topic: topic, Payload: m.Value, QoS: 1}
	for k, v := range m.Headers {
		msg.UserProperties = append(msg.UserProperties, mqttclient.UserProperty{Key: k, Value: v})
	}
	return p.c.PublishMessage(ctx, msg)
}

func (p v5Producer) Close() error { return p.c.Close() }

type v5Consumer struct {
	c    *mqttclient.Client
	msgs <-chan mqttclient.Message
}

func (c *v5Consumer) Receive(ctx context.Context) (*conformance.Received, error) {
	select {
	case m := <-c.msgs:
		r := &conformance.Received{Message: conformance.Message{Value: m.Payload}, Topic: m.Topic, Redelivered: m.Duplicate}
		if len(m.UserProperties) > 0 {
			r.Headers = map[string]string{}
			for _, u := range m.UserProperties {
				r.Headers[u.Key] = u.Value
			}
		}
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *v5Consumer) Ack(context.Context, *conformance.Received) error { return nil }
func (c *v5Consumer) Close() error                                     { return c.c.Close() }

type v3Producer struct{ c conformance.MQTTClient }

func (p v3Producer) Send(ctx context.Context, topic string, m conformance.Message) error {
	return p.c.Publish(ctx, conformance.MQTTMessage{Topic: topic, Payload: m.Value, QoS: 1})
}

func (p v3Producer) Close() error { return p.c.Disconnect(context.Background()) }

type v3Consumer struct{ c conformance.MQTTClient }

func (c v3Consumer) Receive(ctx context.Context) (*conformance.Received, error) {
	select {
	case m := <-c.c.Messages():
		return &conformance.Received{Message: conformance.Message{Value: m.Payload}, Topic: m.Topic}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c v3Consumer) Ack(context.Context, *conformance.Received) error { return nil }
func (c v3Consumer) Close() error                                     { return c.c.Disconnect(context.Background()) }

// --- RunMQTT5: raw MQTT 5 over paho.golang's packet codec ---

func TestMQTT5Broker(t *testing.T) {
	conformance.RunMQTT5(t, func(t *testing.T) conformance.MQTT5Harness {
		return &mqtt5Harness{t: t, env: mqtttest.New(t)}
	})
}

type mqtt5Harness struct {
	t   *testing.T
	env *mqtttest.Env
}

func (h *mqtt5Harness) Name() string { return "mqtt5 (" + string(h.env.Mode()) + ")" }

// Capabilities: Mosquitto 2.0.11 sends no topic aliases, does not
// disconnect a client past its Receive Maximum and sends retained messages
// to new shared subscriptions (README differences table).
func (h *mqtt5Harness) Capabilities() conformance.Capabilities {
	caps := conformance.Capabilities{conformance.Groups}
	if h.env.Mode() == fixtures.Fake {
		caps = append(caps, conformance.ServerTopicAliases, conformance.ReceiveMaximumDisconnect,
			conformance.SharedSubscriptionNoRetained)
	}
	return caps
}

func (h *mqtt5Harness) Topic() string    { return h.env.Topic(h.t) }
func (h *mqtt5Harness) ClientID() string { return h.env.ClientID(h.t) }
func (h *mqtt5Harness) Dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", h.env.Addr())
}

func (h *mqtt5Harness) Login() (string, string) {
	ep := h.env.Endpoint()
	return ep.Username, ep.Password
}

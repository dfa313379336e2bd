package mqttclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	"github.com/eclipse/paho.golang/paho/session"
)

// Message is a received or published application message.
type Message struct {
	Topic           string
	Payload         []byte
	QoS             byte
	Retain          bool
	Duplicate       bool // received: a redelivery (DUP flag)
	ContentType     string
	ResponseTopic   string
	CorrelationData []byte
	UserProperties  []UserProperty
}

// UserProperty is an MQTT v5 user property.
type UserProperty struct{ Key, Value string }

// Handler receives messages for a subscription. Handlers run one at a time
// on the client's receive goroutine: a handler that blocks stalls delivery
// (and, once the broker's window is full, the broker's sends).
type Handler func(Message)

// Client is a connected MQTT 5 client that reconnects by itself.
type Client struct {
	cm          *autopaho.ConnectionManager
	cancel      context.CancelFunc
	id          string
	keepSession bool
	timeout     time.Duration
	closing     chan struct{} // closed when Close starts
	closeOnce   sync.Once

	mu      sync.Mutex
	subs    map[string]*subscription
	connCtx context.Context // cancelled when the current connection drops
	connEnd context.CancelFunc
	conns   int           // connections that are fully set up (resubscribed)
	changed chan struct{} // closed and replaced whenever conns changes
	resubs  sync.WaitGroup
}

type subscription struct {
	filter string
	qos    byte
	h      Handler
}

// Option configures New.
type Option func(*options)

type options struct {
	timeout time.Duration
}

// WithTimeout bounds how long New waits for the broker to accept the first
// session and how long Close waits for the client to shut down (default
// 10 s). Endpoint.ConnectTimeout is the limit of one connection attempt.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// New connects to the first reachable URL of ep and returns once the broker
// accepted the session (within WithTimeout). A refusal (bad credentials,
// ...) fails at once with an error carrying the CONNACK reason code (see
// ReasonCode). After that the client reconnects by itself until Close.
func New(ep Endpoint, opts ...Option) (*Client, error) {
	o := options{timeout: 10 * time.Second}
	for _, fn := range opts {
		fn(&o)
	}
	ctx, cancelWait := context.WithTimeout(context.Background(), o.timeout)
	defer cancelWait()
	urls, err := ep.urls()
	if err != nil {
		return nil, err
	}
	c := &Client{
		id: ep.clientID(), keepSession: ep.SessionExpiry > 0, closing: make(chan struct{}), timeout: o.timeout,
		subs: map[string]*subscription{}, changed: make(chan struct{}),
	}
	keepAlive := ep.KeepAlive
	if keepAlive <= 0 {
		keepAlive = 30 * time.Second
	}
	firstErr := make(chan error, 1)
	cfg := autopaho.ClientConfig{
		ServerUrls:                    urls,
		TlsCfg:                        ep.TLS,
		KeepAlive:                     uint16(min(keepAlive/time.Second, 65535)),
		CleanStartOnInitialConnection: !ep.ResumeSession,
		SessionExpiryInterval:         uint32(min(ep.SessionExpiry/time.Second, 1<<32-1)),
		ConnectTimeout:                ep.ConnectTimeout,
		ReconnectBackoff:              backoff(ep.MaxReconnectDelay),
		ConnectUsername:               ep.Username,
		ConnectPassword:               []byte(ep.Password),
		OnConnectionUp:                c.onUp,
		OnConnectionDown:              c.onDown,
		OnConnectError: func(err error) {
			select {
			case firstErr <- err:
			default:
			}
		},
		ClientConfig: paho.ClientConfig{
			ClientID:          c.id,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){c.onPublish},
		},
	}
	// The manager outlives ctx, which only bounds the first connection.
	mctx, cancel := context.WithCancel(context.Background())
	cm, err := autopaho.NewConnection(mctx, cfg)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("mqttclient: %w", err)
	}
	c.cm, c.cancel = cm, cancel

	up := make(chan error, 1)
	go func() { up <- c.WaitConnections(ctx, 1) }()
	select {
	case err = <-up:
	case err = <-firstErr:
		if ce := (*autopaho.ConnackError)(nil); errors.As(err, &ce) {
			err = &ReasonError{Op: "connect", Code: ce.ReasonCode, Reason: ce.Reason}
		}
	}
	if err != nil {
		c.shutdown()
		<-up
		return nil, fmt.Errorf("mqttclient: connect to %s: %w", strings.Join(ep.URLs, ", "), err)
	}
	return c, nil
}

// onUp runs on every (re)connection. It must not block, so resubscribing
// happens in a goroutine that Close waits for.
func (c *Client) onUp(cm *autopaho.ConnectionManager, ca *paho.Connack) {
	c.mu.Lock()
	c.connCtx, c.connEnd = context.WithCancel(context.Background())
	var todo []*subscription
	if !ca.SessionPresent { // the broker forgot our subscriptions
		for _, s := range c.subs {
			todo = append(todo, s)
		}
	}
	c.resubs.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.resubs.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, s := range todo {
			// A failure means the connection dropped again; the next onUp retries.
			if _, err := cm.Subscribe(ctx, subscribePacket(s)); err != nil {
				return
			}
		}
		c.mu.Lock()
		c.conns++
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}()
}

func (c *Client) onDown() bool {
	c.mu.Lock()
	if c.connEnd != nil {
		c.connEnd()
	}
	c.mu.Unlock()
	return true // keep reconnecting
}

func subscribePacket(s *subscription) *paho.Subscribe {
	return &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: s.filter, QoS: s.qos}}}
}

// onPublish hands a message to every subscription whose filter matches.
func (c *Client) onPublish(pr paho.PublishReceived) (bool, error) {
	p := pr.Packet
	m := Message{Topic: p.Topic, Payload: p.Payload, QoS: p.QoS, Retain: p.Retain, Duplicate: p.Duplicate()}
	if pp := p.Properties; pp != nil {
		m.ContentType, m.ResponseTopic, m.CorrelationData = pp.ContentType, pp.ResponseTopic, pp.CorrelationData
		for _, u := range pp.User {
			m.UserProperties = append(m.UserProperties, UserProperty{u.Key, u.Value})
		}
	}
	c.mu.Lock()
	var hs []Handler
	for _, s := range c.subs {
		if matchFilter(s.filter, m.Topic) {
			hs = append(hs, s.h)
		}
	}
	c.mu.Unlock()
	for _, h := range hs {
		h(m)
	}
	return true, nil
}

// retry runs op once the connection is up, again if it was down.
func (c *Client) retry(ctx context.Context, op func() error) error {
	for {
		if err := c.cm.AwaitConnection(ctx); err != nil {
			return fmt.Errorf("mqttclient: %w", err)
		}
		err := op()
		if !errors.Is(err, autopaho.ConnectionDownError) && !errors.Is(err, session.ErrNoConnection) {
			return err
		}
	}
}

// Publish sends payload to topic and, for QoS 1 and 2, waits for the
// broker's acknowledgement. If the connection is down it waits for the
// reconnect (bounded by ctx). A refusal is a *ReasonError.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	return c.PublishMessage(ctx, Message{Topic: topic, Payload: payload, QoS: qos, Retain: retain})
}

// PublishMessage is Publish with v5 properties.
func (c *Client) PublishMessage(ctx context.Context, m Message) error {
	p := &paho.Publish{Topic: m.Topic, Payload: m.Payload, QoS: m.QoS, Retain: m.Retain}
	if m.ContentType != "" || m.ResponseTopic != "" || m.CorrelationData != nil || len(m.UserProperties) > 0 {
		p.Properties = &paho.PublishProperties{ContentType: m.ContentType, ResponseTopic: m.ResponseTopic, CorrelationData: m.CorrelationData}
		for _, u := range m.UserProperties {
			p.Properties.User.Add(u.Key, u.Value)
		}
	}
	return c.retry(ctx, func() error {
		pctx, connCtx := ctx, c.currentConn()
		if m.QoS > 0 && !c.keepSession && connCtx != nil {
			// paho.golang drops an unacknowledged QoS 1/2 publish from its
			// session when a connection without session expiry ends, but
			// never answers the waiting Publish; stop waiting and send it
			// again on the next connection (at least once).
			var cancel context.CancelFunc
			pctx, cancel = context.WithCancel(ctx)
			defer cancel()
			defer context.AfterFunc(connCtx, cancel)()
		}
		pr, err := c.cm.Publish(pctx, p)
		if err != nil && ctx.Err() == nil && (errors.Is(err, session.ErrNoConnection) || connCtx != nil && connCtx.Err() != nil) {
			return autopaho.ConnectionDownError // the connection ended under us: wait for the next
		}
		if pr != nil && pr.ReasonCode >= 0x80 {
			return &ReasonError{Op: "publish", Code: pr.ReasonCode, Reason: reasonString(pr.Properties)}
		}
		if err != nil && !errors.Is(err, autopaho.ConnectionDownError) {
			return fmt.Errorf("mqttclient: publish to %s: %w", m.Topic, err)
		}
		return err
	})
}

func (c *Client) currentConn() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connCtx
}

func reasonString(p *paho.PublishResponseProperties) string {
	if p == nil {
		return ""
	}
	return p.ReasonString
}

// Subscribe subscribes to filter at qos and calls h for each message. The
// subscription is renewed after any reconnect where the broker lost it.
func (c *Client) Subscribe(ctx context.Context, filter string, qos byte, h Handler) error {
	s := &subscription{filter: filter, qos: qos, h: h}
	c.mu.Lock()
	c.subs[filter] = s // before SUBACK: retained messages may arrive first
	c.mu.Unlock()
	err := c.retry(ctx, func() error {
		sa, err := c.cm.Subscribe(ctx, subscribePacket(s))
		if sa != nil && len(sa.Reasons) == 1 && sa.Reasons[0] >= 0x80 {
			var reason string
			if sa.Properties != nil {
				reason = sa.Properties.ReasonString
			}
			return &ReasonError{Op: "subscribe", Code: sa.Reasons[0], Reason: reason}
		}
		return err
	})
	if err != nil {
		c.mu.Lock()
		if c.subs[filter] == s {
			delete(c.subs, filter)
		}
		c.mu.Unlock()
		return err
	}
	return nil
}

// SubscribeChan subscribes and delivers messages on a channel with buffer
// buf. Receive from it promptly: a full channel stalls the client (until
// Close, which drops what does not fit).
func (c *Client) SubscribeChan(ctx context.Context, filter string, qos byte, buf int) (<-chan Message, error) {
	ch := make(chan Message, buf)
	deliver := func(m Message) {
		select {
		case ch <- m:
		case <-c.closing: // paho's shutdown waits for this handler
		}
	}
	if err := c.Subscribe(ctx, filter, qos, deliver); err != nil {
		return nil, err
	}
	return ch, nil
}

// Unsubscribe ends subscriptions; their handlers are not called again.
func (c *Client) Unsubscribe(ctx context.Context, filters ...string) error {
	c.mu.Lock()
	for _, f := range filters {
		delete(c.subs, f)
	}
	c.mu.Unlock()
	return c.retry(ctx, func() error {
		ua, err := c.cm.Unsubscribe(ctx, &paho.Unsubscribe{Topics: filters})
		if ua != nil {
			for _, r := range ua.Reasons {
				if r >= 0x80 {
					return &ReasonError{Op: "unsubscribe", Code: r}
				}
			}
		}
		return err
	})
}

// Connections reports how many times the client has connected (and
// resubscribed); it grows by one per reconnect.
func (c *Client) Connections() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conns
}

// WaitConnections waits until Connections() >= n, e.g. for the reconnect
// after a broker restart to finish resubscribing.
func (c *Client) WaitConnections(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		done, ch := c.conns >= n, c.changed
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("mqttclient: waiting for connection %d: %w", n, ctx.Err())
		case <-c.cm.Done():
			return errors.New("mqttclient: client disconnected")
		}
	}
}

// ID is the client identifier in use.
func (c *Client) ID() string { return c.id }

// Raw exposes the autopaho connection manager.
func (c *Client) Raw() *autopaho.ConnectionManager { return c.cm }

// Close sends DISCONNECT, stops reconnecting and waits for the client's
// goroutines (the DISCONNECT is bounded by WithTimeout). Calling it again is
// harmless.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	c.closeOnce.Do(func() { close(c.closing) })
	err := c.cm.Disconnect(ctx)
	c.shutdown()
	if err != nil {
		return fmt.Errorf("mqttclient: disconnect: %w", err)
	}
	return nil
}

func (c *Client) shutdown() {
	c.closeOnce.Do(func() { close(c.closing) })
	c.cancel()
	<-c.cm.Done()
	c.resubs.Wait()
	c.mu.Lock()
	if c.connEnd != nil {
		c.connEnd()
	}
	c.mu.Unlock()
}

// matchFilter reports whether an MQTT filter (possibly $share/group/...)
// matches topic.
func matchFilter(filter, topic string) bool {
	if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			filter = rest[i+1:]
		}
	}
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false // [MQTT-4.7.2-1]
	}
	f, t := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, lvl := range f {
		if lvl == "#" {
			return true
		}
		if i >= len(t) || (lvl != "+" && lvl != t[i]) {
			return false
		}
	}
	return len(f) == len(t)
}

// Package pulsarclient is a thin, typed wrapper over pulsar-client-go for
// the common test needs: producers (sync and async, keys, properties,
// delayed delivery), consumers with a subscription type, ack and nack,
// readers, and auth from an endpoint description. Raw returns the native
// pulsar.Client for everything else.
//
//	cl, err := pulsarclient.New(pulsarclient.Endpoint{URL: env.ServiceURL()})
//	p, err := cl.Producer(topic)
//	_, err = p.Send(ctx, pulsarclient.Message{Key: "k", Payload: []byte("v")})
//	c, err := cl.Subscribe(topic, "workers", pulsarclient.Shared)
//	m, err := c.Receive(ctx); err = c.Ack(m)
package pulsarclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
)

// Endpoint is how to reach a Pulsar cluster.
type Endpoint struct {
	URL      string // pulsar://host:6650
	AdminURL string // http://host:8080, for admin calls (optional)
	Token    string // token auth; empty means none
	// User and Password authenticate with the basic method (the broker's
	// AuthenticationProviderBasic); used when User is set and Token is not.
	User, Password string
	TLS            *tls.Config // for pulsar+ssl:// URLs
	// OperationTimeout bounds producer and consumer creation, including
	// the client's retries after an authentication error (default 30 s).
	OperationTimeout time.Duration
}

// Client is a connection to a Pulsar cluster.
type Client struct {
	c    pulsar.Client
	once sync.Once
}

// Option configures New.
type Option func(*pulsar.ClientOptions)

// WithLogger sends the client's logs to l (default: discarded).
func WithLogger(l plog.Logger) Option { return func(o *pulsar.ClientOptions) { o.Logger = l } }

// New connects lazily to ep: errors (wrong URL, bad token) surface when the
// first producer or consumer is created.
func New(ep Endpoint, opts ...Option) (*Client, error) {
	if ep.URL == "" {
		return nil, errors.New("pulsarclient: endpoint has no URL")
	}
	o := pulsar.ClientOptions{
		URL:               ep.URL,
		OperationTimeout:  ep.OperationTimeout,
		ConnectionTimeout: 10 * time.Second,
		Logger:            plog.DefaultNopLogger(),
	}
	if o.OperationTimeout <= 0 {
		o.OperationTimeout = 30 * time.Second
	}
	switch {
	case ep.Token != "":
		o.Authentication = pulsar.NewAuthenticationToken(ep.Token)
	case ep.User != "":
		auth, err := pulsar.NewAuthenticationBasic(ep.User, ep.Password)
		if err != nil {
			return nil, fmt.Errorf("pulsarclient: basic auth: %w", err)
		}
		o.Authentication = auth
	}
	if ep.TLS != nil {
		o.TLSConfig = ep.TLS.Clone()
	}
	for _, fn := range opts {
		fn(&o)
	}
	c, err := pulsar.NewClient(o)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Raw returns the native client.
func (c *Client) Raw() pulsar.Client { return c.c }

// Close closes every producer and consumer of the client and its
// connections. It is safe to call more than once; the native client
// reports no error, so it returns nil.
func (c *Client) Close() error {
	c.once.Do(c.c.Close)
	return nil
}

// Message is what a producer sends.
type Message struct {
	Key          string
	OrderingKey  string
	Payload      []byte
	Properties   map[string]string
	EventTime    time.Time
	DeliverAfter time.Duration // delayed delivery (Shared and Key_Shared subscriptions)
	DeliverAt    time.Time
}

// Producer sends to one topic.
type Producer struct{ p pulsar.Producer }

// ProducerOption configures a producer through the native options.
type ProducerOption func(*pulsar.ProducerOptions)

// WithoutBatching sends every message in its own entry.
func WithoutBatching() ProducerOption {
	return func(o *pulsar.ProducerOptions) { o.DisableBatching = true }
}

// WithProducerName names the producer (for deduplication).
func WithProducerName(name string) ProducerOption {
	return func(o *pulsar.ProducerOptions) { o.Name = name }
}

// Producer creates a producer on topic.
func (c *Client) Producer(topic string, opts ...ProducerOption) (*Producer, error) {
	o := pulsar.ProducerOptions{Topic: topic}
	for _, fn := range opts {
		fn(&o)
	}
	p, err := c.c.CreateProducer(o)
	if err != nil {
		return nil, err
	}
	return &Producer{p: p}, nil
}

func (m Message) native() *pulsar.ProducerMessage {
	return &pulsar.ProducerMessage{
		Key:          m.Key,
		OrderingKey:  m.OrderingKey,
		Payload:      m.Payload,
		Properties:   m.Properties,
		EventTime:    m.EventTime,
		DeliverAfter: m.DeliverAfter,
		DeliverAt:    m.DeliverAt,
	}
}

// Send sends m and waits for the broker's receipt.
func (p *Producer) Send(ctx context.Context, m Message) (pulsar.MessageID, error) {
	return p.p.Send(ctx, m.native())
}

// SendAsync sends m without waiting; done is called with the outcome.
func (p *Producer) SendAsync(ctx context.Context, m Message, done func(pulsar.MessageID, error)) {
	p.p.SendAsync(ctx, m.native(), func(id pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
		if done != nil {
			done(id, err)
		}
	})
}

// Flush waits until every async send is acknowledged.
func (p *Producer) Flush(ctx context.Context) error { return p.p.FlushWithCtx(ctx) }

// Raw returns the native producer.
func (p *Producer) Raw() pulsar.Producer { return p.p }

// Close flushes and closes the producer.
func (p *Producer) Close() { p.p.Close() }

// SubscriptionType is how a subscription's consumers share messages.
type SubscriptionType = pulsar.SubscriptionType

// Subscription types.
const (
	Exclusive = pulsar.Exclusive
	Shared    = pulsar.Shared
	Failover  = pulsar.Failover
	KeyShared = pulsar.KeyShared
)

// ConsumerOption configures a consumer through the native options.
type ConsumerOption func(*pulsar.ConsumerOptions)

// FromEarliest starts a new subscription at the oldest message. The default
// stays the newest, as in Pulsar and its clients: the wrapper is also used by
// application code, where a different default would replay a topic's whole
// history the first time a service subscribes. Tests that send before they
// subscribe pass FromEarliest, or subscribe first.
func FromEarliest() ConsumerOption {
	return func(o *pulsar.ConsumerOptions) {
		o.SubscriptionInitialPosition = pulsar.SubscriptionPositionEarliest
	}
}

// WithNackDelay sets how long a nacked message waits before redelivery.
func WithNackDelay(d time.Duration) ConsumerOption {
	return func(o *pulsar.ConsumerOptions) { o.NackRedeliveryDelay = d }
}

// WithDeadLetter moves a message to dlqTopic after maxRedeliveries nacks.
func WithDeadLetter(maxRedeliveries uint32, dlqTopic string) ConsumerOption {
	return func(o *pulsar.ConsumerOptions) {
		o.DLQ = &pulsar.DLQPolicy{MaxDeliveries: maxRedeliveries, DeadLetterTopic: dlqTopic}
	}
}

// Consumer receives from one subscription.
type Consumer struct{ c pulsar.Consumer }

// Subscribe joins subscription on topic with the given type.
func (c *Client) Subscribe(topic, subscription string, typ SubscriptionType, opts ...ConsumerOption) (*Consumer, error) {
	o := pulsar.ConsumerOptions{Topic: topic, SubscriptionName: subscription, Type: typ}
	for _, fn := range opts {
		fn(&o)
	}
	cons, err := c.c.Subscribe(o)
	if err != nil {
		return nil, err
	}
	return &Consumer{c: cons}, nil
}

// Received is a delivered message.
type Received = pulsar.Message

// Receive waits for the next message.
func (c *Consumer) Receive(ctx context.Context) (Received, error) { return c.c.Receive(ctx) }

// Ack acknowledges m.
func (c *Consumer) Ack(m Received) error { return c.c.Ack(m) }

// Nack asks for m to be redelivered after the nack delay.
func (c *Consumer) Nack(m Received) { c.c.Nack(m) }

// Raw returns the native consumer.
func (c *Consumer) Raw() pulsar.Consumer { return c.c }

// Close leaves the subscription; unacknowledged messages are redelivered to
// its other consumers.
func (c *Consumer) Close() { c.c.Close() }

// Reader reads topic from start (pulsar.EarliestMessageID(),
// pulsar.LatestMessageID() or a message ID), without a subscription.
func (c *Client) Reader(topic string, start pulsar.MessageID, inclusive bool) (pulsar.Reader, error) {
	return c.c.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: start, StartMessageIDInclusive: inclusive})
}

package conformance_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"

	"github.com/brokerkit/brokerkit/clients/pulsarclient"
	"github.com/brokerkit/brokerkit/conformance"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/pulsartest"
)

func TestPulsarStream(t *testing.T) {
	t.Parallel()
	conformance.RunStream(t, newPulsarHarness)
}

type pulsarHarness struct {
	t        *testing.T
	env      *pulsartest.Env
	cl       *pulsarclient.Client
	groups   map[string]string
	rejected *handshakeLog
}

func newPulsarHarness(t *testing.T) conformance.StreamHarness {
	env := pulsartest.New(t)
	return &pulsarHarness{t: t, env: env, cl: env.Client(t), groups: map[string]string{}, rejected: &handshakeLog{Logger: plog.DefaultNopLogger()}}
}

func (h *pulsarHarness) Name() string {
	return "pulsar/pulsar-client-go (" + string(h.env.Mode()) + ")"
}

func (h *pulsarHarness) Capabilities() conformance.Capabilities {
	caps := conformance.Capabilities{
		conformance.Groups, conformance.Replay, conformance.PerKeyOrdering, conformance.Redelivery,
		conformance.Keys, conformance.Headers, conformance.BinaryPayloads, conformance.LargeMessages,
		// No StrictTopics: a standalone Pulsar auto-creates topics by default.
	}
	if h.env.Mode() != fixtures.Container { // the container runs without auth
		caps = append(caps, conformance.Auth)
	}
	return caps
}

func (h *pulsarHarness) Topic(_ context.Context, partitions int) (string, error) {
	if partitions > 1 {
		return h.env.Topic(h.t, pulsartest.Partitions(partitions)), nil
	}
	return h.env.Topic(h.t), nil
}

func (h *pulsarHarness) MissingTopic() string {
	return "persistent://public/default/" + fixtures.Name(h.t, "missing")
}

func (h *pulsarHarness) Producer(context.Context) (conformance.Producer, error) {
	return &pulsarProducer{cl: h.cl, ps: map[string]*pulsarclient.Producer{}}, nil
}

func (h *pulsarHarness) BadCredentialsProducer(context.Context) (conformance.Producer, error) {
	authed := pulsartest.New(h.t, pulsartest.WithToken("conformance-right-token"))
	ep := authed.Endpoint()
	ep.Token = "not-" + ep.Token
	// The client retries a refused login until this timeout; the broker's
	// answer is in its log by then.
	ep.OperationTimeout = 2 * time.Second
	cl, err := pulsarclient.New(ep, pulsarclient.WithLogger(h.rejected))
	if err != nil {
		return nil, err
	}
	h.t.Cleanup(func() { _ = cl.Close() })
	return &pulsarProducer{cl: cl, ps: map[string]*pulsarclient.Producer{}}, nil
}

func (h *pulsarHarness) Subscribe(_ context.Context, topic string, sub conformance.Subscription) (conformance.Consumer, error) {
	name, ok := h.groups[sub.Group]
	if !ok || sub.Group == "" {
		name = fixtures.Name(h.t, "sub")
		h.groups[sub.Group] = name
	}
	var opts []pulsarclient.ConsumerOption
	if sub.FromEarliest {
		opts = append(opts, pulsarclient.FromEarliest())
	}
	// Shared: consumers of one subscription split the messages, and a
	// closed consumer's unacknowledged messages go to the others.
	c, err := h.cl.Subscribe(topic, name, pulsarclient.Shared, opts...)
	if err != nil {
		return nil, err
	}
	return pulsarConsumer{c}, nil
}

func (h *pulsarHarness) Code(err error) conformance.Code {
	var perr *pulsar.Error
	switch {
	case err == nil:
		return conformance.OK
	case errors.As(err, &perr) && perr.Result() == pulsar.TopicNotFound:
		return conformance.NotFound
	case errors.As(err, &perr) && perr.Result() == pulsar.MessageTooBig:
		return conformance.TooLarge
	case errors.Is(err, context.DeadlineExceeded) && h.rejected.seen.Load():
		// A broker that refuses CONNECT (bad or missing token) makes
		// pulsar-client-go retry until its timeout and return only that;
		// the refusal shows in the client's own log, nowhere else.
		return conformance.Unauthenticated
	case errors.Is(err, context.DeadlineExceeded):
		return conformance.Unavailable
	case strings.Contains(err.Error(), "AuthorizationError"):
		return conformance.PermissionDenied
	}
	return conformance.Unknown
}

// handshakeLog is a silent client logger that records whether the broker
// refused the connection handshake.
type handshakeLog struct {
	plog.Logger
	seen atomic.Bool
}

func (l *handshakeLog) Warnf(format string, args ...any) {
	if strings.HasPrefix(format, "Failed to establish connection with broker") {
		l.seen.Store(true)
	}
}

func (l *handshakeLog) SubLogger(plog.Fields) plog.Logger { return l }

type pulsarProducer struct {
	cl *pulsarclient.Client
	ps map[string]*pulsarclient.Producer
}

func (p *pulsarProducer) Send(ctx context.Context, topic string, m conformance.Message) error {
	prod, ok := p.ps[topic]
	if !ok {
		var err error
		if prod, err = p.cl.Producer(topic); err != nil {
			return err
		}
		p.ps[topic] = prod
	}
	_, err := prod.Send(ctx, pulsarclient.Message{Key: m.Key, Payload: m.Value, Properties: m.Headers})
	return err
}

func (p *pulsarProducer) Close() error {
	for _, prod := range p.ps {
		prod.Close()
	}
	return nil
}

type pulsarConsumer struct{ c *pulsarclient.Consumer }

func (c pulsarConsumer) Receive(ctx context.Context) (*conformance.Received, error) {
	m, err := c.c.Receive(ctx)
	if err != nil {
		return nil, err
	}
	return &conformance.Received{
		Message:     conformance.Message{Key: m.Key(), Value: m.Payload(), Headers: m.Properties()},
		Topic:       m.Topic(),
		Redelivered: m.RedeliveryCount() > 0,
		Handle:      m,
	}, nil
}

func (c pulsarConsumer) Ack(_ context.Context, r *conformance.Received) error {
	return c.c.Ack(r.Handle.(pulsar.Message))
}

func (c pulsarConsumer) Close() error { c.c.Close(); return nil }

func TestPulsarFeatures(t *testing.T) {
	t.Parallel()
	conformance.RunPulsar(t, func(t *testing.T) conformance.PulsarHarness {
		return &pulsarFeatureHarness{env: pulsartest.New(t)}
	})
}

type pulsarFeatureHarness struct{ env *pulsartest.Env }

func (h *pulsarFeatureHarness) Name() string {
	return "pulsar/pulsar-client-go (" + string(h.env.Mode()) + ")"
}

func (h *pulsarFeatureHarness) Capabilities() conformance.Capabilities {
	caps := conformance.Capabilities{conformance.Transactions, conformance.BatchIndexAck}
	switch h.env.Mode() {
	case fixtures.Fake:
		caps = append(caps, conformance.TokenAuth)
	case fixtures.External:
		// An external broker's features are its operator's choice.
		caps = nil
		if os.Getenv("BROKERKIT_PULSAR_TOKEN") != "" {
			caps = append(caps, conformance.TokenAuth)
		}
		if os.Getenv("BROKERKIT_PULSAR_TRANSACTIONS") == "1" {
			caps = append(caps, conformance.Transactions)
		}
	}
	return caps
}

func (h *pulsarFeatureHarness) Client(t *testing.T) pulsar.Client {
	return h.client(t, h.env.Endpoint(), h.Capabilities().Has(conformance.Transactions))
}

// client makes a client; with txn the client connects to the transaction
// coordinator at once, so it is off for the token clients, whose wrong
// token must fail at the first producer.
func (h *pulsarFeatureHarness) client(t *testing.T, ep pulsarclient.Endpoint, txn bool) pulsar.Client {
	cl, err := pulsarclient.New(ep, func(o *pulsar.ClientOptions) { o.EnableTransaction = txn })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl.Raw()
}

func (h *pulsarFeatureHarness) Topic(t *testing.T, partitions int) string {
	if partitions > 0 {
		return h.env.Topic(t, pulsartest.Partitions(partitions))
	}
	return h.env.Topic(t)
}

func (h *pulsarFeatureHarness) TokenClient(t *testing.T, right bool) (pulsar.Client, string) {
	env := h.env
	if env.Mode() == fixtures.Fake {
		env = pulsartest.New(t, pulsartest.WithToken("conformance-token"))
	}
	ep := env.Endpoint()
	if !right {
		ep.Token = "not-" + ep.Token
		ep.OperationTimeout = 2 * time.Second
	}
	return h.client(t, ep, false), env.Topic(t)
}

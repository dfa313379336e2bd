package conformance_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/clients/kafkaclient"
	"github.com/brokerkit/brokerkit/conformance"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/kafkatest"
)

func TestKafkaStream(t *testing.T) {
	t.Parallel()
	conformance.RunStream(t, newKafkaHarness)
}

type kafkaHarness struct {
	t      *testing.T
	env    *kafkatest.Env
	groups map[string]string // scenario group name -> unique group
}

// Kafka caps a record batch at message.max.bytes (1 MiB + 12 by default),
// which a 1 MiB value plus record overhead exceeds. Topics are created with
// max.message.bytes raised, which every broker honours, so the 1 MiB
// scenario tests delivery rather than a broker default.
const maxMessageBytes = "2097152"

func newKafkaHarness(t *testing.T) conformance.StreamHarness {
	env := kafkatest.New(t)
	return &kafkaHarness{t: t, env: env, groups: map[string]string{}}
}

func (h *kafkaHarness) Name() string { return "kafka/franz-go (" + string(h.env.Mode()) + ")" }

func (h *kafkaHarness) Capabilities() conformance.Capabilities {
	caps := conformance.Capabilities{
		conformance.Groups, conformance.Replay, conformance.PerKeyOrdering, conformance.Redelivery,
		conformance.Keys, conformance.Headers, conformance.BinaryPayloads, conformance.LargeMessages,
		conformance.StrictTopics,
	}
	// An external broker's credentials are the user's; without them there
	// is nothing to get wrong.
	if h.env.Mode() != fixtures.External || os.Getenv("BROKERKIT_KAFKA_SASL") != "" {
		caps = append(caps, conformance.Auth)
	}
	return caps
}

func (h *kafkaHarness) Topic(_ context.Context, partitions int) (string, error) {
	return h.env.Topic(h.t, kafkatest.Partitions(partitions), kafkatest.TopicConfig("max.message.bytes", maxMessageBytes)), nil
}

func (h *kafkaHarness) MissingTopic() string { return fixtures.Name(h.t, "missing") }

func (h *kafkaHarness) Producer(context.Context) (conformance.Producer, error) {
	return h.producer(h.env.Endpoint())
}

func (h *kafkaHarness) producer(ep kafkaclient.Endpoint) (conformance.Producer, error) {
	cl, err := kafkaclient.New(ep, kafkaclient.WithKgo(kgo.ProducerBatchMaxBytes(4<<20)))
	if err != nil {
		return nil, err
	}
	return kafkaProducer{cl}, nil
}

func (h *kafkaHarness) BadCredentialsProducer(context.Context) (conformance.Producer, error) {
	authed := kafkatest.New(h.t, kafkatest.WithUser("conformance", "the-right-password"), kafkatest.WithSASLMechanism("SCRAM-SHA-256"))
	ep := authed.Endpoint()
	wrong := *ep.SASL
	wrong.Password = "not-" + wrong.Password
	ep.SASL = &wrong
	// kgo retries a failed login until the record times out; bound the
	// retries so the broker's own answer surfaces instead of a deadline,
	// and let its metadata retry come sooner than the 5 s minimum age.
	cl, err := kafkaclient.New(ep, kafkaclient.WithKgo(kgo.RecordRetries(1), kgo.RequestRetries(1),
		kgo.MetadataMinAge(250*time.Millisecond)))
	if err != nil {
		return nil, err
	}
	return kafkaProducer{cl}, nil
}

func (h *kafkaHarness) Subscribe(ctx context.Context, topic string, sub conformance.Subscription) (conformance.Consumer, error) {
	group, ok := h.groups[sub.Group]
	if !ok || sub.Group == "" {
		group = h.env.Group(h.t)
		h.groups[sub.Group] = group
	}
	assigned := make(chan struct{}, 1)
	// Topics are new per scenario, so starting at the earliest offset is
	// the same as "from now" for every scenario but the replay one, and it
	// avoids the race between joining and resolving the latest offset.
	cl, err := kafkaclient.New(h.env.Endpoint(), kafkaclient.WithGroup(group, topic),
		kafkaclient.WithKgo(
			kgo.FetchMaxBytes(8<<20),
			kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
				select {
				case assigned <- struct{}{}:
				default:
				}
			})))
	if err != nil {
		return nil, err
	}
	// Ready means the group gave this member partitions: before that, a
	// second member of a group has no share yet.
	select {
	case <-assigned:
	case <-ctx.Done():
		cl.Close()
		return nil, ctx.Err()
	}
	return &kafkaConsumer{cl: cl}, nil
}

func (h *kafkaHarness) Code(err error) conformance.Code {
	switch {
	case err == nil:
		return conformance.OK
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return conformance.NotFound
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return conformance.Unauthenticated
	case errors.Is(err, kerr.TopicAuthorizationFailed), errors.Is(err, kerr.GroupAuthorizationFailed),
		errors.Is(err, kerr.ClusterAuthorizationFailed):
		return conformance.PermissionDenied
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return conformance.TooLarge
	case errors.Is(err, kerr.InvalidTopicException), errors.Is(err, kerr.InvalidRequest):
		return conformance.InvalidArgument
	case errors.Is(err, context.DeadlineExceeded):
		return conformance.Unavailable
	}
	return conformance.Unknown
}

type kafkaProducer struct{ cl *kafkaclient.Client }

func (p kafkaProducer) Send(ctx context.Context, topic string, m conformance.Message) error {
	msg := kafkaclient.Message{Topic: topic, Value: m.Value}
	if m.Key != "" {
		msg.Key = []byte(m.Key)
	}
	for k, v := range m.Headers {
		msg.Headers = append(msg.Headers, kafkaclient.Header{Key: k, Value: []byte(v)})
	}
	_, err := p.cl.Produce(ctx, msg)
	return err
}

func (p kafkaProducer) Close() error { return p.cl.Close() }

type kafkaConsumer struct {
	cl  *kafkaclient.Client
	buf []kafkaclient.Message
}

func (c *kafkaConsumer) Receive(ctx context.Context) (*conformance.Received, error) {
	for len(c.buf) == 0 {
		msgs, err := c.cl.Poll(ctx)
		if err != nil {
			return nil, err
		}
		c.buf = msgs
	}
	m := c.buf[0]
	c.buf = c.buf[1:]
	r := &conformance.Received{
		Message: conformance.Message{Key: string(m.Key), Value: m.Value},
		Topic:   m.Topic,
		Handle:  m,
	}
	if len(m.Headers) > 0 {
		r.Headers = map[string]string{}
		for _, hd := range m.Headers {
			r.Headers[hd.Key] = string(hd.Value)
		}
	}
	return r, nil
}

func (c *kafkaConsumer) Ack(ctx context.Context, r *conformance.Received) error {
	return c.cl.Commit(ctx, r.Handle.(kafkaclient.Message))
}

func (c *kafkaConsumer) Close() error { return c.cl.Close() }

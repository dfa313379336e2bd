// Package kafkaclient is a thin, typed wrapper over franz-go (kgo) for the
// common test needs: produce synchronously or asynchronously, consume in a
// group with explicit commits, keys, headers and explicit partitions. Raw
// returns the *kgo.Client for everything else.
//
//	cl, err := kafkaclient.New(kafkaclient.Endpoint{Brokers: env.Brokers()},
//		kafkaclient.WithGroup("billing", "orders"))
//	_, err = cl.Produce(ctx, kafkaclient.Message{Topic: "orders", Key: []byte("k"), Value: []byte("v")})
//	msgs, err := cl.Poll(ctx)
//	err = cl.Commit(ctx, msgs...)
package kafkaclient

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Message is one Kafka record.
type Message struct {
	Topic   string
	Key     []byte // nil: no key (partitioned by the default partitioner)
	Value   []byte
	Headers []Header
	// Partition, when set on Produce (see Partition), sends the record to
	// that partition instead of the one its key hashes to. After Produce
	// and Poll it is always set.
	Partition *int32
	Offset    int64 // set after Produce and by Poll
	Timestamp time.Time
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Partition returns a pointer for Message.Partition.
func Partition(p int32) *int32 { return &p }

// Delivery is the outcome of an asynchronous produce.
type Delivery struct {
	Message Message // with Partition and Offset when Err is nil
	Err     error
}

// Client is a producer and, with WithGroup or WithTopics, a consumer.
type Client struct {
	cl    *kgo.Client
	group string
}

// Option configures a Client.
type Option func(*options)

type options struct {
	group     string
	topics    []string
	fromStart bool
	kgo       []kgo.Opt
}

// WithGroup consumes topics as a member of group. Offsets are committed only
// by Commit, so a consumer that stops without committing leaves its records
// to be redelivered, as at-least-once processing needs.
func WithGroup(group string, topics ...string) Option {
	return func(o *options) { o.group, o.topics = group, append(o.topics, topics...) }
}

// WithTopics consumes topics directly, without a group.
func WithTopics(topics ...string) Option {
	return func(o *options) { o.topics = append(o.topics, topics...) }
}

// FromLatest starts where no offset is committed at the end of each
// partition. The default is the start, so a test sees what it produced
// before subscribing.
func FromLatest() Option { return func(o *options) { o.fromStart = false } }

// WithKgo passes franz-go options through, last, so they win.
func WithKgo(opts ...kgo.Opt) Option {
	return func(o *options) { o.kgo = append(o.kgo, opts...) }
}

// New connects to ep. Connection errors surface on first use, as with kgo.
func New(ep Endpoint, opts ...Option) (*Client, error) {
	o := options{fromStart: true}
	for _, fn := range opts {
		fn(&o)
	}
	kopts, err := ep.Opts()
	if err != nil {
		return nil, err
	}
	kopts = append(kopts, kgo.RecordPartitioner(partitioner{kgo.StickyKeyPartitioner(nil)}))
	if len(o.topics) > 0 {
		kopts = append(kopts, kgo.ConsumeTopics(o.topics...))
		if o.fromStart {
			kopts = append(kopts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		} else {
			kopts = append(kopts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
		}
	}
	if o.group != "" {
		kopts = append(kopts, kgo.ConsumerGroup(o.group), kgo.DisableAutoCommit())
	}
	kopts = append(kopts, o.kgo...)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, err
	}
	return &Client{cl: cl, group: o.group}, nil
}

// Raw returns the underlying franz-go client.
func (c *Client) Raw() *kgo.Client { return c.cl }

// Close leaves the group (without committing) and closes connections. It
// returns nil; the error is there so every brokerkit client closes alike.
func (c *Client) Close() error { c.cl.Close(); return nil }

// Ping checks that a broker answers (and that authentication succeeds).
func (c *Client) Ping(ctx context.Context) error { return c.cl.Ping(ctx) }

// Produce sends m and waits until the broker acknowledged it.
func (c *Client) Produce(ctx context.Context, m Message) (Message, error) {
	r, err := c.cl.ProduceSync(ctx, toRecord(m)).First()
	if err != nil {
		return m, err
	}
	return fromRecord(r), nil
}

// ProduceAsync sends m without waiting; done is called once with the
// outcome. Use Flush to wait for everything in flight.
func (c *Client) ProduceAsync(ctx context.Context, m Message, done func(Delivery)) {
	c.cl.Produce(ctx, toRecord(m), func(r *kgo.Record, err error) {
		if done != nil {
			done(Delivery{Message: fromRecord(r), Err: err})
		}
	})
}

// Flush waits until every asynchronous produce has completed.
func (c *Client) Flush(ctx context.Context) error { return c.cl.Flush(ctx) }

// Poll waits for records and returns what arrived. It returns ctx's error
// when ctx ends before any record does.
func (c *Client) Poll(ctx context.Context) ([]Message, error) {
	fs := c.cl.PollFetches(ctx)
	if errors.Is(fs.Err0(), kgo.ErrClientClosed) {
		return nil, kgo.ErrClientClosed
	}
	var firstErr error
	fs.EachError(func(_ string, _ int32, err error) {
		if firstErr == nil {
			firstErr = err
		}
	})
	recs := fs.Records()
	out := make([]Message, len(recs))
	for i, r := range recs {
		out[i] = fromRecord(r)
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Commit commits the offsets after msgs (per partition, the highest one),
// so the group resumes after them. It needs WithGroup.
func (c *Client) Commit(ctx context.Context, msgs ...Message) error {
	if c.group == "" {
		return errors.New("kafkaclient: Commit needs WithGroup")
	}
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		r := toRecord(m)
		r.Offset = m.Offset
		if m.Partition != nil {
			r.Partition = *m.Partition
		}
		recs[i] = r
	}
	return c.cl.CommitRecords(ctx, recs...)
}

func toRecord(m Message) *kgo.Record {
	r := &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value, Timestamp: m.Timestamp}
	if len(m.Headers) > 0 {
		r.Headers = make([]kgo.RecordHeader, len(m.Headers))
		for i, h := range m.Headers {
			r.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	if m.Partition != nil {
		r.Partition = *m.Partition
		r.Context = context.WithValue(context.Background(), manualKey{}, true)
	}
	return r
}

func fromRecord(r *kgo.Record) Message {
	m := Message{
		Topic:     r.Topic,
		Key:       r.Key,
		Value:     r.Value,
		Partition: Partition(r.Partition),
		Offset:    r.Offset,
		Timestamp: r.Timestamp,
	}
	if len(r.Headers) > 0 {
		m.Headers = make([]Header, len(r.Headers))
		for i, h := range r.Headers {
			m.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return m
}

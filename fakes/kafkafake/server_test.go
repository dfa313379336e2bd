package kafkafake

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func start(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func client(t *testing.T, s *Server, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.Brokers()...)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func roundTrip(t *testing.T, s *Server, topic string, opts ...kgo.Opt) {
	t.Helper()
	p := client(t, s, opts...)
	require.NoError(t, p.ProduceSync(ctx(t), &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v")}).FirstErr())
	c := client(t, s, append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	fs := c.PollFetches(ctx(t))
	require.NoError(t, fs.Err())
	require.Len(t, fs.Records(), 1)
	require.Equal(t, "v", string(fs.Records()[0].Value))
}

func TestDefaultsOneBrokerOnLoopback(t *testing.T) {
	s := start(t, WithTopic("orders", 3))
	require.Len(t, s.Brokers(), 1)
	require.Regexp(t, `^127\.0\.0\.1:\d+$`, s.Addr())
	topics, err := s.Topics(ctx(t))
	require.NoError(t, err)
	require.Equal(t, map[string]int32{"orders": 3}, topics)
	roundTrip(t, s, "orders")
}

func TestMultipleBrokers(t *testing.T) {
	s := start(t, WithBrokers(3), WithTopic("t", 6))
	require.Len(t, s.Brokers(), 3)
	roundTrip(t, s, "t")
}

func TestMissingTopicFailsWhenAutoCreateOff(t *testing.T) {
	s := start(t)
	cl := client(t, s, kgo.UnknownTopicRetries(0))
	err := cl.ProduceSync(ctx(t), &kgo.Record{Topic: "nope", Value: []byte("x")}).FirstErr()
	require.ErrorIs(t, err, kerr.UnknownTopicOrPartition)
}

func TestAutoCreateForEveryMetadataVersion(t *testing.T) {
	for _, maxMeta := range []int16{1, 3, 4, 12} {
		t.Run(kmsg.Metadata.Name()+"v"+string(rune('0'+maxMeta%10)), func(t *testing.T) {
			s := start(t, WithAutoCreateTopics(2))
			v := kversion.Stable()
			v.SetMaxKeyVersion(int16(kmsg.Metadata), maxMeta)
			cl := client(t, s, kgo.MaxVersions(v))
			req := kmsg.NewPtrMetadataRequest()
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr("auto")
			req.Topics = append(req.Topics, rt)
			req.AllowAutoTopicCreation = true // ignored below v4, where Kafka always allows
			resp, err := req.RequestWith(ctx(t), cl)
			require.NoError(t, err)
			require.LessOrEqual(t, resp.Version, maxMeta)
			require.Len(t, resp.Topics, 1)
			require.Contains(t, []int16{0, kerr.LeaderNotAvailable.Code}, resp.Topics[0].ErrorCode)
			require.Len(t, s.Partitions("auto"), 2, "topic auto-created with 2 partitions")
		})
	}
}

func TestAutoCreateRespectsV4ClientFlag(t *testing.T) {
	s := start(t, WithAutoCreateTopics(1))
	cl := client(t, s)
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr("not-created")
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = false
	resp, err := req.RequestWith(ctx(t), cl)
	require.NoError(t, err)
	require.Equal(t, kerr.UnknownTopicOrPartition.Code, resp.Topics[0].ErrorCode)
}

func TestSASLMechanisms(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithSASL(
		User{Plain, "alice", "alice-secret"},
		User{ScramSHA256, "bob", "bob-secret"},
		User{ScramSHA512, "carol", "carol-secret"},
	))
	t.Run("plain", func(t *testing.T) {
		require.NoError(t, s.CreateTopic("plain", 1))
		roundTrip(t, s, "plain", kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()))
	})
	t.Run("scram-sha-256", func(t *testing.T) {
		require.NoError(t, s.CreateTopic("s256", 1))
		roundTrip(t, s, "s256", kgo.SASL(scram.Auth{User: "bob", Pass: "bob-secret"}.AsSha256Mechanism()))
	})
	t.Run("scram-sha-512", func(t *testing.T) {
		require.NoError(t, s.CreateTopic("s512", 1))
		roundTrip(t, s, "s512", kgo.SASL(scram.Auth{User: "carol", Pass: "carol-secret"}.AsSha512Mechanism()))
	})
	t.Run("wrong password", func(t *testing.T) {
		cl := client(t, s, kgo.SASL(plain.Auth{User: "alice", Pass: "wrong"}.AsMechanism()), kgo.RequestRetries(0))
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := cl.Ping(c)
		require.Error(t, err)
		require.ErrorIs(t, err, kerr.SaslAuthenticationFailed)
	})
	t.Run("no credentials", func(t *testing.T) {
		cl := client(t, s, kgo.RequestRetries(0))
		c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		require.Error(t, cl.ProduceSync(c, &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	})
}

func TestTLSAndSASLOverTLS(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithTLS(), WithSASL(User{ScramSHA256, "u", "p"}))
	require.True(t, s.TLS())
	require.Contains(t, string(s.CACertPEM()), "BEGIN CERTIFICATE")
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, s.WriteCACert(path))
	roundTrip(t, s, "t", kgo.DialTLSConfig(s.ClientTLSConfig()), kgo.SASL(scram.Auth{User: "u", Pass: "p"}.AsSha256Mechanism()))

	// A plaintext client cannot talk to a TLS listener.
	cl := client(t, s, kgo.SASL(scram.Auth{User: "u", Pass: "p"}.AsSha256Mechanism()), kgo.RequestRetries(0))
	c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	require.Error(t, cl.Ping(c))
}

func TestAdvertisedHost(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithAdvertisedHost("localhost"))
	require.Regexp(t, `^localhost:\d+$`, s.Addr())
	roundTrip(t, s, "t")
}

func TestFailNextRetriableIsRetriedThenSucceeds(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	h := s.FailNext(kmsg.Produce, "t", 2, kerr.NotLeaderForPartition)
	cl := client(t, s, kgo.MetadataMinAge(50*time.Millisecond)) // kgo waits for metadata before a retry
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	require.Equal(t, 2, h.Hits())
}

func TestFailNextNonRetriableReachesCaller(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithTopic("other", 1))
	s.FailNext(kmsg.Produce, "t", 1, kerr.TopicAuthorizationFailed)
	cl := client(t, s)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "other", Value: []byte("x")}).FirstErr(), "other topic unaffected")
	err := cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr()
	require.ErrorIs(t, err, kerr.TopicAuthorizationFailed)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("y")}).FirstErr(), "fault used up")
}

func TestLatency(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	cl := client(t, s)
	require.NoError(t, cl.Ping(ctx(t)))
	s.SetLatency(kmsg.Produce, 300*time.Millisecond)
	begin := time.Now()
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	require.GreaterOrEqual(t, time.Since(begin), 300*time.Millisecond, "a delayed request cannot finish early")
	s.SetLatency(kmsg.Produce, 0)
}

func TestDropConnectionsClientsReconnect(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	cl := client(t, s)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("1")}).FirstErr())
	require.Positive(t, s.DropConnections())
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("2")}).FirstErr())
	recs, err := s.Records(ctx(t), "t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 2)
}

func TestRestartNeedsPersistence(t *testing.T) {
	s := start(t)
	require.ErrorContains(t, s.Restart(), "WithRestartable")
}

func TestRestartKeepsRecordsAndOffsets(t *testing.T) {
	s := start(t, WithTopic("t", 2), WithRestartable())
	cl := client(t, s, kgo.ConsumerGroup("g"), kgo.ConsumeTopics("t"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for i := 0; i < 10; i++ {
		require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte{byte(i)}}).FirstErr())
	}
	seen := 0
	for seen < 10 {
		fs := cl.PollFetches(ctx(t))
		require.NoError(t, fs.Err())
		seen += fs.NumRecords()
	}
	require.NoError(t, cl.CommitUncommittedOffsets(ctx(t)))
	before, err := s.CommittedOffsets(ctx(t), "g")
	require.NoError(t, err)
	addr := s.Addr()
	cl.Close()

	require.NoError(t, s.Restart())
	require.Equal(t, addr, s.Addr(), "same port after restart")
	after, err := s.CommittedOffsets(ctx(t), "g")
	require.NoError(t, err)
	require.Equal(t, before, after)
	recs, err := s.TopicRecords(ctx(t), "t")
	require.NoError(t, err)
	require.Len(t, recs, 10)
}

func TestDataDirSurvivesNewServer(t *testing.T) {
	dir := t.TempDir()
	s1, err := New(WithDataDir(dir), WithTopic("t", 1))
	require.NoError(t, err)
	cl := client(t, s1)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("kept")}).FirstErr())
	cl.Close()
	require.NoError(t, s1.Close())
	require.NoError(t, s1.Close(), "Close is idempotent")

	s2 := start(t, WithDataDir(dir), WithTopic("t", 1))
	recs, err := s2.Records(ctx(t), "t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, "kept", string(recs[0].Value))
}

func TestRecordsOfEmptyAndMissingPartition(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	recs, err := s.Records(ctx(t), "t", 0)
	require.NoError(t, err)
	require.Empty(t, recs)
	_, err = s.Records(ctx(t), "missing", 0)
	require.Error(t, err)
	_, err = s.CommittedOffsets(ctx(t), "no-such-group")
	require.NoError(t, err)
}

func TestFixedPorts(t *testing.T) {
	probe := start(t)
	_, port, _ := splitPort(probe.Addr())
	require.NoError(t, probe.Close())
	s := start(t, WithPorts(port))
	require.Equal(t, probe.Addr(), s.Addr())
}

func TestRestartAfterCloseFails(t *testing.T) {
	s, err := New(WithRestartable())
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.Error(t, s.Restart())
	_, err = s.Records(context.Background(), "x", 0)
	require.Error(t, err)
	require.False(t, errors.Is(err, context.Canceled))
}

func TestMessageMaxBytesIsKafkasDefault(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	big := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{7}).Read(big) // incompressible: brokers check the compressed batch
	cl := client(t, s, kgo.ProducerBatchMaxBytes(4<<20), kgo.RecordRetries(1))
	err := cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: big}).FirstErr()
	require.ErrorIs(t, err, kerr.MessageTooLarge, "1 MiB + overhead exceeds message.max.bytes=1048588")

	require.NoError(t, s.CreateTopic("roomy", 1))
	adm := kadm.NewClient(cl)
	_, err = adm.AlterTopicConfigs(ctx(t), []kadm.AlterConfig{{Name: "max.message.bytes", Value: kmsg.StringPtr("2097152")}}, "roomy")
	require.NoError(t, err)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "roomy", Value: big}).FirstErr())
}

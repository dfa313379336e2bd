package kafkafake

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
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

	"github.com/brokerkit/brokerkit/fault"
	"github.com/brokerkit/brokerkit/internal/datadir"
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
	s := start(t, WithTopic("t", 1), WithUser("alice", "alice-secret"), WithUser("bob", "bob-secret"), WithUser("carol", "carol-secret"))
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
	t.Run("every mechanism for every user", func(t *testing.T) {
		require.NoError(t, s.CreateTopic("any", 1))
		roundTrip(t, s, "any", kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()))
	})
	t.Run("no credentials", func(t *testing.T) {
		cl := client(t, s, kgo.RequestRetries(0))
		c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		require.Error(t, cl.ProduceSync(c, &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	})
}

func TestTLSAndSASLOverTLS(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithTLS(), WithUser("u", "p"))
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

func TestSASLMechanismsCanBeNarrowed(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithUser("u", "p"), WithSASLMechanisms(ScramSHA256))
	roundTrip(t, s, "t", kgo.SASL(scram.Auth{User: "u", Pass: "p"}.AsSha256Mechanism()))
	cl := client(t, s, kgo.SASL(plain.Auth{User: "u", Pass: "p"}.AsMechanism()), kgo.RequestRetries(0))
	c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	require.Error(t, cl.Ping(c), "PLAIN is not enabled")
}

func TestFailNextRetriableIsRetriedThenSucceeds(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	h, err := s.FailNext(kmsg.Produce, "t", 2, kerr.NotLeaderForPartition)
	require.NoError(t, err)
	cl := client(t, s, kgo.MetadataMinAge(50*time.Millisecond)) // kgo waits for metadata before a retry
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	require.NoError(t, h.Wait(ctx(t), 2))
	require.Equal(t, 2, h.Hits())
	require.Empty(t, s.Faults(), "used-up rule is not listed")
}

func TestFailNextNonRetriableReachesCaller(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithTopic("other", 1))
	_, err := s.FailNext(kmsg.Produce, "t", 1, kerr.TopicAuthorizationFailed)
	require.NoError(t, err)
	cl := client(t, s)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "other", Value: []byte("x")}).FirstErr(), "other topic unaffected")
	err = cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr()
	require.ErrorIs(t, err, kerr.TopicAuthorizationFailed)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("y")}).FirstErr(), "fault used up")
}

func TestFailNextUnknownOperationIsAnError(t *testing.T) {
	s := start(t)
	_, err := s.FailNext(kmsg.Key(4), fault.Any, 1, kerr.UnknownServerError) // LeaderAndISR: broker-internal
	require.ErrorContains(t, err, "unknown operation")
	_, err = s.FailNext(kmsg.Key(999), fault.Any, 1, nil)
	require.Error(t, err)
	_, err = s.Delay(kmsg.Key(40), time.Second) // RenewDelegationToken: not served
	require.Error(t, err)
	require.Empty(t, s.Faults())
}

func TestServedKeysMatchApiVersions(t *testing.T) {
	s := start(t)
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx(t), client(t, s))
	require.NoError(t, err)
	var got []kmsg.Key
	for _, k := range resp.ApiKeys {
		got = append(got, kmsg.Key(k.ApiKey))
	}
	require.ElementsMatch(t, got, s.Ops())
}

func TestFaultHandleHitsWaitRemoveAndList(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	h, err := s.FailNext(kmsg.Produce, "t", -1, kerr.TopicAuthorizationFailed)
	require.NoError(t, err)
	d, err := s.Delay(kmsg.Metadata, time.Millisecond)
	require.NoError(t, err)
	rules := s.Faults()
	require.Len(t, rules, 2)
	require.Equal(t, fault.Rule{Kind: "fail", Op: "Produce", Target: "t", Left: -1, Code: kerr.TopicAuthorizationFailed.Error()}, rules[0])
	require.Equal(t, "delay", rules[1].Kind)
	require.Equal(t, "Metadata", rules[1].Op)

	cl := client(t, s, kgo.RecordRetries(0))
	done := make(chan error, 1)
	go func() { done <- h.Wait(ctx(t), 2) }()
	for i := 0; i < 2; i++ {
		err := cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr()
		require.ErrorIs(t, err, kerr.TopicAuthorizationFailed)
	}
	require.NoError(t, <-done)
	require.Equal(t, 2, h.Hits())
	require.Positive(t, d.Hits())

	h.Remove()
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("ok")}).FirstErr())
	require.Equal(t, 2, h.Hits())
	s.ResetFaults()
	require.Empty(t, s.Faults())

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, h.Wait(short, 3), context.DeadlineExceeded)
}

func TestDelay(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	cl := client(t, s)
	require.NoError(t, cl.Ping(ctx(t)))
	h, err := s.Delay(kmsg.Produce, 300*time.Millisecond)
	require.NoError(t, err)
	begin := time.Now()
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	require.GreaterOrEqual(t, time.Since(begin), 300*time.Millisecond, "a delayed request cannot finish early")
	require.Equal(t, 1, h.Hits())
	h.Remove()
	require.Empty(t, s.Faults())
}

func TestDelayEndsOnClose(t *testing.T) {
	s, err := New(WithTopic("t", 1))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, err = s.Delay(kmsg.Produce, time.Hour)
	require.NoError(t, err)
	cl := client(t, s)
	pctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	go func() { _ = cl.ProduceSync(pctx, &kgo.Record{Topic: "t", Value: []byte("x")}) }()
	require.Eventually(t, func() bool { return s.Faults()[0].Hits == 1 }, 10*time.Second, 5*time.Millisecond)
	begin := time.Now()
	require.NoError(t, s.Close())
	require.Less(t, time.Since(begin), time.Second, "Close waited for the delay")
	// The shim goroutine that slept is gone too: goleak in TestMain checks.
	// kgo keeps the record until the client closes (Cleanup).
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

func TestRestartKeepsFaultsAndDropsConnections(t *testing.T) {
	s := start(t, WithTopic("t", 1), WithUser("u", "p"))
	auth := kgo.SASL(scram.Auth{User: "u", Pass: "p"}.AsSha256Mechanism())
	h, err := s.FailNext(kmsg.Produce, "t", 3, kerr.TopicAuthorizationFailed)
	require.NoError(t, err)
	cl := client(t, s, auth, kgo.RecordRetries(0))
	require.ErrorIs(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr(), kerr.TopicAuthorizationFailed)
	require.Equal(t, 1, h.Hits())

	other := client(t, s, auth)
	require.NoError(t, other.Ping(ctx(t)))
	require.NoError(t, s.Restart())
	require.Len(t, s.Faults(), 1)
	require.Equal(t, 2, s.Faults()[0].Left)
	for i := 0; i < 2; i++ {
		require.ErrorIs(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr(), kerr.TopicAuthorizationFailed)
	}
	require.NoError(t, h.Wait(ctx(t), 3))
	require.Equal(t, 3, h.Hits())
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("ok")}).FirstErr(), "users kept, fault used up")
	require.Empty(t, s.Faults())
}

func TestFaultWaitSpansRestart(t *testing.T) {
	s := start(t, WithTopic("t", 1))
	h, err := s.FailNext(kmsg.Produce, "t", 2, kerr.TopicAuthorizationFailed)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- h.Wait(ctx(t), 2) }()
	cl := client(t, s, kgo.RecordRetries(0))
	require.Error(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	require.NoError(t, s.Restart())
	require.Error(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("x")}).FirstErr())
	require.NoError(t, <-done)
	require.NoError(t, s.Close())
	require.ErrorIs(t, h.Wait(ctx(t), 3), errClosed)
}

func TestRestartKeepsRecordsAndOffsets(t *testing.T) {
	s := start(t, WithTopic("t", 2))
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

// closedDataDir is a data dir a stopped server left with one record,
// "kept", in topic t.
func closedDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s1, err := New(WithDataDir(dir), WithTopic("t", 1))
	require.NoError(t, err)
	cl := client(t, s1)
	require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte("kept")}).FirstErr())
	cl.Close()
	require.NoError(t, s1.Close())
	require.NoError(t, s1.Close(), "Close is idempotent")
	return dir
}

func TestDataDirSurvivesNewServer(t *testing.T) {
	dir := closedDataDir(t)

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
	require.NoError(t, probe.Close())
	s := start(t, WithAddr(probe.Addr()))
	require.Equal(t, probe.Addr(), s.Addr())
}

func TestWithAddrFirstBrokerOthersFree(t *testing.T) {
	probe := start(t)
	addr := probe.Addr()
	require.NoError(t, probe.Close())
	s := start(t, WithAddr(addr), WithBrokers(3), WithTopic("t", 3))
	require.Len(t, s.Brokers(), 3)
	require.Equal(t, addr, s.Addr())
	roundTrip(t, s, "t")
	_, err := New(WithAddr("no-port"))
	require.Error(t, err)
}

func TestDataDirIsLocked(t *testing.T) {
	dir := t.TempDir()
	start(t, WithDataDir(dir))
	_, err := New(WithDataDir(dir))
	require.ErrorIs(t, err, datadir.ErrLocked)
}

func TestRestartAfterCloseFails(t *testing.T) {
	s, err := New()
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

// A crash keeps what was acknowledged: the data dir is copied while the
// server runs (what a kill -9 leaves behind) and a new server starts on the
// copy with the records and the group's committed offsets.
func TestDataDirCopiedWhileRunningHasAcknowledgedData(t *testing.T) {
	dir := t.TempDir()
	s1 := start(t, WithDataDir(dir), WithTopic("t", 1))
	cl := client(t, s1, kgo.ConsumerGroup("g"), kgo.ConsumeTopics("t"), kgo.DisableAutoCommit())
	for _, v := range []string{"a", "b", "c"} {
		require.NoError(t, cl.ProduceSync(ctx(t), &kgo.Record{Topic: "t", Value: []byte(v)}).FirstErr())
	}
	var got int
	for got < 3 {
		fs := cl.PollFetches(ctx(t))
		require.NoError(t, fs.Err())
		got += fs.NumRecords()
	}
	require.NoError(t, cl.CommitUncommittedOffsets(ctx(t)))

	crashed := t.TempDir()
	require.NoError(t, os.CopyFS(crashed, os.DirFS(dir)))
	s2 := start(t, WithDataDir(crashed), WithTopic("t", 1))
	recs, err := s2.Records(ctx(t), "t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	offs, err := s2.CommittedOffsets(ctx(t), "g")
	require.NoError(t, err)
	require.Equal(t, int64(3), offs["t"][0])
}

package kafkafake

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/internal/syncbuf"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var badTopicNames = []string{strings.Repeat("a", 250), strings.Repeat("b", 300), ".", "..", "bad/name", "with space", "ünicode"}

func TestValidateTopicName(t *testing.T) {
	for _, ok := range []string{"a", strings.Repeat("z", 249), "A.b_c-9", "...", "_", "-"} {
		require.NoError(t, ValidateTopicName(ok), ok)
	}
	for _, bad := range append(badTopicNames, "") {
		require.Error(t, ValidateTopicName(bad), bad)
	}
}

// TestCreateTopicsInvalidNames: Kafka answers INVALID_TOPIC_EXCEPTION for
// each bad name and creates the good ones of the same request.
func TestCreateTopicsInvalidNames(t *testing.T) {
	s := start(t)
	adm := kadm.NewClient(client(t, s))
	resps, err := adm.CreateTopics(ctx(t), 1, 1, nil, append([]string{"good-one", "good.two"}, badTopicNames...)...)
	require.NoError(t, err)
	require.Len(t, resps, 2+len(badTopicNames))
	for _, name := range badTopicNames {
		r, ok := resps[name]
		require.True(t, ok, "no answer for %q", name)
		require.ErrorIs(t, r.Err, kerr.InvalidTopicException, name)
		require.Contains(t, r.ErrMessage, "Topic name is invalid")
	}
	for _, name := range []string{"good-one", "good.two"} {
		require.NoError(t, resps[name].Err, name)
	}
	topics, err := s.Topics(ctx(t))
	require.NoError(t, err)
	require.Len(t, topics, 2, "%v", topics)

	// A request of bad names only.
	resps, err = adm.CreateTopics(ctx(t), 1, 1, nil, "..")
	require.NoError(t, err)
	require.ErrorIs(t, resps[".."].Err, kerr.InvalidTopicException)

	for _, name := range badTopicNames {
		require.Error(t, s.CreateTopic(name, 1), name)
	}
	_, err = New(WithTopic(strings.Repeat("x", 300), 1))
	require.Error(t, err)
	roundTrip(t, s, "good-one")
}

// TestMetadataInvalidNames: with auto-create on or off, Kafka answers
// INVALID_TOPIC_EXCEPTION for a bad name and creates nothing; good names
// behave as before.
func TestMetadataInvalidNames(t *testing.T) {
	for _, auto := range []bool{true, false} {
		t.Run(map[bool]string{true: "auto-create", false: "no auto-create"}[auto], func(t *testing.T) {
			var opts []Option
			if auto {
				opts = append(opts, WithAutoCreateTopics(1))
			}
			s := start(t, opts...)
			adm := kadm.NewClient(client(t, s))
			md, err := adm.Metadata(ctx(t), append([]string{"fine"}, badTopicNames...)...)
			require.NoError(t, err)
			for _, name := range badTopicNames {
				require.ErrorIs(t, md.Topics[name].Err, kerr.InvalidTopicException, name)
			}
			require.ErrorIs(t, md.Topics["fine"].Err, kerr.UnknownTopicOrPartition) // kadm does not ask to create
			// Every Metadata version, bad names only.
			for v := int16(0); v <= 12; v++ {
				r := dialRaw(t, s.Addr())
				req := kmsg.NewPtrMetadataRequest()
				req.Version = v
				req.AllowAutoTopicCreation = true
				rt := kmsg.NewMetadataRequestTopic()
				rt.Topic = kmsg.StringPtr("bad/name")
				req.Topics = append(req.Topics, rt)
				resp := kmsg.NewPtrMetadataResponse()
				r.request(req, resp)
				require.Len(t, resp.Topics, 1, "v%d", v)
				require.Equal(t, int16(17), resp.Topics[0].ErrorCode, "v%d", v)

				// A good name next to a bad one is created when allowed.
				good := kmsg.NewMetadataRequestTopic()
				good.Topic = kmsg.StringPtr(fmt.Sprintf("good-v%d", v))
				req.Topics = append(req.Topics, good)
				resp = kmsg.NewPtrMetadataResponse()
				r.request(req, resp)
				require.Len(t, resp.Topics, 2, "v%d", v)
				codes := map[string]int16{}
				for _, rt := range resp.Topics {
					codes[*rt.Topic] = rt.ErrorCode
				}
				require.Equal(t, int16(17), codes["bad/name"], "v%d", v)
				if auto {
					require.Zero(t, codes[*good.Topic], "v%d", v)
				} else {
					require.Equal(t, kerr.UnknownTopicOrPartition.Code, codes[*good.Topic], "v%d", v)
				}
			}
			topics, err := s.Topics(ctx(t))
			require.NoError(t, err)
			for name := range topics {
				require.NoError(t, ValidateTopicName(name))
			}
		})
	}
}

// TestProduceToInvalidName: Kafka never creates a topic from Produce, so a
// bad name is UNKNOWN_TOPIC_OR_PARTITION (KafkaApis.handleProduceRequest).
func TestProduceToInvalidName(t *testing.T) {
	s := start(t, WithAutoCreateTopics(1))
	r := dialRaw(t, s.Addr())
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = -1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "bad/name"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = 0
	rp.Records = recordBatch(t, []byte("v"))
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := kmsg.NewPtrProduceResponse()
	r.request(req, resp)
	require.Len(t, resp.Topics, 1)
	require.Equal(t, kerr.UnknownTopicOrPartition.Code, resp.Topics[0].Partitions[0].ErrorCode)

	// The same through franz-go: its Metadata sees INVALID_TOPIC_EXCEPTION.
	cl := client(t, s, kgo.RecordRetries(1))
	err := cl.ProduceSync(ctx(t), &kgo.Record{Topic: "bad/name", Value: []byte("v")}).FirstErr()
	require.ErrorIs(t, err, kerr.InvalidTopicException)
	topics, err := s.Topics(ctx(t))
	require.NoError(t, err)
	require.NotContains(t, topics, "bad/name")
}

// recordBatch encodes one uncompressed record batch with one record.
func recordBatch(t *testing.T, value []byte) []byte {
	t.Helper()
	rec := kmsg.NewRecord()
	rec.Value = value
	rec.Length = int32(len(rec.AppendTo(nil)) - 1) // small: a one-byte varint
	recBytes := rec.AppendTo(nil)
	b := kmsg.NewRecordBatch()
	b.Magic = 2
	b.NumRecords = 1
	b.ProducerID = -1
	b.ProducerEpoch = -1
	b.FirstSequence = -1
	b.Records = recBytes
	raw := b.AppendTo(nil)
	b.Length = int32(len(raw) - 12)
	raw = b.AppendTo(nil)
	// CRC-32C over everything after the CRC field.
	crc := crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli))
	raw[17], raw[18], raw[19], raw[20] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return raw
}

// TestBadPersistedTopicDoesNotStopStart is issue 14 item 8: a topic Kafka
// would refuse, found in a data dir (written by an older version), is
// skipped with a logged error and the rest loads.
func TestBadPersistedTopicDoesNotStopStart(t *testing.T) {
	dir := closedDataDir(t)
	path := filepath.Join(dir, "topics.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	topics := doc["topics"].([]any)
	require.Len(t, topics, 1)
	bad := map[string]any{}
	for k, v := range topics[0].(map[string]any) {
		bad[k] = v
	}
	bad["name"] = strings.Repeat("n", 300)
	bad["id"] = "AAAAAAAAAAAAAAAAAAAAAA"
	doc["topics"] = append(topics, bad)
	raw, err = json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o644))

	var logs syncbuf.Buffer
	s2 := start(t, WithDataDir(dir), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	recs, err := s2.Records(ctx(t), "t", 0)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, "kept", string(recs[0].Value))
	require.Contains(t, logs.String(), "skipping a persisted topic")
	names, err := s2.Topics(ctx(t))
	require.NoError(t, err)
	require.Equal(t, map[string]int32{"t": 1}, names)

	// An unreadable topics.json is moved aside, not fatal.
	require.NoError(t, s2.Close())
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o644))
	s3 := start(t, WithDataDir(dir), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, s3.CreateTopic("fresh", 1))
	require.FileExists(t, path+".unreadable")
}

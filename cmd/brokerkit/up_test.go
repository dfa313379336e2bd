package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/internal/syncbuf"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

type upOutput struct {
	Backends []struct {
		Name  string
		Addrs map[string]string `json:"addresses"`
		Env   map[string]string
		Notes []string
	}
	CAFile  string `json:"ca_file"`
	Exports []string
}

// startUp runs `brokerkit up args...` until the returned stop is called.
func startUp(t *testing.T, args ...string) (upOutput, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"up", "--json"}, args...), &stdout, &stderr) }()
	var out upOutput
	require.Eventually(t, func() bool {
		line, _, ok := strings.Cut(stdout.String(), "\n")
		return ok && json.Unmarshal([]byte(line), &out) == nil
	}, 10*time.Second, 5*time.Millisecond, "no JSON from up; stderr: %s", stderr.String())
	var once sync.Once
	code := -1
	stop := func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	return out, stop
}

func kafkaAddr(t *testing.T, out upOutput) string {
	for _, b := range out.Backends {
		if b.Name == "kafka" {
			return b.Addrs["bootstrap"]
		}
	}
	t.Fatalf("no kafka in %+v", out)
	return ""
}

func TestUpServesKafkaWithAutoCreate(t *testing.T) {
	out, stop := startUp(t, "--only", "kafka", "--kafka-port", "0")
	addr := kafkaAddr(t, out)
	require.Contains(t, out.Exports, "export BROKERKIT_MODE=external")
	require.Contains(t, out.Exports, "export BROKERKIT_KAFKA_ADDR="+addr)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("fresh"), kgo.AllowAutoTopicCreation(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Topic: "fresh", Value: []byte("auto")}).FirstErr())
	fs := cl.PollFetches(ctx)
	require.NoError(t, fs.Err())
	require.Equal(t, "auto", string(fs.Records()[0].Value))
	cl.Close()
	require.Equal(t, 0, stop(), "clean exit on interrupt")
}

func TestUpKeepsDataAcrossRestartsWithDataDir(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, stop := startUp(t, "--only", "kafka", "--kafka-port", "0", "--data-dir", dir)
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr(t, out)), kgo.AllowAutoTopicCreation(),
		kgo.ConsumerGroup("g"), kgo.ConsumeTopics("kept"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	for _, v := range []string{"one", "two"} {
		require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Topic: "kept", Value: []byte(v)}).FirstErr())
	}
	fs := cl.PollFetches(ctx)
	require.NoError(t, fs.Err())
	require.NoError(t, cl.CommitRecords(ctx, fs.Records()[0])) // "one" processed
	cl.Close()
	require.Equal(t, 0, stop())

	out, _ = startUp(t, "--only", "kafka", "--kafka-port", "0", "--data-dir", dir)
	cl2, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr(t, out)),
		kgo.ConsumerGroup("g"), kgo.ConsumeTopics("kept"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl2.Close()
	fs = cl2.PollFetches(ctx)
	require.NoError(t, fs.Err())
	require.Equal(t, "two", string(fs.Records()[0].Value), "records and the committed offset survived the restart")
}

func TestUpWithUsersAndTLS(t *testing.T) {
	out, _ := startUp(t, "--only", "kafka", "--kafka-port", "0", "--user", "alice:secret", "--tls")
	require.FileExists(t, out.CAFile)
	addr := kafkaAddr(t, out)
	require.Equal(t, "SCRAM-SHA-256:alice:secret", out.Backends[0].Env["BROKERKIT_KAFKA_SASL"])

	pool := mustCAPool(t, out.CAFile)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(),
		kgo.DialTLSConfig(pool), kgo.SASL(scram.Auth{User: "alice", Pass: "secret"}.AsSha512Mechanism()))
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Topic: "secure", Value: []byte("x")}).FirstErr())
}

func TestUpRejectsBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, run(context.Background(), []string{"up", "--only", "kafka,rabbitmq"}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "unknown backend rabbitmq")
	stderr.Reset()
	require.Equal(t, 2, run(context.Background(), []string{"up", "--user", "nocolon"}, &stdout, &stderr))
	require.Equal(t, 2, run(context.Background(), []string{"frobnicate"}, &stdout, &stderr))
	require.Equal(t, 0, run(context.Background(), []string{"help"}, &stdout, &stderr))
	require.Contains(t, stdout.String(), "brokerkit <command>")
}

func TestUpFailsCleanlyWhenPortTaken(t *testing.T) {
	out, _ := startUp(t, "--only", "kafka", "--kafka-port", "0")
	_, port, _ := strings.Cut(kafkaAddr(t, out), ":")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, run(context.Background(), []string{"up", "--only", "kafka", "--kafka-port", port}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "start kafka")
}

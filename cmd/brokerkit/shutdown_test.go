package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/internal/syncbuf"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestUpShutdownIsBounded: with 50,000 partitions in a data dir, kfake's
// Close saves a snapshot per partition (about 15 s here). On SIGINT, up
// waits --shutdown-timeout and exits; a record acknowledged before is there
// after the next start, because the data dir is written through.
func TestUpShutdownIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 50,000 partitions on disk")
	}
	dir := t.TempDir()
	upArgs := []string{"up", "--json", "--only", "kafka", "--kafka-port", "0", "--data-dir", dir, "--shutdown-timeout", "500ms"}
	child := startChild(t, upArgs...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr(t, child.out)), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	_, err = kadm.NewClient(cl).CreateTopic(ctx, 50000, 1, nil, "wide")
	require.NoError(t, err)
	require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Topic: "wide", Partition: 49999, Value: []byte("kept")}).FirstErr())
	cl.Close()

	require.NoError(t, child.cmd.Process.Signal(syscall.SIGINT))
	select {
	case <-child.exited:
		require.NoError(t, child.err, "exit status; stderr: %s", child.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("up still running 10 s after SIGINT with --shutdown-timeout 500ms; stderr: %s", child.stderr.String())
	}
	require.Contains(t, child.stderr.String(), "kafka still stopping after 500ms")

	// The next start is a process too: killed at the end, it leaves no
	// snapshot save running into the temp dir.
	again := startChild(t, upArgs...)
	cl2, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr(t, again.out)),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"wide": {49999: kgo.NewOffset().AtStart()}}))
	require.NoError(t, err)
	defer cl2.Close()
	fs := cl2.PollFetches(ctx)
	require.NoError(t, fs.Err())
	require.Equal(t, "kept", string(fs.Records()[0].Value))
}

type upChild struct {
	cmd    *exec.Cmd
	out    upOutput
	stderr syncbuf.Buffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// startChild runs `brokerkit up args...` as a process (this test binary,
// see TestMain) and returns once it printed its JSON; the cleanup kills it.
func startChild(t *testing.T, args ...string) *upChild {
	t.Helper()
	enc, err := json.Marshal(args)
	require.NoError(t, err)
	c := &upChild{cmd: exec.Command(os.Args[0]), exited: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), childArgsEnv+"="+string(enc))
	stdout, err := c.cmd.StdoutPipe()
	require.NoError(t, err)
	c.cmd.Stderr = &c.stderr
	require.NoError(t, c.cmd.Start())
	go func() { c.err = c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.exited
	})
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	require.NoError(t, err, "stderr: %s", c.stderr.String())
	require.NoError(t, json.Unmarshal(line, &c.out))
	return c
}

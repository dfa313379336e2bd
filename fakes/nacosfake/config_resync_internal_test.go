package nacosfake

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func withResync(d time.Duration) Option {
	return func(o *options) { o.resyncAfter, o.ackTimeout = d, time.Hour }
}

// A listener that neither reads a pushed change nor listens with its new
// MD5 (nacos-sdk-go after losing the push to an in-flight listen) gets it
// again, at most maxResyncs times.
func TestWireUnreadChangeIsPushedAgain(t *testing.T) {
	s := newTestServer(t, withResync(20*time.Millisecond), WithListenHints(false))
	w := dialConfigConn(t, s, "")
	w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"d","group":"G","tenant":"","md5":""}]}`, nil)
	s.SetConfig("", "G", "d", "v1")
	for range 1 + maxResyncs {
		require.Equal(t, "d", w.nextPush()["dataId"])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got := make(chan error, 1)
	go func() { var p payload; got <- w.stream.RecvMsg(&p) }()
	select {
	case err := <-got:
		t.Fatalf("a push after %d re-pushes (err %v)", maxResyncs, err)
	case <-ctx.Done():
	}
}

// A listener that reads the change, or listens with its new MD5, is
// in sync: nothing is left to re-push.
func TestWireReadChangeIsNotPushedAgain(t *testing.T) {
	s := newTestServer(t, withResync(time.Hour), WithListenHints(false))
	w := dialConfigConn(t, s, "")
	k := newConfigKey("", "G", "d")
	waiting := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			if _, ok := c.unsynced[k]; ok {
				return true
			}
		}
		return false
	}
	w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"d","group":"G","tenant":"","md5":""}]}`, nil)
	s.SetConfig("", "G", "d", "v1")
	require.True(t, waiting())
	w.call("ConfigQueryRequest", `{"dataId":"d","group":"G","tenant":""}`, nil)
	require.False(t, waiting(), "read")

	s.SetConfig("", "G", "d", "v2")
	require.True(t, waiting())
	w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"d","group":"G","tenant":"","md5":"`+md5Hex("v1")+`"}]}`, nil)
	require.True(t, waiting(), "a listen with the old MD5 is not in sync")
	w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"d","group":"G","tenant":"","md5":"`+md5Hex("v2")+`"}]}`, nil)
	require.False(t, waiting(), "listened with the new MD5")
}

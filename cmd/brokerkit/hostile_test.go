package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hostile is what a broken or hostile client sends before it authenticates:
// a header announcing far more than it will send, then silence.
var hostile = map[string]func() []byte{
	"garbage": func() []byte { b := make([]byte, 4096); rand.Read(b); return b },
	// Kafka and Pulsar frames start with a 4-byte size: announce 100 MiB.
	"size-prefix": func() []byte { return binary.BigEndian.AppendUint32(nil, 100<<20) },
	// MQTT CONNECT with a 256 MiB remaining length.
	"mqtt-connect": func() []byte { return []byte{0x10, 0xff, 0xff, 0xff, 0x7f, 0, 4, 'M', 'Q', 'T', 'T', 5} },
	// HTTP with a 1 GB body that never comes.
	"http-body": func() []byte {
		return []byte("POST /nacos/v1/cs/configs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nabc")
	},
}

// Issue 14: no unauthenticated client can take `brokerkit up` down. Every
// listener gets every hostile opening on many connections at once; the heap
// must stay bounded and every backend must keep serving a normal client.
func TestUpSurvivesHostileClients(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile-client soak: skipped with -short")
	}
	out, stop := startUp(t, "--kafka-port", "0", "--mqtt-port", "0", "--pulsar-port", "0",
		"--pulsar-admin-port", "0", "--nacos-port", "0", "--user", "alice:secret", "--pulsar-token", "tok")
	setExports(t, out.Exports)
	t.Setenv("BROKERKIT_STRICT", "1")

	var targets []string
	for _, b := range out.Backends {
		for _, a := range b.Addrs {
			if u, err := url.Parse(a); err == nil && u.Host != "" {
				a = u.Host
			}
			targets = append(targets, a)
		}
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	const perKind = 8
	var conns []net.Conn
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, addr := range targets {
		for _, payload := range hostile {
			for range perKind {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.DialTimeout("tcp", addr, 5*time.Second)
					if err != nil {
						return // a full accept queue is a fair answer
					}
					c.Write(payload())
					mu.Lock()
					conns = append(conns, c)
					mu.Unlock()
				}()
			}
		}
	}
	wg.Wait()
	t.Logf("%d hostile connections open on %d listeners", len(conns), len(targets))

	// While they are held open, every backend serves a normal client.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	useEveryBackend(t, ctx, false)

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap in use grew %d MiB with the hostile connections open", grew>>20)
	require.Less(t, grew, int64(256<<20), "hostile clients made the fakes allocate what they announced")

	for _, c := range conns {
		c.Close()
	}
	require.Equal(t, 0, stop(), "up still stops cleanly")
	// net/http answers a malformed request, then lingers 500 ms before it
	// closes (closeWriteAndWait); let those goroutines finish.
	require.Eventually(t, func() bool {
		buf := make([]byte, 1<<20)
		return !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "closeWriteAndWait")
	}, 10*time.Second, 20*time.Millisecond)
}

package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func consoleURL(out upOutput) string {
	for _, b := range out.Backends {
		if b.Name == "console" {
			return b.Addrs["url"]
		}
	}
	return ""
}

func TestUpServesConsoleBehindUser(t *testing.T) {
	out, stop := startUp(t, "--only", "mqtt", "--mqtt-port", "0", "--console-port", "0", "--user", "alice:secret")
	u := consoleURL(out)
	require.True(t, strings.HasPrefix(u, "http://127.0.0.1:"), "console URL %q", u)

	resp, err := http.Get(u + "mqtt")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	req, _ := http.NewRequest("GET", u+"mqtt", nil)
	req.SetBasicAuth("alice", "secret")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), "<h1>MQTT</h1>")
	require.Equal(t, 0, stop())
}

func TestUpNoConsole(t *testing.T) {
	out, stop := startUp(t, "--only", "mqtt", "--mqtt-port", "0", "--no-console")
	require.Empty(t, consoleURL(out))
	require.Equal(t, 0, stop())
}

// TestUpConsoleDefaultPort needs port 8000: run it in a network namespace
// of its own (unshare -n) like the other well-known-port tests.
func TestUpConsoleDefaultPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:8000")
	if err != nil {
		t.Skipf("port 8000 is taken here (run under unshare -n): %v", err)
	}
	ln.Close()
	out, stop := startUp(t, "--only", "mqtt", "--mqtt-port", "0")
	u := consoleURL(out)
	require.Equal(t, "http://127.0.0.1:8000/", u)
	resp, err := http.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 0, stop())
}

package main

import (
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUpStartsEveryBackend runs all four fakes on free ports and checks each
// listener answers, and that the HTTP front ends speak their protocol.
func TestUpStartsEveryBackend(t *testing.T) {
	out, stop := startUp(t, "--kafka-port", "0", "--mqtt-port", "0", "--pulsar-port", "0",
		"--pulsar-admin-port", "0", "--nacos-port", "0")
	names := map[string]map[string]string{}
	for _, b := range out.Backends {
		names[b.Name] = b.Addrs
	}
	require.Len(t, names, 5) // the four fakes and the console
	for name, addrs := range names {
		for role, a := range addrs {
			host := a
			if u, err := url.Parse(a); err == nil && u.Host != "" {
				host = u.Host
			}
			c, err := net.DialTimeout("tcp", host, 2*time.Second)
			require.NoError(t, err, "%s %s", name, role)
			c.Close()
		}
	}
	resp, err := http.Get(names["pulsar"]["admin"] + "/admin/v2/tenants")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Get("http://" + names["nacos"]["http"] + "/nacos/v1/cs/configs?dataId=missing&group=DEFAULT_GROUP")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "Nacos answers a missing config with 404")
	require.Equal(t, 0, stop())
}

package nacosfake_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

type httpResult struct {
	code   int
	body   string
	header http.Header
}

func do(t *testing.T, method, u string, form url.Values, hdr map[string]string) httpResult {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return httpResult{resp.StatusCode, string(b), resp.Header}
}

func TestHTTPConfigErrorsAndHeaders(t *testing.T) {
	srv := newServer(t)
	base := srv.URL() + "/v1/cs/configs"
	r := do(t, "GET", base+"?dataId=nope&group=G", nil, nil)
	require.Equal(t, 404, r.code)
	require.Equal(t, "config data not exist\n", r.body)

	r = do(t, "POST", base, url.Values{"dataId": {"a.json"}, "group": {"G"}, "content": {`{"x":1}`}, "type": {"json"}}, nil)
	require.Equal(t, 200, r.code)
	require.Equal(t, "true", r.body)
	r = do(t, "GET", base+"?dataId=a.json&group=G", nil, nil)
	require.Equal(t, 200, r.code)
	require.Equal(t, `{"x":1}`, r.body)
	require.Equal(t, "json", r.header.Get("Config-Type"))
	c, _ := srv.GetConfig("", "G", "a.json")
	require.Equal(t, c.MD5, r.header.Get("Content-MD5"))

	// Validation and CAS failures.
	r = do(t, "POST", base, url.Values{"dataId": {"bad id!"}, "group": {"G"}, "content": {"x"}}, nil)
	require.Equal(t, 400, r.code)
	require.Contains(t, r.body, "invalid dataId")
	r = do(t, "POST", base, url.Values{"dataId": {"a"}, "group": {"G"}, "content": {"  "}}, nil)
	require.Equal(t, 400, r.code)
	r = do(t, "POST", base, url.Values{"dataId": {"a.json"}, "group": {"G"}, "content": {"y"}}, map[string]string{"casMd5": "stale"})
	require.Equal(t, 500, r.code)
	r = do(t, "DELETE", base+"?dataId=never&group=G", nil, nil)
	require.Equal(t, "true", r.body)

	// Search.
	r = do(t, "GET", base+"?search=blur&dataId=a*&group=&pageNo=1&pageSize=10", nil, nil)
	require.Equal(t, 200, r.code)
	var page struct {
		TotalCount int `json:"totalCount"`
		PageItems  []struct {
			DataID string `json:"dataId"`
		} `json:"pageItems"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &page))
	require.Equal(t, 1, page.TotalCount)
	require.Equal(t, "a.json", page.PageItems[0].DataID)
}

func TestHTTPOversizedContentRejected(t *testing.T) {
	srv := newServer(t, nacosfake.WithMaxContentSize(1024))
	r := do(t, "POST", srv.URL()+"/v1/cs/configs", url.Values{"dataId": {"big"}, "group": {"G"}, "content": {strings.Repeat("x", 1025)}}, nil)
	require.Equal(t, 400, r.code)
	require.Contains(t, r.body, "over 1024")
	require.Empty(t, srv.Configs())
}

func TestHTTPLongPolling(t *testing.T) {
	srv := newServer(t)
	u := srv.URL() + "/v1/cs/configs/listener"
	srv.SetConfig("", "G", "k", "v1")
	c, _ := srv.GetConfig("", "G", "k")

	// Stale md5: answered at once with the URL-encoded changed key.
	r := do(t, "POST", u, url.Values{"Listening-Configs": {"k\x02G\x02stale\x01"}}, map[string]string{"Long-Pulling-Timeout": "30000"})
	require.Equal(t, 200, r.code)
	require.Equal(t, url.QueryEscape("k\x02G\x01"), r.body)

	// Up to date with a tenant field: held until the config changes.
	done := make(chan httpResult, 1)
	go func() {
		done <- do(t, "POST", u, url.Values{"Listening-Configs": {"k\x02G\x02" + c.MD5 + "\x02public\x01"}}, map[string]string{"Long-Pulling-Timeout": "30000"})
	}()
	require.Eventually(t, func() bool { return srv.Pollers() == 1 }, 5*time.Second, 5*time.Millisecond)
	srv.SetConfig("", "G", "k", "v2")
	r = <-done
	require.Equal(t, url.QueryEscape("k\x02G\x02public\x01"), r.body)

	// No-Hangup with nothing changed: empty at once.
	c, _ = srv.GetConfig("", "G", "k")
	r = do(t, "POST", u, url.Values{"Listening-Configs": {"k\x02G\x02" + c.MD5 + "\x01"}},
		map[string]string{"Long-Pulling-Timeout": "30000", "Long-Pulling-Timeout-No-Hangup": "true"})
	require.Equal(t, "", r.body)

	r = do(t, "POST", u, url.Values{"Listening-Configs": {"garbage"}}, nil)
	require.Equal(t, 400, r.code)
	require.Equal(t, "invalid probeModify", r.body)
}

func TestHTTPEphemeralInstanceExpiresWithoutBeats(t *testing.T) {
	clk, withClock := manualClock()
	srv := newServer(t, withClock)
	base := srv.URL() + "/v1/ns/instance"
	r := do(t, "POST", base, url.Values{"serviceName": {"G1@@beat"}, "ip": {"10.0.0.1"}, "port": {"80"},
		"metadata": {"a=1,b=2"}, "weight": {"0.5"}, "clusterName": {"c1"}}, nil)
	require.Equal(t, "ok", r.body)
	insts := srv.Instances("", "G1", "beat")
	require.Len(t, insts, 1)
	require.Equal(t, map[string]string{"a": "1", "b": "2"}, insts[0].Metadata)
	require.Equal(t, "10.0.0.1#80#c1#G1@@beat", insts[0].InstanceID)

	advance(t, clk, 10*time.Second)
	require.True(t, srv.Instances("", "G1", "beat")[0].Healthy)
	advance(t, clk, 6*time.Second)
	require.False(t, srv.Instances("", "G1", "beat")[0].Healthy)

	// healthyOnly list hides it; a beat revives it.
	r = do(t, "GET", srv.URL()+"/v1/ns/instance/list?serviceName=beat&groupName=G1&healthyOnly=true", nil, nil)
	var info struct {
		Name  string           `json:"name"`
		Hosts []map[string]any `json:"hosts"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &info))
	require.Equal(t, "G1@@beat", info.Name)
	require.Empty(t, info.Hosts)
	r = do(t, "PUT", srv.URL()+"/v1/ns/instance/beat", url.Values{"serviceName": {"G1@@beat"},
		"beat": {`{"ip":"10.0.0.1","port":80,"serviceName":"G1@@beat","cluster":"c1"}`}}, nil)
	require.JSONEq(t, `{"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}`, r.body)
	require.True(t, srv.Instances("", "G1", "beat")[0].Healthy)

	advance(t, clk, 31*time.Second)
	require.Empty(t, srv.Instances("", "G1", "beat"))

	// A light beat for an unknown instance reports 20404; a full beat re-registers.
	r = do(t, "PUT", srv.URL()+"/v1/ns/instance/beat?serviceName=G1@@beat&ip=10.0.0.1&port=80", nil, nil)
	require.Contains(t, r.body, `"code":20404`)
	r = do(t, "PUT", srv.URL()+"/v1/ns/instance/beat", url.Values{"serviceName": {"G1@@beat"},
		"beat": {`{"ip":"10.0.0.1","port":80,"serviceName":"G1@@beat","cluster":"c1"}`}}, nil)
	require.Contains(t, r.body, `"code":10200`)
	require.Len(t, srv.Instances("", "G1", "beat"), 1)
}

func TestHTTPInstanceGetUpdateAndPersistent(t *testing.T) {
	clk, withClock := manualClock()
	srv := newServer(t, withClock)
	base := srv.URL() + "/v1/ns/instance"
	r := do(t, "POST", base, url.Values{"serviceName": {"db"}, "ip": {"10.0.0.5"}, "port": {"5432"}, "ephemeral": {"false"},
		"metadata": {`{"role":"primary"}`}}, nil)
	require.Equal(t, "ok", r.body)
	r = do(t, "PUT", base, url.Values{"serviceName": {"db"}, "ip": {"10.0.0.5"}, "port": {"5432"}, "ephemeral": {"false"},
		"weight": {"7"}, "metadata": {`{"role":"replica"}`}}, nil)
	require.Equal(t, "ok", r.body)
	r = do(t, "GET", base+"?serviceName=db&ip=10.0.0.5&port=5432", nil, nil)
	require.Equal(t, 200, r.code)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &got))
	require.Equal(t, "DEFAULT_GROUP@@db", got["service"])
	require.Equal(t, 7.0, got["weight"])
	require.Equal(t, map[string]any{"role": "replica"}, got["metadata"])

	// Persistent instances never expire.
	advance(t, clk, time.Hour)
	require.Len(t, srv.Instances("", "", "db"), 1)

	// Ephemeral into a persistent service is refused, as in Nacos.
	r = do(t, "POST", base, url.Values{"serviceName": {"db"}, "ip": {"10.0.0.6"}, "port": {"5432"}}, nil)
	require.Equal(t, 400, r.code)
	require.Contains(t, r.body, "persistent service")

	r = do(t, "GET", base+"?serviceName=db&ip=10.9.9.9&port=1", nil, nil)
	require.Equal(t, 404, r.code)
	r = do(t, "DELETE", base+"?serviceName=db&ip=10.0.0.5&port=5432&ephemeral=false", nil, nil)
	require.Equal(t, "ok", r.body)
	require.Empty(t, srv.Instances("", "", "db"))

	r = do(t, "GET", srv.URL()+"/v1/ns/service/list?pageNo=1&pageSize=10", nil, nil)
	require.JSONEq(t, `{"count":0,"doms":[]}`, r.body)
	r = do(t, "GET", srv.URL()+"/v1/ns/operator/metrics", nil, nil)
	require.Contains(t, r.body, `"status":"UP"`)
	r = do(t, "GET", srv.URL()+"/v1/ns/nothing", nil, nil)
	require.Equal(t, 501, r.code) // naming's DistroFilter: no such api
}

func TestHTTPPatchAndReset(t *testing.T) {
	srv := newServer(t)
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "patch", IP: "10.0.0.1", Port: 1, Weight: 1, Healthy: true, Enabled: true, Ephemeral: true}))
	r := do(t, "PATCH", srv.URL()+"/v1/ns/instance", url.Values{"serviceName": {"patch"}, "ip": {"10.0.0.1"}, "port": {"1"}, "weight": {"9"}, "enabled": {"false"}}, nil)
	require.Equal(t, "ok", r.body)
	in := srv.Instances("", "", "patch")[0]
	require.Equal(t, 9.0, in.Weight)
	require.False(t, in.Enabled)
	require.True(t, in.Healthy)
	r = do(t, "PATCH", srv.URL()+"/v1/ns/instance", url.Values{"serviceName": {"patch"}, "ip": {"10.9.9.9"}, "port": {"1"}}, nil)
	require.Equal(t, 404, r.code)

	srv.SetConfig("", "G", "k", "v")
	_, err := srv.FailNext(nacosfake.OpHTTPGetConfig, "", -1, 500)
	require.NoError(t, err)
	srv.Reset()
	require.Empty(t, srv.Configs())
	require.Empty(t, srv.Services())
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=k&group=G", nil, nil)
	require.Equal(t, 404, r.code)
}

func TestHTTPServiceEndpointsAndContextPath(t *testing.T) {
	srv := newServer(t, nacosfake.WithContextPath("/"))
	base := srv.URL() + "/v1/ns/service"
	require.NotContains(t, base, "/nacos")
	r := do(t, "POST", base, url.Values{"serviceName": {"svc"}, "groupName": {"G"}, "metadata": {"team=core"}, "protectThreshold": {"0.5"}}, nil)
	require.Equal(t, "ok", r.body)
	r = do(t, "POST", base, url.Values{"serviceName": {"svc"}, "groupName": {"G"}}, nil)
	require.Equal(t, 400, r.code)
	r = do(t, "GET", base+"?serviceName=svc&groupName=G", nil, nil)
	require.Equal(t, 200, r.code)
	var detail map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &detail))
	require.Equal(t, map[string]any{"team": "core"}, detail["metadata"])
	require.Equal(t, 0.5, detail["protectThreshold"])

	// An explicitly created empty service is listed and survives GC.
	r = do(t, "GET", srv.URL()+"/v1/ns/service/list?pageNo=1&pageSize=10&groupName=G", nil, nil)
	require.JSONEq(t, `{"count":1,"doms":["svc"]}`, r.body)

	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Group: "G", Service: "svc", IP: "10.0.0.1", Port: 1, Healthy: true, Enabled: true, Ephemeral: true}))
	r = do(t, "DELETE", base+"?serviceName=svc&groupName=G", nil, nil)
	require.Equal(t, 400, r.code)
	srv.DeregisterInstance("", "G", "svc", "10.0.0.1", 1, true)
	r = do(t, "DELETE", base+"?serviceName=svc&groupName=G", nil, nil)
	require.Equal(t, "ok", r.body)
	require.Empty(t, srv.Services())
	r = do(t, "GET", srv.URL()+"/nacos/v1/cs/configs?dataId=a&group=G", nil, nil)
	require.Equal(t, 404, r.code)
	require.Contains(t, r.body, "Not Found")
}

func TestHTTPProtectionThreshold(t *testing.T) {
	srv := newServer(t)
	r := do(t, "POST", srv.URL()+"/v1/ns/service", url.Values{"serviceName": {"prot"}, "protectThreshold": {"0.6"}}, nil)
	require.Equal(t, "ok", r.body)
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "prot", IP: "10.0.0.1", Port: 1, Healthy: true, Enabled: true, Ephemeral: true}))
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "prot", IP: "10.0.0.2", Port: 1, Healthy: false, Enabled: true, Ephemeral: true}))
	r = do(t, "GET", srv.URL()+"/v1/ns/instance/list?serviceName=prot&healthyOnly=true", nil, nil)
	var info struct {
		Hosts   []struct{ Healthy bool } `json:"hosts"`
		Reached bool                     `json:"reachProtectionThreshold"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &info))
	require.True(t, info.Reached) // 1/2 healthy <= 0.6: everything served as healthy
	require.Len(t, info.Hosts, 2)
	require.True(t, info.Hosts[1].Healthy)
}

func TestHTTPUDPPushToListClients(t *testing.T) {
	clk, withClock := manualClock()
	srv := newServer(t, withClock)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer pc.Close()
	port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	r := do(t, "GET", srv.URL()+"/v1/ns/instance/list?serviceName=udp&clientIP=127.0.0.1&udpPort="+port, nil, nil)
	require.Equal(t, 200, r.code)
	require.Equal(t, 1, srv.UDPSubscribers("", "", "udp"))

	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "udp", IP: "10.0.0.1", Port: 1, Healthy: true, Enabled: true, Ephemeral: true}))
	require.NoError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 65536)
	n, _, err := pc.ReadFromUDP(buf)
	require.NoError(t, err)
	var push struct {
		Type        string `json:"type"`
		Data        string `json:"data"`
		LastRefTime int64  `json:"lastRefTime"`
	}
	require.NoError(t, json.Unmarshal(buf[:n], &push))
	require.Equal(t, "dom", push.Type)
	require.Contains(t, push.Data, `"name":"DEFAULT_GROUP@@udp"`)
	require.Contains(t, push.Data, `"ip":"10.0.0.1"`)
	require.NotContains(t, push.Data, `"dom"`)
	require.Positive(t, push.LastRefTime)

	// Subscribers that stop polling expire.
	advance(t, clk, 31*time.Second)
	require.Equal(t, 0, srv.UDPSubscribers("", "", "udp"))
}

func TestHTTPConsoleNamespaces(t *testing.T) {
	dir := t.TempDir()
	srv := newServer(t, nacosfake.WithDataDir(dir))
	base := srv.URL() + "/v1/console/namespaces"
	r := do(t, "POST", base, url.Values{"customNamespaceId": {"dev"}, "namespaceName": {"Dev"}, "namespaceDesc": {"for devs"}}, nil)
	require.Equal(t, "true", strings.TrimSpace(r.body))
	r = do(t, "POST", base, url.Values{"customNamespaceId": {"dev"}, "namespaceName": {"Dev"}}, nil)
	require.Equal(t, "false", strings.TrimSpace(r.body), "duplicate id")
	r = do(t, "GET", base+"?checkNamespaceIdExist=true&customNamespaceId=dev", nil, nil)
	require.Equal(t, "true", strings.TrimSpace(r.body))
	srv.SetConfig("dev", "G", "k", "v")
	r = do(t, "GET", base, nil, nil)
	var list struct {
		Code int `json:"code"`
		Data []struct {
			Namespace   string `json:"namespace"`
			ShowName    string `json:"namespaceShowName"`
			ConfigCount int    `json:"configCount"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &list))
	require.Equal(t, 200, list.Code)
	require.Len(t, list.Data, 2)
	require.Equal(t, "public", list.Data[0].ShowName)
	require.Equal(t, "dev", list.Data[1].Namespace)
	require.Equal(t, 1, list.Data[1].ConfigCount)
	require.NoError(t, srv.Close())

	again := newServer(t, nacosfake.WithDataDir(dir))
	require.Equal(t, []nacosfake.Namespace{{ID: "dev", Name: "Dev", Desc: "for devs"}}, again.Namespaces())
	r = do(t, "DELETE", again.URL()+"/v1/console/namespaces?namespaceId=dev", nil, nil)
	require.Equal(t, "true", strings.TrimSpace(r.body))
	require.Empty(t, again.Namespaces())
}

// Beat replies carry the clientBeatInterval switch, the period v1 SDKs beat at.
func TestHTTPBeatReplyHasClientBeatInterval(t *testing.T) {
	for _, tc := range []struct {
		opts []nacosfake.Option
		want float64
	}{{nil, 5000}, {[]nacosfake.Option{nacosfake.WithClientBeatInterval(200 * time.Millisecond)}, 200}} {
		srv := newServer(t, tc.opts...)
		beat := `{"ip":"10.0.0.9","port":80,"serviceName":"G@@b","cluster":"DEFAULT","weight":1}`
		r := do(t, "PUT", srv.URL()+"/v1/ns/instance/beat", url.Values{"serviceName": {"G@@b"}, "beat": {beat}}, nil)
		require.Equal(t, 200, r.code, r.body)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.body), &m))
		require.Equal(t, tc.want, m["clientBeatInterval"])
	}
}

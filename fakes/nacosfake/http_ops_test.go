package nacosfake_test

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

// fixedNow is the server clock of these tests, so bodies with timestamps
// compare exactly.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)

const fixedStamp = "2026-01-02T03:04:05.678+00:00"

// authModes runs a test against a server without auth and one with a user,
// whose cases then carry a token.
func authModes(t *testing.T, run func(t *testing.T, srv *nacosfake.Server, hdr map[string]string)) {
	for _, auth := range []bool{false, true} {
		t.Run("auth="+strconv.FormatBool(auth), func(t *testing.T) {
			opts := []nacosfake.Option{nacosfake.WithClock(clock.NewManual(fixedNow))}
			var hdr map[string]string
			if auth {
				opts = append(opts, nacosfake.WithUser("nacos", "pw"))
			}
			srv := newServer(t, opts...)
			if auth {
				hdr = map[string]string{"accessToken": srv.Token()}
			}
			run(t, srv, hdr)
		})
	}
}

// runJSONCases is runHTTPCases comparing JSON bodies as JSON; every case
// gets hdr.
func runJSONCases(t *testing.T, srv *nacosfake.Server, hdr map[string]string, cases []httpCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			for k, v := range hdr {
				h[k] = v
			}
			for k, v := range tc.hdr {
				h[k] = v
			}
			r := do(t, tc.method, srv.URL()+tc.path, tc.form, h)
			require.Equal(t, tc.wantCode, r.code, r.body)
			switch {
			case tc.wantBody == "":
			case strings.HasPrefix(tc.wantBody, "{") || strings.HasPrefix(tc.wantBody, "["):
				require.JSONEq(t, tc.wantBody, r.body)
			default:
				require.Equal(t, tc.wantBody, r.body)
			}
		})
	}
}

func TestHTTPErrorBodies(t *testing.T) {
	srv := newServer(t, nacosfake.WithClock(clock.NewManual(fixedNow)))
	spring := func(status int, text, path string) string {
		return `{"timestamp":"` + fixedStamp + `","status":` + strconv.Itoa(status) + `,"error":"` + text + `","path":"` + path + `"}` + "\n"
	}
	runHTTPCases(t, srv, []httpCase{
		{"unknown path", "GET", "/nope", nil, nil, 404, spring(404, "Not Found", "/nacos/nope")},
		{"unknown v2 path", "GET", "/v2/cs/nope", nil, nil, 404, spring(404, "Not Found", "/nacos/v2/cs/nope")},
		{"naming: no such api", "GET", "/v1/ns/operator/servers", nil, nil, 501, spring(501, "Not Implemented", "/nacos/v1/ns/operator/servers")},
		{"naming: another method", "POST", "/v1/ns/operator/switches", nil, nil, 501, spring(501, "Not Implemented", "/nacos/v1/ns/operator/switches")},
		{"config: another method", "PUT", "/v1/cs/configs", nil, nil, 500, "caused: Request method &#39;PUT&#39; not supported;"},
		{"v2: another method", "PUT", "/v2/cs/config", nil, nil, 500,
			`{"code":500,"message":"caused: Request method &#39;PUT&#39; not supported;","data":null}` + "\n"},
		{"console: another method", "PATCH", "/v2/console/namespace", nil, nil, 500, ""},
	})
	r := do(t, "GET", srv.URL()+"/nope", nil, map[string]string{"Accept": "text/html,*/*"})
	require.Equal(t, 404, r.code)
	require.Contains(t, r.body, "<h1>Whitelabel Error Page</h1>")
	require.Contains(t, r.body, "<div id='created'>Fri Jan 02 03:04:05 UTC 2026</div><div>There was an unexpected error (type=Not Found, status=404).</div>")

	// AuthFilter refuses with sendError: the message is not shown.
	authed := newServer(t, nacosfake.WithClock(clock.NewManual(fixedNow)), nacosfake.WithUser("nacos", "pw"))
	runHTTPCases(t, authed, []httpCase{
		{"no token", "GET", "/v1/cs/configs?dataId=a&group=G", nil, nil, 403, spring(403, "Forbidden", "/nacos/v1/cs/configs")},
		{"v2 no token", "GET", "/v2/cs/history/list?dataId=a&group=G", nil, nil, 403, spring(403, "Forbidden", "/nacos/v2/cs/history/list")},
		{"bad login stays plain", "POST", "/v1/auth/login", url.Values{"username": {"x"}, "password": {"y"}}, nil, 403, "user not found!"},
	})
}

func TestHTTPV2History(t *testing.T) {
	authModes(t, func(t *testing.T, srv *nacosfake.Server, hdr map[string]string) {
		// I(v1), U(v1 before v2), U(v2 before v3), D(v3), I(v4).
		for _, c := range []struct{ method, path, content string }{
			{"POST", "/v1/cs/configs", "v1"}, {"POST", "/v1/cs/configs", "v2"}, {"POST", "/v2/cs/config", "v3"},
			{"DELETE", "/v1/cs/configs", ""}, {"POST", "/v1/cs/configs", "v4"},
		} {
			form := url.Values{"dataId": {"h"}, "group": {"G"}}
			path := c.path
			if c.content != "" {
				form.Set("content", c.content)
			} else {
				path += "?" + form.Encode()
				form = nil
			}
			require.Equal(t, 200, do(t, c.method, srv.URL()+path, form, hdr).code)
		}
		srv.SetConfig("dev", "G", "other", "x")
		user := "null"
		if hdr != nil {
			user = `"nacos"`
		}
		row := func(nid int, op string, content string) string {
			md5, cont, key := "null", "null", "null"
			if content != "" {
				md5, cont, key = `"`+md5Hex(content)+`"`, `"`+content+`"`, `""`
			}
			ext, rowUser := `{\"type\":\"text\"}`, user
			if op == "I" && user != "null" {
				ext = `{\"src_user\":\"nacos\",\"type\":\"text\"}`
			}
			if op == "D" {
				rowUser = "null" // deletes record no caller here
			}
			return `{"id":"` + strconv.Itoa(nid) + `","lastId":-1,"dataId":"h","group":"G","tenant":"","appName":"",` +
				`"md5":` + md5 + `,"content":` + cont + `,"srcIp":"` + map[bool]string{true: "", false: "127.0.0.1"}[op == "D"] + `","srcUser":` + rowUser + `,` +
				`"opType":"` + op + strings.Repeat(" ", 9) + `","publishType":"formal","grayName":"","extInfo":"` + ext + `",` +
				`"createdTime":"2010-05-05T00:00:00.000+00:00","lastModifiedTime":"` + fixedStamp + `","encryptedDataKey":` + key + `}`
		}
		ok := func(data string) string { return `{"code":0,"message":"success","data":` + data + `}` }
		all := do(t, "GET", srv.URL()+"/v1/cs/configs?show=all&dataId=h&group=G", nil, hdr)
		var info struct{ ID string }
		require.NoError(t, json.Unmarshal([]byte(all.body), &info))
		runJSONCases(t, srv, hdr, []httpCase{
			{"list", "GET", "/v2/cs/history/list?dataId=h&group=G", nil, nil, 200, ok(`{"totalCount":5,"pageNumber":1,"pagesAvailable":1,"pageItems":[` +
				row(5, "I", "") + `,` + row(4, "D", "") + `,` + row(3, "U", "") + `,` + row(2, "U", "") + `,` + row(1, "I", "") + `]}`)},
			{"list page 2", "GET", "/v2/cs/history/list?dataId=h&group=G&namespaceId=public&pageNo=2&pageSize=2", nil, nil, 200,
				ok(`{"totalCount":5,"pageNumber":2,"pagesAvailable":3,"pageItems":[` + row(3, "U", "") + `,` + row(2, "U", "") + `]}`)},
			{"list past the end", "GET", "/v2/cs/history/list?dataId=h&group=G&pageNo=4&pageSize=2", nil, nil, 200,
				ok(`{"totalCount":5,"pageNumber":4,"pagesAvailable":3,"pageItems":[]}`)},
			{"list of another namespace", "GET", "/v2/cs/history/list?dataId=h&group=G&namespaceId=dev", nil, nil, 200,
				ok(`{"totalCount":0,"pageNumber":1,"pagesAvailable":0,"pageItems":[]}`)},
			{"list with page 0", "GET", "/v2/cs/history/list?dataId=h&group=G&pageNo=0", nil, nil, 400,
				`{"code":20002,"message":"parameter validate error","data":"pageNo and pageSize must be greater than zero"}`},
			{"list without group", "GET", "/v2/cs/history/list?dataId=h", nil, nil, 400,
				`{"code":10000,"message":"parameter missing","data":"Required request parameter 'group' for method parameter type String is not present"}`},
			{"one update: the content before it", "GET", "/v2/cs/history?dataId=h&group=G&nid=2", nil, nil, 200, ok(row(2, "U", "v1"))},
			{"one insert: its content", "GET", "/v2/cs/history?dataId=h&group=G&nid=1&namespaceId=public", nil, nil, 200, ok(row(1, "I", "v1"))},
			{"the delete: the content deleted", "GET", "/v2/cs/history?dataId=h&group=G&nid=4", nil, nil, 200, ok(row(4, "D", "v3"))},
			{"another config's name", "GET", "/v2/cs/history?dataId=h&group=X&nid=2", nil, nil, 403,
				`{"code":10001,"message":"access denied","data":"Please check dataId, group or namespaceId."}`},
			{"unknown nid", "GET", "/v2/cs/history?dataId=h&group=G&nid=99", nil, nil, 200, ok("null")},
			{"nid not a number", "GET", "/v2/cs/history?dataId=h&group=G&nid=x", nil, nil, 500,
				`{"code":30000,"message":"Failed to convert value of type 'java.lang.String' to required type 'java.lang.Long'; nested exception is java.lang.NumberFormatException: For input string: \"x\"","data":null}`},
			{"empty nid", "GET", "/v2/cs/history?dataId=h&group=G&nid=", nil, nil, 400,
				`{"code":10000,"message":"parameter missing","data":"Required request parameter 'nid' for method parameter type Long is present but converted to null"}`},
			{"pageNo not a number", "GET", "/v2/cs/history/list?dataId=h&group=G&pageNo=x", nil, nil, 500,
				`{"code":30000,"message":"Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; nested exception is java.lang.NumberFormatException: For input string: \"x\"","data":null}`},
			{"without nid", "GET", "/v2/cs/history?dataId=h&group=G", nil, nil, 400,
				`{"code":10000,"message":"parameter missing","data":"Required request parameter 'nid' for method parameter type Long is not present"}`},
			// Inserts get a fresh history id, so the config id finds the delete.
			{"previous", "GET", "/v2/cs/history/previous?dataId=h&group=G&id=" + info.ID, nil, nil, 200, ok(row(4, "D", "v3"))},
			{"previous of an unknown id", "GET", "/v2/cs/history/previous?dataId=h&group=G&id=1234", nil, nil, 200, ok("null")},
			{"configs of public", "GET", "/v2/cs/history/configs?namespaceId=", nil, nil, 200, ok(`[{"id":"0","dataId":"h","group":"G","content":null,"md5":null,` +
				`"encryptedDataKey":null,"tenant":"","appName":"","type":"text","lastModified":` + strconv.FormatInt(fixedNow.UnixMilli(), 10) + `}]`)},
			{"configs of dev", "GET", "/v2/cs/history/configs?namespaceId=dev", nil, nil, 200, ""},
			{"configs with a bad namespace", "GET", "/v2/cs/history/configs?namespaceId=a%20b", nil, nil, 400,
				`{"code":20002,"message":"parameter validate error","data":"invalid namespaceId"}`},
			{"configs without namespaceId", "GET", "/v2/cs/history/configs", nil, nil, 400,
				`{"code":10000,"message":"parameter missing","data":"Required request parameter 'namespaceId' for method parameter type String is not present"}`},
		})
	})
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestHTTPV2Namespace(t *testing.T) {
	authModes(t, func(t *testing.T, srv *nacosfake.Server, hdr map[string]string) {
		ok := func(data string) string { return `{"code":0,"message":"success","data":` + data + `}` }
		ns := func(id, name, desc string, typ int) string {
			return `{"namespace":"` + id + `","namespaceShowName":"` + name + `","namespaceDesc":"` + desc + `","quota":200,"configCount":0,"type":` + strconv.Itoa(typ) + `}`
		}
		public := ns("", "public", "Default Namespace", 0)
		illegal := func(msg string) string {
			return `{"code":22000,"message":"illegal namespace","data":"` + msg + `"}`
		}
		runJSONCases(t, srv, hdr, []httpCase{
			{"list", "GET", "/v2/console/namespace/list", nil, nil, 200, ok("[" + public + "]")},
			{"create", "POST", "/v2/console/namespace", url.Values{"namespaceId": {"dev"}, "namespaceName": {"Dev"}, "namespaceDesc": {"d"}}, nil, 200, ok("true")},
			{"create again", "POST", "/v2/console/namespace", url.Values{"namespaceId": {"dev"}, "namespaceName": {"Dev"}}, nil, 400, illegal("the namespaceId is existed, namespaceId: dev")},
			{"create a bad id", "POST", "/v2/console/namespace", url.Values{"namespaceId": {"a b"}, "namespaceName": {"x"}}, nil, 400, illegal("namespaceId [a b] mismatch the pattern")},
			{"create a bad name", "POST", "/v2/console/namespace", url.Values{"namespaceId": {"q"}, "namespaceName": {"a@b"}}, nil, 400, illegal("namespaceName [a@b] contains illegal char")},
			{"create without namespaceId", "POST", "/v2/console/namespace", url.Values{"namespaceName": {"x"}}, nil, 400,
				`{"code":10000,"message":"parameter missing","data":"required parameter 'namespaceId' is missing"}`},
			{"get", "GET", "/v2/console/namespace?namespaceId=dev", nil, nil, 200, ok(ns("dev", "Dev", "d", 2))},
			{"get the default", "GET", "/v2/console/namespace?namespaceId=", nil, nil, 200, ok(public)},
			{"get public by name: not a custom namespace", "GET", "/v2/console/namespace?namespaceId=public", nil, nil, 404,
				`{"code":22001,"message":"namespace not exist","data":"namespaceId [ public ] not exist"}`},
			{"update", "PUT", "/v2/console/namespace", url.Values{"namespaceId": {"dev"}, "namespaceName": {"Dev2"}, "namespaceDesc": {"e"}}, nil, 200, ok("true")},
			{"list after", "GET", "/v2/console/namespace/list", nil, nil, 200, ok("[" + public + "," + ns("dev", "Dev2", "e", 2) + "]")},
			{"v1 sees it", "GET", "/v1/console/namespaces?show=all&namespaceId=dev", nil, nil, 200, ""},
			{"delete", "DELETE", "/v2/console/namespace?namespaceId=dev", nil, nil, 200, ok("true")},
			{"gone", "GET", "/v2/console/namespace?namespaceId=dev", nil, nil, 404, ""},
			{"delete without namespaceId", "DELETE", "/v2/console/namespace", nil, nil, 400, ""},
		})
		// The list has no @Secured; the reads of one namespace do.
		require.Equal(t, 200, do(t, "GET", srv.URL()+"/v2/console/namespace/list", nil, nil).code)
		if hdr != nil {
			require.Equal(t, 403, do(t, "GET", srv.URL()+"/v2/console/namespace?namespaceId=", nil, nil).code)
			require.Equal(t, 403, do(t, "GET", srv.URL()+"/v2/core/cluster/node/self", nil, nil).code)
		}
		// A blank id becomes a random UUID.
		r := do(t, "POST", srv.URL()+"/v2/console/namespace", url.Values{"namespaceId": {""}, "namespaceName": {"gen"}}, hdr)
		require.Equal(t, 200, r.code, r.body)
		got := srv.Namespaces()
		require.Len(t, got, 1)
		require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, got[0].ID)
	})
}

func TestHTTPCluster(t *testing.T) {
	authModes(t, func(t *testing.T, srv *nacosfake.Server, hdr map[string]string) {
		addr := srv.Addr()
		member := `{"ip":"` + srv.Host() + `","port":` + strconv.Itoa(srv.HTTPPort()) + `,"state":"UP",` +
			`"extendInfo":{"raftPort":"` + strconv.Itoa(srv.HTTPPort()-1000) + `","readyToUpgrade":true,"supportGrayModel":true,"version":"2.5.1"},` +
			`"address":"` + addr + `","failAccessCnt":0,"abilities":{"remoteAbility":{"supportRemoteConnection":true,"grpcReportEnabled":true},` +
			`"configAbility":{"supportRemoteMetrics":false},"namingAbility":{"supportJraft":true}},"grpcReportEnabled":true}`
		runJSONCases(t, srv, hdr, []httpCase{
			{"v1 nodes", "GET", "/v1/core/cluster/nodes", nil, nil, 200, `{"code":200,"message":null,"data":[` + member + `]}`},
			{"v1 nodes by keyword", "GET", "/v1/core/cluster/nodes?keyword=" + srv.Host(), nil, nil, 200, `{"code":200,"message":null,"data":[` + member + `]}`},
			{"v1 nodes, other keyword", "GET", "/v1/core/cluster/nodes?keyword=10.255.", nil, nil, 200, `{"code":200,"message":null,"data":[]}`},
			{"v1 self", "GET", "/v1/core/cluster/self", nil, nil, 200, `{"code":200,"message":null,"data":` + member + `}`},
			{"v1 health", "GET", "/v1/core/cluster/health", nil, nil, 200, `{"code":200,"message":null,"data":"UP"}`},
			{"v2 self", "GET", "/v2/core/cluster/node/self", nil, nil, 200, `{"code":0,"message":"success","data":` + member + `}`},
			{"v2 list", "GET", "/v2/core/cluster/node/list", nil, nil, 200, `{"code":0,"message":"success","data":[` + member + `]}`},
			{"v2 list UP", "GET", "/v2/core/cluster/node/list?state=up&address=" + addr, nil, nil, 200, `{"code":0,"message":"success","data":[` + member + `]}`},
			{"v2 list DOWN", "GET", "/v2/core/cluster/node/list?state=DOWN", nil, nil, 200, `{"code":0,"message":"success","data":[]}`},
			{"v2 list bad state", "GET", "/v2/core/cluster/node/list?state=x", nil, nil, 400, `{"code":23000,"message":"illegal state","data":"Illegal state: x"}`},
			{"v2 health", "GET", "/v2/core/cluster/node/self/health", nil, nil, 200, `{"code":0,"message":"success","data":"UP"}`},
		})
	})
}

func TestHTTPSwitches(t *testing.T) {
	authModes(t, func(t *testing.T, srv *nacosfake.Server, hdr map[string]string) {
		get := func() map[string]any {
			r := do(t, "GET", srv.URL()+"/v1/ns/operator/switches", nil, nil) // the GET needs no token
			require.Equal(t, 200, r.code, r.body)
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.body), &m))
			return m
		}
		m := get()
		require.Equal(t, "00-00---000-NACOS_SWITCH_DOMAIN-000---00-00", m["name"])
		require.Equal(t, 0.7, m["distroThreshold"])
		require.Equal(t, "0.1.0", m["pushGoVersion"])
		require.Nil(t, m["masters"])
		require.Equal(t, 5000.0, m["clientBeatInterval"])
		require.Equal(t, 10000.0, m["defaultPushCacheMillis"])
		put := func(entry, value string) url.Values { return url.Values{"entry": {entry}, "value": {value}} }
		runJSONCases(t, srv, hdr, []httpCase{
			{"threshold", "PUT", "/v1/ns/operator/switches", put("distroThreshold", "0.5"), nil, 200, "ok"},
			{"threshold zero", "PUT", "/v1/ns/operator/switches", put("distroThreshold", "0"), nil, 400, "distroThreshold can not be zero or negative: 0"},
			{"threshold not a number", "PUT", "/v1/ns/operator/switches", put("distroThreshold", "x"), nil, 500, `caused: For input string: "x";`},
			{"push version", "PUT", "/v1/ns/operator/switches", put("pushVersion", "go:1.2.3"), nil, 200, "ok"},
			{"push version, bad client", "PUT", "/v1/ns/operator/switches", put("pushVersion", "rust:1.2.3"), nil, 400, "unsupported client type: rust"},
			{"push version, bad version", "PUT", "/v1/ns/operator/switches", put("pushVersion", "go:1"), nil, 400, `illegal version, must match: [0-9]+\.[0-9]+\.[0-9]+`},
			{"masters", "PUT", "/v1/ns/operator/switches", put("masters", "a,b"), nil, 200, "ok"},
			{"service sync too small", "PUT", "/v1/ns/operator/switches", put("serviceStatusSynchronizationPeriodMillis", "10"), nil, 400,
				"serviceStatusSynchronizationPeriodMillis is too small(<5000)"},
			{"unknown entry: nothing changes", "PUT", "/v1/ns/operator/switches", put("nope", "1"), nil, 200, "ok"},
			{"refused: the fake would not push less", "PUT", "/v1/ns/operator/switches", put("pushEnabled", "false"), nil, 400,
				"nacosfake: switch pushEnabled is not supported"},
			{"without value", "PUT", "/v1/ns/operator/switches", url.Values{"entry": {"masters"}}, nil, 400, "Parameter 'value' is missing"},
			{"servers left Nacos 2.2", "GET", "/v1/ns/operator/servers", nil, nil, 501, ""},
		})
		m = get()
		require.Equal(t, 0.5, m["distroThreshold"])
		require.Equal(t, "1.2.3", m["pushGoVersion"])
		require.Equal(t, []any{"a", "b"}, m["masters"])
		require.Equal(t, true, m["pushEnabled"])
		if hdr != nil {
			require.Equal(t, 403, do(t, "PUT", srv.URL()+"/v1/ns/operator/switches", put("masters", "c"), nil).code)
		}
	})
}

// With WithAccessKey, HTTP config requests need the Spas-* headers and
// naming requests the ak/data/signature parameters.
func TestHTTPSignatures(t *testing.T) {
	srv := newServer(t, nacosfake.WithAccessKey("ak", "sk"))
	srv.SetConfig("", "G", "s", "v")
	srv.SetConfig("dev", "G", "s", "d")
	sign := func(data string) string {
		mac := hmac.New(sha1.New, []byte("sk"))
		mac.Write([]byte(data))
		return base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	ts := "1700000000000"
	spas := func(resource string) map[string]string {
		return map[string]string{"Spas-AccessKey": "ak", "Timestamp": ts, "Spas-Signature": sign(resource + ts)}
	}
	naming := "ak=ak&data=" + url.QueryEscape(ts+"@@svc") + "&signature=" + url.QueryEscape(sign(ts+"@@svc"))
	runHTTPCases(t, srv, []httpCase{
		{"unsigned get", "GET", "/v1/cs/configs?dataId=s&group=G", nil, nil, 403, ""},
		{"signed get", "GET", "/v1/cs/configs?dataId=s&group=G", nil, spas("G+"), 200, "v"},
		{"signed with a tenant", "GET", "/v1/cs/configs?dataId=s&group=G&tenant=dev", nil, spas("dev+G+"), 200, "d"},
		{"signed for another group", "GET", "/v1/cs/configs?dataId=s&group=G", nil, spas("X+"), 403, ""},
		{"wrong access key", "GET", "/v1/cs/configs?dataId=s&group=G", nil, map[string]string{"Spas-AccessKey": "no", "Timestamp": ts, "Spas-Signature": sign("G+" + ts)}, 403, ""},
		{"v2 signed with namespaceId", "GET", "/v2/cs/config?dataId=s&group=G&namespaceId=dev", nil, spas("dev+G+"), 200, ""},
		{"unsigned naming", "GET", "/v1/ns/instance/list?serviceName=svc", nil, nil, 403, ""},
		{"signed naming", "GET", "/v1/ns/instance/list?serviceName=svc&" + naming, nil, nil, 200, ""},
		{"health needs none", "GET", "/v1/console/health/readiness", nil, nil, 200, "OK"},
	})
}

// Naming texts of Nacos 2.5.1: HttpRequestInstanceBuilder's weight range
// and ServiceOperatorV2Impl's missing-service messages.
func TestHTTPNamingMessages(t *testing.T) {
	srv := newServer(t)
	reg := func(weight string) url.Values {
		return url.Values{"serviceName": {"w"}, "ip": {"10.0.0.1"}, "port": {"1"}, "weight": {weight}}
	}
	runHTTPCases(t, srv, []httpCase{
		{"weight above the range", "POST", "/v1/ns/instance", reg("10001"), nil, 400, "instance format invalid: The weights range from 0.0 to 10000.0"},
		{"negative weight", "POST", "/v1/ns/instance", reg("-1"), nil, 400, "instance format invalid: The weights range from 0.0 to 10000.0"},
		{"weight at the top", "POST", "/v1/ns/instance", reg("10000"), nil, 200, "ok"},
		{"get a missing service", "GET", "/v1/ns/service?serviceName=nope", nil, nil, 400, "service not found, namespace: public, serviceName: DEFAULT_GROUP@@nope"},
		{"update a missing service", "PUT", "/v1/ns/service", url.Values{"serviceName": {"nope"}, "protectThreshold": {"0"}}, nil, 400, "service DEFAULT_GROUP@@nope not found!"},
		{"delete a missing service", "DELETE", "/v1/ns/service?serviceName=G@@nope", nil, nil, 400, "service G@@nope not found!"},
	})
	r := do(t, "GET", srv.URL()+"/v1/ns/instance/list?serviceName=w", nil, nil)
	require.Equal(t, 200, r.code)
	require.NotContains(t, r.body, `"dom"`) // a 2.x ServiceInfo
}

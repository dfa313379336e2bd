package nacosfake_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

// Each case is a deviation from Nacos 2.x found once (issue 11, items 1-6);
// the table keeps them from coming back.

type httpCase struct {
	name     string
	method   string
	path     string // under the context path, with its query
	form     url.Values
	hdr      map[string]string
	wantCode int
	wantBody string // exact, unless empty
}

func runHTTPCases(t *testing.T, srv *nacosfake.Server, cases []httpCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, srv.URL()+tc.path, tc.form, tc.hdr)
			require.Equal(t, tc.wantCode, r.code, r.body)
			if tc.wantBody != "" {
				require.Equal(t, tc.wantBody, r.body)
			}
		})
	}
}

// Required @RequestParams of ConfigController and WebUtils.required of the
// naming controllers answer 400 with Nacos's texts.
func TestHTTPRequiredParams(t *testing.T) {
	srv := newServer(t)
	srv.SetConfig("", "G", "kept", "v")
	runHTTPCases(t, srv, []httpCase{
		{"publish without group", "POST", "/v1/cs/configs", url.Values{"dataId": {"a"}, "content": {"x"}}, nil, 400, "Parameter 'group' is missing"},
		{"publish without dataId", "POST", "/v1/cs/configs", url.Values{"group": {"G"}, "content": {"x"}}, nil, 400, "Parameter 'dataId' is missing"},
		{"publish without content", "POST", "/v1/cs/configs", url.Values{"dataId": {"a"}, "group": {"G"}}, nil, 400, "Parameter 'content' is missing"},
		{"publish with an empty group", "POST", "/v1/cs/configs", url.Values{"dataId": {"a"}, "group": {""}, "content": {"x"}}, nil, 400, "invalid group : "},
		{"delete without group", "DELETE", "/v1/cs/configs?dataId=kept", nil, nil, 400, "Parameter 'group' is missing"},
		{"get without group", "GET", "/v1/cs/configs?dataId=kept", nil, nil, 400, "Parameter 'group' is missing"},
		{"get with a bad dataId", "GET", "/v1/cs/configs?dataId=a%20b&group=G", nil, nil, 400, "invalid dataId : a b"},
		{"search without pageSize", "GET", "/v1/cs/configs?search=accurate&dataId=&group=&pageNo=1", nil, nil, 400, "Parameter 'pageSize' is missing"},
		{"register without serviceName", "POST", "/v1/ns/instance", url.Values{"ip": {"1.1.1.1"}, "port": {"80"}}, nil, 400, "Param 'serviceName' is required."},
		{"register without ip", "POST", "/v1/ns/instance", url.Values{"serviceName": {"s"}, "port": {"80"}}, nil, 400, "Param 'ip' is required."},
		{"register without port", "POST", "/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}}, nil, 400, "Param 'port' is required."},
		{"register with a bad port", "POST", "/v1/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"x"}}, nil, 400, `For input string: "x"`},
		{"service list without pageNo", "GET", "/v1/ns/service/list?pageSize=10", nil, nil, 400, "Param 'pageNo' is required."},
	})
	_, ok := srv.GetConfig("", nacosfake.DefaultGroup, "a")
	require.False(t, ok, "nothing was published to DEFAULT_GROUP")
	_, ok = srv.GetConfig("", "G", "kept")
	require.True(t, ok, "nothing was deleted")
}

// Identity is read from headers as well as parameters; Authorization only
// counts in the Bearer form; console namespace reads need no token.
func TestHTTPAuthSources(t *testing.T) {
	srv := newServer(t, nacosfake.WithUser("nacos", "pw"))
	tok := srv.Token()
	get := "/v1/cs/configs?dataId=a&group=G" // 404 once past auth
	runHTTPCases(t, srv, []httpCase{
		{"no credentials", "GET", get, nil, nil, 403, ""},
		{"accessToken parameter", "GET", get + "&accessToken=" + tok, nil, nil, 404, ""},
		{"accessToken header", "GET", get, nil, map[string]string{"accessToken": tok}, 404, ""},
		{"Bearer Authorization", "GET", get, nil, map[string]string{"Authorization": "Bearer " + tok}, 404, ""},
		{"Authorization without Bearer", "GET", get, nil, map[string]string{"Authorization": tok}, 403, ""},
		{"username and password parameters", "GET", get + "&username=nacos&password=pw", nil, nil, 404, ""},
		{"username and password headers", "GET", get, nil, map[string]string{"username": "nacos", "password": "pw"}, 404, ""},
		{"wrong password header", "GET", get, nil, map[string]string{"username": "nacos", "password": "no"}, 403, ""},
		{"namespaces list without a token", "GET", "/v1/console/namespaces", nil, nil, 200, ""},
		{"namespace detail without a token", "GET", "/v1/console/namespaces?show=all&namespaceId=public", nil, nil, 200, ""},
		{"namespace create still needs one", "POST", "/v1/console/namespaces", url.Values{"namespaceName": {"n"}}, nil, 403, ""},
	})
}

// Search results carry string ids that do not move when other configs come
// and go; show=all answers ConfigAllInfo JSON.
func TestHTTPConfigIDsAndShowAll(t *testing.T) {
	srv := newServer(t)
	search := func() map[string]any {
		r := do(t, "GET", srv.URL()+"/v1/cs/configs?search=accurate&dataId=&group=G&pageNo=1&pageSize=10", nil, nil)
		require.Equal(t, 200, r.code, r.body)
		var page struct {
			PageItems []map[string]any `json:"pageItems"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &page))
		ids := map[string]any{}
		for _, it := range page.PageItems {
			ids[it["dataId"].(string)] = it["id"]
		}
		return ids
	}
	srv.SetConfig("", "G", "b", "1")
	srv.SetConfig("", "G", "c", "1")
	before := search()
	require.IsType(t, "", before["c"], "ids are JSON strings")
	srv.SetConfig("", "G", "a", "1") // sorts first
	srv.DeleteConfig("", "G", "b")
	srv.SetConfig("", "G", "c", "2")
	after := search()
	require.Equal(t, before["c"], after["c"])
	require.NotEqual(t, after["a"], after["c"])

	r := do(t, "GET", srv.URL()+"/v1/cs/configs?show=all&dataId=c&group=G", nil, nil)
	require.Equal(t, 200, r.code)
	var all map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &all), r.body)
	require.Equal(t, after["c"], all["id"])
	require.Equal(t, "2", all["content"])
	require.Equal(t, "c", all["dataId"])
	require.Contains(t, all, "modifyTime")
	require.Contains(t, all, "createTime")
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?show=all&dataId=nope&group=G", nil, nil)
	require.Equal(t, 200, r.code)
	require.Empty(t, r.body, "Nacos returns null for a missing config")
}

// Gray releases as Nacos serves them: a beta to the client IPs it lists,
// a tag release to clients asking with its tag, the formal config to
// everyone else; stop-beta and tag deletes remove them.
func TestGrayReleases(t *testing.T) {
	srv := newServer(t)
	srv.SetConfig("", "G", "g", "formal")
	other := map[string]string{"X-Forwarded-For": "10.9.9.9"}
	runHTTPCases(t, srv, []httpCase{
		{"beta publish", "POST", "/v1/cs/configs", url.Values{"dataId": {"g"}, "group": {"G"}, "content": {"beta"}}, map[string]string{"betaIps": "127.0.0.1,10.1.1.1"}, 200, "true"},
		{"beta IP reads the beta", "GET", "/v1/cs/configs?dataId=g&group=G", nil, nil, 200, "beta"},
		{"another IP reads the formal", "GET", "/v1/cs/configs?dataId=g&group=G", nil, other, 200, "formal"},
		{"query beta", "GET", "/v1/cs/configs?dataId=g&group=G&beta=true", nil, nil, 200, ""},
		{"tag publish", "POST", "/v1/cs/configs", url.Values{"dataId": {"g"}, "group": {"G"}, "content": {"tagged"}, "tag": {"t1"}}, nil, 200, "true"},
		{"tag read", "GET", "/v1/cs/configs?dataId=g&group=G&tag=t1", nil, other, 200, "tagged"},
		{"tag read by header", "GET", "/v1/cs/configs?dataId=g&group=G", nil, map[string]string{"X-Forwarded-For": "10.9.9.9", "Vipserver-Tag": "t1"}, 200, "tagged"},
		{"unknown tag", "GET", "/v1/cs/configs?dataId=g&group=G&tag=t2", nil, other, 404, "config data not exist\n"},
		{"tag delete", "DELETE", "/v1/cs/configs?dataId=g&group=G&tag=t1", nil, nil, 200, "true"},
		{"tag gone", "GET", "/v1/cs/configs?dataId=g&group=G&tag=t1", nil, other, 404, "config data not exist\n"},
		{"stop beta", "DELETE", "/v1/cs/configs?dataId=g&group=G&beta=true", nil, nil, 200, `{"code":200,"message":"stop beta ok","data":true}` + "\n"},
		{"beta IP reads the formal again", "GET", "/v1/cs/configs?dataId=g&group=G", nil, nil, 200, "formal"},
		{"no beta", "GET", "/v1/cs/configs?dataId=g&group=G&beta=true", nil, nil, 200, `{"code":200,"message":"query beta ok","data":null}` + "\n"},
	})
	c, _ := srv.GetConfig("", "G", "g")
	require.Equal(t, "formal", c.Content, "gray publishes leave the formal config alone")
	require.Empty(t, srv.Grays())
}

func TestGrayQueryBetaShape(t *testing.T) {
	srv := newServer(t)
	r := do(t, "POST", srv.URL()+"/v1/cs/configs", url.Values{"dataId": {"g"}, "group": {"G"}, "content": {"b"}}, map[string]string{"betaIps": "10.1.1.1"})
	require.Equal(t, "true", r.body)
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=g&group=G&beta=true", nil, nil)
	var res struct {
		Code    int
		Message string
		Data    map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &res), r.body)
	require.Equal(t, 200, res.Code)
	require.Equal(t, "query beta ok", res.Message)
	require.Equal(t, "b", res.Data["content"])
	require.Equal(t, "10.1.1.1", res.Data["betaIps"])
	require.Equal(t, fmt.Sprintf("%x", md5.Sum([]byte("b"))), res.Data["md5"])
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=g&group=G", nil, nil)
	require.Equal(t, 404, r.code, "no formal config, and 127.0.0.1 is not in the beta")
}

// Through nacos-sdk-go: a beta published for the client's IP is what it
// reads and what its watcher is pushed; a beta for another IP changes
// nothing for it.
func TestGrayBetaThroughSDK(t *testing.T) {
	srv := newServer(t)
	srv.SetConfig("", "G", "g", "formal")
	cc := configClient(t, srv)
	got, err := cc.GetConfig(vo.ConfigParam{DataId: "g", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "formal", got)
	var ip string
	for _, c := range srv.Connections() {
		ip = c.ClientIP
	}
	require.NotEmpty(t, ip)

	seen := make(chan string, 8)
	require.NoError(t, cc.ListenConfig(vo.ConfigParam{DataId: "g", Group: "G", OnChange: func(_, _, _, data string) { seen <- data }}))
	require.Eventually(t, func() bool { return len(srv.Listeners()) == 1 }, 10*time.Second, 10*time.Millisecond)

	ok, err := cc.PublishConfig(vo.ConfigParam{DataId: "g", Group: "G", Content: "elsewhere", BetaIps: "192.0.2.1"})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = cc.PublishConfig(vo.ConfigParam{DataId: "g", Group: "G", Content: "beta", BetaIps: ip})
	require.NoError(t, err)
	require.True(t, ok)
	select {
	case v := <-seen:
		require.Equal(t, "beta", v)
	case <-time.After(30 * time.Second):
		t.Fatal("the watcher was not pushed the beta")
	}
	got, err = cc.GetConfig(vo.ConfigParam{DataId: "g", Group: "G"})
	require.NoError(t, err)
	require.Equal(t, "beta", got)
	c, _ := srv.GetConfig("", "G", "g")
	require.Equal(t, "formal", c.Content)
}

// instance/list answers a 2.x ServiceInfo: name is group@@service and
// there is no 1.x "dom" field.
func TestHTTPInstanceListIsServiceInfo(t *testing.T) {
	srv := newServer(t)
	r := do(t, "POST", srv.URL()+"/v1/ns/instance", url.Values{"serviceName": {"s"}, "groupName": {"G"}, "ip": {"10.0.0.1"}, "port": {"80"}}, nil)
	require.Equal(t, "ok", r.body)
	r = do(t, "GET", srv.URL()+"/v1/ns/instance/list?serviceName=s&groupName=G", nil, nil)
	require.Equal(t, 200, r.code)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &info))
	require.Equal(t, "G@@s", info["name"])
	require.NotContains(t, info, "dom")
	require.Len(t, info["hosts"], 1)
}

// Login tokens are JWTs like Nacos's: HS256, sub = user, exp = now + tokenTtl.
func TestHTTPLoginTokenIsJWT(t *testing.T) {
	srv := newServer(t, nacosfake.WithUser("nacos", "pw"), nacosfake.WithTokenTTL(time.Hour))
	r := do(t, "POST", srv.URL()+"/v1/auth/login", url.Values{"username": {"nacos"}, "password": {"pw"}}, nil)
	require.Equal(t, 200, r.code, r.body)
	var out struct {
		AccessToken string `json:"accessToken"`
		TokenTTL    int64  `json:"tokenTtl"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &out))
	require.Equal(t, int64(3600), out.TokenTTL)
	parts := strings.Split(out.AccessToken, ".")
	require.Len(t, parts, 3)
	head, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	require.JSONEq(t, `{"alg":"HS256"}`, string(head))
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims struct {
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	require.NoError(t, json.Unmarshal(body, &claims))
	require.Equal(t, "nacos", claims.Sub)
	require.InDelta(t, time.Now().Add(time.Hour).Unix(), claims.Exp, 5)
	r = do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=a&group=G&accessToken="+out.AccessToken, nil, nil)
	require.Equal(t, 404, r.code, "the token is accepted")
}

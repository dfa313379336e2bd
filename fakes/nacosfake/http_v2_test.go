package nacosfake_test

import (
	"net/url"
	"testing"
)

// The v2 config API and health checks answer in the Result envelope.
func TestHTTPV2Config(t *testing.T) {
	srv := newServer(t)
	ok := `{"code":0,"message":"success","data":true}` + "\n"
	runHTTPCases(t, srv, []httpCase{
		{"get missing", "GET", "/v2/cs/config?dataId=a&group=G", nil, nil, 404, `{"code":20004,"message":"resource not found","data":"config data not exist"}` + "\n"},
		{"publish", "POST", "/v2/cs/config", url.Values{"dataId": {"a"}, "group": {"G"}, "namespaceId": {"dev"}, "content": {"v1"}}, nil, 200, ok},
		{"get in its namespace", "GET", "/v2/cs/config?dataId=a&group=G&namespaceId=dev", nil, nil, 200, `{"code":0,"message":"success","data":"v1"}` + "\n"},
		{"not in public", "GET", "/v2/cs/config?dataId=a&group=G", nil, nil, 404, ""},
		{"v1 sees it as tenant", "GET", "/v1/cs/configs?dataId=a&group=G&tenant=dev", nil, nil, 200, "v1"},
		{"publish without content", "POST", "/v2/cs/config", url.Values{"dataId": {"a"}, "group": {"G"}}, nil, 400,
			`{"code":10000,"message":"parameter missing","data":"Required parameter 'content' type String is not present"}` + "\n"},
		{"get without group", "GET", "/v2/cs/config?dataId=a", nil, nil, 400,
			`{"code":10000,"message":"parameter missing","data":"Required request parameter 'group' for method parameter type String is not present"}` + "\n"},
		{"bad dataId", "GET", "/v2/cs/config?dataId=a%20b&group=G", nil, nil, 400,
			`{"code":20002,"message":"parameter validate error","data":"invalid dataId : a b"}` + "\n"},
		{"beta publish", "POST", "/v2/cs/config", url.Values{"dataId": {"a"}, "group": {"G"}, "content": {"b"}}, map[string]string{"betaIps": "1.2.3.4"}, 200, ok},
		{"beta seen by its IP only", "GET", "/v2/cs/config?dataId=a&group=G", nil, map[string]string{"X-Forwarded-For": "1.2.3.4"}, 200, `{"code":0,"message":"success","data":"b"}` + "\n"},
		{"delete", "DELETE", "/v2/cs/config?dataId=a&group=G&namespaceId=dev", nil, nil, 200, ok},
		{"gone", "GET", "/v2/cs/config?dataId=a&group=G&namespaceId=dev", nil, nil, 404, ""},
		{"liveness", "GET", "/v2/console/health/liveness", nil, nil, 200, `{"code":0,"message":"success","data":"ok"}` + "\n"},
		{"readiness", "GET", "/v2/console/health/readiness", nil, nil, 200, `{"code":0,"message":"success","data":"ok"}` + "\n"},
	})
}

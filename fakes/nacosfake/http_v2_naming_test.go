package nacosfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func v2OK(data string) string { return `{"code":0,"message":"success","data":` + data + "}\n" }

func v2Err(code int, msg, data string) string {
	b, _ := json.Marshal(data)
	return `{"code":` + strconv.Itoa(code) + `,"message":"` + msg + `","data":` + string(b) + "}\n"
}

// v2Data GETs a v2 endpoint and decodes the data of its success envelope.
func v2Data(t *testing.T, srv *nacosfake.Server, path string, data any) {
	t.Helper()
	r := do(t, "GET", srv.URL()+path, nil, nil)
	require.Equal(t, 200, r.code, r.body)
	var res struct {
		Code int             `json:"code"`
		Data json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &res), r.body)
	require.Equal(t, 0, res.Code, r.body)
	require.NoError(t, json.Unmarshal(res.Data, data), r.body)
}

// The v2 instance endpoints: InstanceControllerV2's shapes, defaults and
// errors, over the store the v1 API reads.
func TestHTTPV2Instance(t *testing.T) {
	srv := newServer(t)
	reg := func(kv ...string) url.Values {
		v := url.Values{"serviceName": {"pay"}, "groupName": {"G"}, "ip": {"10.0.0.1"}, "port": {"80"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	ok := v2OK(`"ok"`)
	runHTTPCases(t, srv, []httpCase{
		{"register", "POST", "/v2/ns/instance", reg("metadata", `{"v":"1"}`, "weight", "2"), nil, 200, ok},
		{"register a second", "POST", "/v2/ns/instance", reg("ip", "10.0.0.2", "healthy", "false"), nil, 200, ok},
		{"detail", "GET", "/v2/ns/instance?serviceName=pay&groupName=G&ip=10.0.0.1&port=80", nil, nil, 200,
			v2OK(`{"serviceName":"G@@pay","ip":"10.0.0.1","port":80,"clusterName":"DEFAULT","weight":2,"healthy":true,"instanceId":"10.0.0.1#80#DEFAULT#G@@pay","metadata":{"v":"1"}}`)},
		{"detail with an empty cluster", "GET", "/v2/ns/instance?serviceName=pay&groupName=G&ip=10.0.0.1&port=80&clusterName=", nil, nil, 200, ""},
		{"v1 sees it", "GET", "/v1/ns/instance?serviceName=G@@pay&ip=10.0.0.1&port=80", nil, nil, 200, ""},
		{"detail in another cluster", "GET", "/v2/ns/instance?serviceName=pay&groupName=G&ip=10.0.0.1&port=80&clusterName=east", nil, nil, 404,
			v2Err(20004, "resource not found", "no matched ip found!")},
		{"detail of an empty service", "GET", "/v2/ns/instance?serviceName=none&ip=10.0.0.1&port=80", nil, nil, 404,
			v2Err(20004, "resource not found", "no ips found for cluster DEFAULT in service DEFAULT_GROUP@@none")},
		{"detail without port", "GET", "/v2/ns/instance?serviceName=pay&ip=10.0.0.1", nil, nil, 400,
			v2Err(10000, "parameter missing", "Required request parameter 'port' for method parameter type Integer is not present")},
		{"detail with a bad port", "GET", "/v2/ns/instance?serviceName=pay&ip=10.0.0.1&port=x", nil, nil, 500,
			`{"code":30000,"message":"Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; nested exception is java.lang.NumberFormatException: For input string: \"x\"","data":null}` + "\n"},
		{"update", "PUT", "/v2/ns/instance", reg("weight", "3", "metadata", "w=x"), nil, 200, ok},
		{"updated keeps health and merges metadata", "GET", "/v2/ns/instance?serviceName=pay&groupName=G&ip=10.0.0.1&port=80", nil, nil, 200,
			v2OK(`{"serviceName":"G@@pay","ip":"10.0.0.1","port":80,"clusterName":"DEFAULT","weight":3,"healthy":true,"instanceId":"10.0.0.1#80#DEFAULT#G@@pay","metadata":{"v":"1","w":"x"}}`)},
		{"update an unknown service", "PUT", "/v2/ns/instance", reg("serviceName", "nope"), nil, 400,
			v2Err(21004, "instance error", "service not found, namespace: public, service: Service{namespace='public', group='G', name='nope', ephemeral=true, revision=0}")},
		{"batch metadata of one", "PUT", "/v2/ns/instance/metadata/batch", url.Values{"serviceName": {"pay"}, "groupName": {"G"},
			"instances": {`[{"ip":"10.0.0.2","port":80}]`}, "metadata": {`{"zone":"a"}`}}, nil, 200,
			v2OK(`{"updated":["10.0.0.2:80:unknown:DEFAULT:ephemeral"]}`)},
		{"batch metadata of all", "PUT", "/v2/ns/instance/metadata/batch", url.Values{"serviceName": {"pay"}, "groupName": {"G"},
			"metadata": {"k=v"}}, nil, 200, v2OK(`{"updated":["10.0.0.1:80:unknown:DEFAULT:ephemeral","10.0.0.2:80:unknown:DEFAULT:ephemeral"]}`)},
		{"batch delete metadata", "DELETE", "/v2/ns/instance/metadata/batch", url.Values{"serviceName": {"pay"}, "groupName": {"G"},
			"instances": {`[{"ip":"10.0.0.1","port":80,"ephemeral":false}]`}, "metadata": {`{"k":"","v":""}`}}, nil, 200,
			v2OK(`{"updated":["10.0.0.1:80:unknown:DEFAULT:persist"]}`)},
		{"batch without metadata", "PUT", "/v2/ns/instance/metadata/batch", url.Values{"serviceName": {"pay"}}, nil, 400,
			v2Err(10000, "parameter missing", "Required parameter 'metadata' type String is not present")},
		{"batch with bad metadata", "PUT", "/v2/ns/instance/metadata/batch", url.Values{"serviceName": {"pay"}, "metadata": {"novalue"}}, nil, 400,
			v2Err(21002, "instance metadata error", "metadata format incorrect:novalue")},
		{"register without serviceName", "POST", "/v2/ns/instance", url.Values{"ip": {"1.1.1.1"}, "port": {"80"}}, nil, 400,
			v2Err(10000, "parameter missing", "Required parameter 'serviceName' type String is not present")},
		{"register without ip", "POST", "/v2/ns/instance", url.Values{"serviceName": {"s"}, "port": {"80"}}, nil, 400,
			v2Err(10000, "parameter missing", "Required parameter 'ip' type String is not present")},
		{"register without port", "POST", "/v2/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}}, nil, 400,
			v2Err(10000, "parameter missing", "Required parameter 'port' type Integer is not present")},
		{"register with a bad port", "POST", "/v2/ns/instance", url.Values{"serviceName": {"s"}, "ip": {"1.1.1.1"}, "port": {"x"}}, nil, 500, ""},
		{"register with a heavy weight", "POST", "/v2/ns/instance", reg("weight", "10001"), nil, 400,
			v2Err(21001, "weight error", "instance format invalid: The weights range from 0.0 to 10000.0")},
		{"register with bad metadata", "POST", "/v2/ns/instance", reg("metadata", "a"), nil, 400,
			v2Err(21002, "instance metadata error", "metadata format incorrect:a")},
		{"register in a bad cluster", "POST", "/v2/ns/instance", reg("clusterName", "a b"), nil, 400,
			v2Err(21004, "instance error", "Instance 'clusterName' should be characters with only 0-9a-zA-Z-. (current: a b)")},
		{"register persistent into ephemeral", "POST", "/v2/ns/instance", reg("ip", "10.0.0.3", "ephemeral", "false"), nil, 400,
			v2Err(30000, "server error", "errCode: 400, errMsg: Current service G@@pay is ephemeral service, can't register persistent instance. ")},
		{"beat", "PUT", "/v2/ns/instance/beat?serviceName=G@@pay&ip=10.0.0.1&port=80", nil, nil, 200,
			`{"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}` + "\n"},
		{"beat for nobody", "PUT", "/v2/ns/instance/beat?serviceName=G@@pay&ip=10.9.9.9&port=80", nil, nil, 200,
			`{"clientBeatInterval":5000,"code":20404,"lightBeatEnabled":true}` + "\n"},
		{"beat without a group", "PUT", "/v2/ns/instance/beat?serviceName=pay&ip=10.0.0.1&port=80", nil, nil, 400,
			v2Err(20002, "parameter validate error", "Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'")},
		{"beat without serviceName", "PUT", "/v2/ns/instance/beat?ip=10.0.0.1&port=80", nil, nil, 400,
			v2Err(10000, "parameter missing", "Required request parameter 'serviceName' for method parameter type String is not present")},
		{"list without serviceName", "GET", "/v2/ns/instance/list", nil, nil, 400,
			v2Err(10000, "parameter missing", "Required request parameter 'serviceName' for method parameter type String is not present")},
		{"list with a bad healthyOnly", "GET", "/v2/ns/instance/list?serviceName=pay&healthyOnly=maybe", nil, nil, 500,
			`{"code":30000,"message":"Failed to convert value of type 'java.lang.String' to required type 'java.lang.Boolean'; nested exception is java.lang.IllegalArgumentException: Invalid boolean value [maybe]","data":null}` + "\n"},
	})

	// The list is the v1 ServiceInfo in the envelope: group@@name, enabled
	// hosts, healthyOnly and clusterName filters.
	type host struct {
		IP       string            `json:"ip"`
		Healthy  bool              `json:"healthy"`
		Weight   float64           `json:"weight"`
		Metadata map[string]string `json:"metadata"`
	}
	var info struct {
		Name      string `json:"name"`
		GroupName string `json:"groupName"`
		Hosts     []host `json:"hosts"`
	}
	v2Data(t, srv, "/v2/ns/instance/list?serviceName=pay&groupName=G", &info)
	require.Equal(t, "G@@pay", info.Name)
	require.Equal(t, "G", info.GroupName)
	require.Len(t, info.Hosts, 2)
	require.Equal(t, host{"10.0.0.1", true, 3, map[string]string{"w": "x"}}, info.Hosts[0])
	require.Equal(t, host{"10.0.0.2", false, 1, map[string]string{"zone": "a", "k": "v"}}, info.Hosts[1])
	v2Data(t, srv, "/v2/ns/instance/list?serviceName=pay&groupName=G&healthyOnly=true", &info)
	require.Len(t, info.Hosts, 1)
	v2Data(t, srv, "/v2/ns/instance/list?serviceName=pay&groupName=G&clusterName=east", &info)
	require.Empty(t, info.Hosts)

	runHTTPCases(t, srv, []httpCase{
		{"disable", "PUT", "/v2/ns/instance", reg("ip", "10.0.0.2", "enabled", "false"), nil, 200, ok},
		{"deregister", "DELETE", "/v2/ns/instance?serviceName=pay&groupName=G&ip=10.0.0.1&port=80", nil, nil, 200, ok},
		{"deregister again", "DELETE", "/v2/ns/instance?serviceName=pay&groupName=G&ip=10.0.0.1&port=80", nil, nil, 200, ok},
	})
	v2Data(t, srv, "/v2/ns/instance/list?serviceName=pay&groupName=G", &info)
	require.Empty(t, info.Hosts, "a disabled instance is not listed")
	require.Len(t, srv.Instances("", "G", "pay"), 1)

	patch := func(kv ...string) url.Values {
		v := url.Values{"serviceName": {"G@@pay"}, "ip": {"10.0.0.2"}, "port": {"80"}, "weight": {"4"}, "enabled": {"true"}, "metadata": {""}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	noWeight := patch()
	noWeight.Del("weight")
	runHTTPCases(t, srv, []httpCase{
		{"patch without weight", "PATCH", "/v2/ns/instance", noWeight, nil, 400,
			v2Err(10000, "parameter missing", "Required request parameter 'weight' for method parameter type Double is not present")},
		{"patch a bare service name", "PATCH", "/v2/ns/instance", patch("serviceName", "pay"), nil, 400,
			v2Err(20002, "parameter validate error", "Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName'")},
		{"patch an unknown ip", "PATCH", "/v2/ns/instance", patch("ip", "10.9.9.9"), nil, 404,
			v2Err(20004, "resource not found", "no matched ip found!")},
		{"patch", "PATCH", "/v2/ns/instance", patch(), nil, 200, "ok"},
		{"patched, metadata kept", "GET", "/v2/ns/instance?serviceName=pay&groupName=G&ip=10.0.0.2&port=80", nil, nil, 200,
			v2OK(`{"serviceName":"G@@pay","ip":"10.0.0.2","port":80,"clusterName":"DEFAULT","weight":4,"healthy":false,"instanceId":"10.0.0.2#80#DEFAULT#G@@pay","metadata":{"k":"v","zone":"a"}}`)},
	})
	v2Data(t, srv, "/v2/ns/instance/list?serviceName=pay&groupName=G", &info)
	require.Len(t, info.Hosts, 1, "enabled again")

	r := do(t, "POST", srv.URL()+"/v2/ns/instance", url.Values{"serviceName": {"ghost"}, "ip": {"10.0.0.1"}, "port": {"80"}, "clusterName": {"a b"}}, nil)
	require.Equal(t, 400, r.code, r.body)
	require.Equal(t, []string{"public/G@@pay"}, srv.Services(), "a refused instance creates no service")
}

// The v2 service endpoints, ServiceControllerV2's shapes and errors. A
// created service is persistent unless ephemeral=true, and refuses the
// other kind of instance.
func TestHTTPV2Service(t *testing.T) {
	srv := newServer(t)
	ok := v2OK(`"ok"`)
	runHTTPCases(t, srv, []httpCase{
		{"create", "POST", "/v2/ns/service", url.Values{"serviceName": {"orders"}, "metadata": {`{"team":"a"}`}, "protectThreshold": {"0.5"}}, nil, 200, ok},
		{"create again", "POST", "/v2/ns/service", url.Values{"serviceName": {"orders"}}, nil, 400,
			v2Err(21007, "service already exist", "specified service DEFAULT_GROUP@@orders already exists!")},
		{"detail", "GET", "/v2/ns/service?serviceName=orders", nil, nil, 200,
			v2OK(`{"namespace":"public","serviceName":"orders","groupName":"DEFAULT_GROUP","clusterMap":{},"metadata":{"team":"a"},"protectThreshold":0.5,"selector":{"type":"none","contextType":"NONE"},"ephemeral":false}`)},
		{"ephemeral instance refused", "POST", "/v2/ns/instance", url.Values{"serviceName": {"orders"}, "ip": {"10.0.0.1"}, "port": {"80"}}, nil, 400,
			v2Err(30000, "server error", "errCode: 400, errMsg: Current service DEFAULT_GROUP@@orders is persistent service, can't register ephemeral instance. ")},
		{"persistent instance", "POST", "/v2/ns/instance", url.Values{"serviceName": {"orders"}, "ip": {"10.0.0.1"}, "port": {"80"}, "ephemeral": {"false"}, "clusterName": {"east"}}, nil, 200, ok},
		{"detail with its cluster", "GET", "/v2/ns/service?serviceName=orders", nil, nil, 200,
			v2OK(`{"namespace":"public","serviceName":"orders","groupName":"DEFAULT_GROUP","clusterMap":{"east":{"clusterName":"east","healthChecker":{"type":"TCP"},"metadata":{},"hosts":null}},"metadata":{"team":"a"},"protectThreshold":0.5,"selector":{"type":"none","contextType":"NONE"},"ephemeral":false}`)},
		{"update replaces metadata and threshold", "PUT", "/v2/ns/service", url.Values{"serviceName": {"orders"}}, nil, 200, ok},
		{"updated", "GET", "/v2/ns/service?serviceName=orders", nil, nil, 200, ""},
		{"delete while not empty", "DELETE", "/v2/ns/service?serviceName=orders", nil, nil, 400,
			v2Err(21009, "service delete failure", "Service DEFAULT_GROUP@@orders is not empty, can't be delete. Please unregister instance first")},
		{"list", "GET", "/v2/ns/service/list", nil, nil, 200, v2OK(`{"count":1,"services":["orders"]}`)},
		{"list another group", "GET", "/v2/ns/service/list?groupName=G", nil, nil, 200, v2OK(`{"count":0,"services":[]}`)},
		{"list with a bad page", "GET", "/v2/ns/service/list?pageNo=x", nil, nil, 500, ""},
		{"deregister", "DELETE", "/v2/ns/instance?serviceName=orders&ip=10.0.0.1&port=80&ephemeral=false", nil, nil, 200, ok},
		{"delete", "DELETE", "/v2/ns/service?serviceName=orders", nil, nil, 200, ok},
		{"delete again", "DELETE", "/v2/ns/service?serviceName=orders", nil, nil, 400,
			v2Err(21008, "service not exist", "service DEFAULT_GROUP@@orders not found!")},
		{"detail of a missing one", "GET", "/v2/ns/service?serviceName=orders", nil, nil, 400,
			v2Err(21008, "service not exist", "service not found, namespace: public, serviceName: DEFAULT_GROUP@@orders")},
		{"update a missing one", "PUT", "/v2/ns/service", url.Values{"serviceName": {"orders"}}, nil, 400,
			v2Err(21008, "service not exist", "service DEFAULT_GROUP@@orders not found!")},
		{"create without a name", "POST", "/v2/ns/service", url.Values{"groupName": {"G"}}, nil, 400,
			v2Err(10000, "parameter missing", "Required parameter 'serviceName' type String is not present")},
		{"create with a label selector", "POST", "/v2/ns/service", url.Values{"serviceName": {"x"}, "selector": {`{"type":"label","expression":"a=b"}`}}, nil, 400,
			v2Err(21006, "selector error", "not match any type of selector!")},
		{"create with bad metadata", "POST", "/v2/ns/service", url.Values{"serviceName": {"x"}, "metadata": {"a"}}, nil, 400,
			v2Err(21002, "instance metadata error", "metadata format incorrect:a")},
		{"create ephemeral", "POST", "/v2/ns/service", url.Values{"serviceName": {"eph"}, "ephemeral": {"true"}, "selector": {`{"type":"none"}`}}, nil, 200, ok},
		{"delete without a name", "DELETE", "/v2/ns/service", nil, nil, 400,
			v2Err(10000, "parameter missing", "Required request parameter 'serviceName' for method parameter type String is not present")},
	})
	var d struct {
		Metadata         map[string]string `json:"metadata"`
		ProtectThreshold float64           `json:"protectThreshold"`
		Ephemeral        bool              `json:"ephemeral"`
	}
	v2Data(t, srv, "/v2/ns/service?serviceName=eph", &d)
	require.True(t, d.Ephemeral)
	require.Equal(t, []string{"public/DEFAULT_GROUP@@eph"}, srv.Services())
}

// Nacos changes health by hand only for persistent instances in a cluster
// whose health checker is NONE; the fake's clusters all check by TCP.
func TestHTTPHealthUpdateRefused(t *testing.T) {
	srv := newServer(t)
	require.NoError(t, srv.RegisterInstance(nacosfake.Instance{Service: "db", IP: "10.0.0.1", Port: 5432, Healthy: true, Enabled: true}))
	runHTTPCases(t, srv, []httpCase{
		{"v1", "PUT", "/v1/ns/health/instance?serviceName=db&ip=10.0.0.1&port=5432&healthy=false", nil, nil, 400,
			"health check is still working, service: db, cluster: DEFAULT"},
		{"v1 short path, valid", "PUT", "/v1/ns/health?serviceName=db&ip=10.0.0.1&port=5432&valid=false&clusterName=c1", nil, nil, 400,
			"health check is still working, service: db, cluster: c1"},
		{"v1 without healthy", "PUT", "/v1/ns/health/instance?serviceName=db&ip=10.0.0.1&port=5432", nil, nil, 400, "Param 'healthy' is required."},
		{"v1 without ip", "PUT", "/v1/ns/health/instance?serviceName=db&port=5432&healthy=true", nil, nil, 400, "Param 'ip' is required."},
		{"v1 with a bad port", "PUT", "/v1/ns/health/instance?serviceName=db&ip=1&port=x&healthy=true", nil, nil, 400, `For input string: "x"`},
		{"v1 GET", "GET", "/v1/ns/health/instance", nil, nil, 501, ""}, // DistroFilter: no such api
		{"v2", "PUT", "/v2/ns/health/instance?serviceName=db&ip=10.0.0.1&port=5432&healthy=false", nil, nil, 400,
			v2Err(30000, "server error", "health check is still working, service: DEFAULT_GROUP@@db, cluster: DEFAULT")},
		{"v2 without healthy", "PUT", "/v2/ns/health?serviceName=db&ip=10.0.0.1&port=5432", nil, nil, 400,
			v2Err(10000, "parameter missing", "Required parameter 'healthy' type Boolean is not present")},
	})
	require.True(t, srv.Instances("", "", "db")[0].Healthy)
}

// v2 naming endpoints sit behind the same auth as the rest.
func TestHTTPV2NamingAuth(t *testing.T) {
	srv := newServer(t, nacosfake.WithUser("nacos", "pw"))
	runHTTPCases(t, srv, []httpCase{
		{"no token", "GET", "/v2/ns/instance/list?serviceName=a", nil, nil, 403, ""},
		{"client list without a token", "GET", "/v2/ns/client/list", nil, nil, 403, ""},
		{"raw credentials", "GET", "/v2/ns/instance/list?serviceName=a&username=nacos&password=pw", nil, nil, 200, ""},
	})
}

// An instance registered over v2 HTTP reaches an SDK subscriber over gRPC,
// and one the SDK registers is listed over v2 HTTP; the client endpoints
// show the SDK's connection with its registration and subscription.
func TestHTTPV2NamingMeetsSDK(t *testing.T) {
	srv := newServer(t)
	nc := namingClient(t, srv)
	var mu sync.Mutex
	var seen []model.Instance
	require.NoError(t, nc.Subscribe(&vo.SubscribeParam{ServiceName: "mesh", GroupName: "G", SubscribeCallback: func(s []model.Instance, _ error) {
		mu.Lock()
		seen = s
		mu.Unlock()
	}}))
	r := do(t, "POST", srv.URL()+"/v2/ns/instance", url.Values{"serviceName": {"mesh"}, "groupName": {"G"}, "ip": {"10.1.0.1"},
		"port": {"7000"}, "metadata": {`{"via":"v2"}`}}, nil)
	require.Equal(t, 200, r.code, r.body)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 1 && seen[0].Ip == "10.1.0.1" && seen[0].Port == 7000 && seen[0].Metadata["via"] == "v2"
	}, waitFor, tick)

	register(t, nc, vo.RegisterInstanceParam{ServiceName: "mesh", GroupName: "G", Ip: "10.1.0.2", Port: 7000})
	var info struct {
		Hosts []struct {
			IP string `json:"ip"`
		} `json:"hosts"`
	}
	v2Data(t, srv, "/v2/ns/instance/list?serviceName=mesh&groupName=G", &info)
	require.Len(t, info.Hosts, 2)

	var conns []nacosfake.Connection
	for _, c := range srv.Connections() {
		if c.Labels["module"] == "naming" {
			conns = append(conns, c)
		}
	}
	require.Len(t, conns, 1)
	id := conns[0].ID
	var ids []string
	v2Data(t, srv, "/v2/ns/client/list", &ids)
	require.ElementsMatch(t, []string{id, "10.1.0.1:7000#true"}, ids)

	var detail map[string]any
	v2Data(t, srv, "/v2/ns/client?clientId="+url.QueryEscape(id), &detail)
	require.Equal(t, "connection", detail["clientType"])
	require.Equal(t, "GRPC", detail["connectType"])
	require.Equal(t, conns[0].ClientVersion, detail["version"])
	require.Equal(t, id[strings.LastIndexByte(id, '_')+1:], detail["clientPort"])
	detail = nil
	v2Data(t, srv, "/v2/ns/client?clientId="+url.QueryEscape("10.1.0.1:7000#true"), &detail)
	require.Equal(t, map[string]any{"clientId": "10.1.0.1:7000#true", "ephemeral": true, "lastUpdatedTime": detail["lastUpdatedTime"],
		"clientType": "ipPort", "clientIp": "10.1.0.1", "clientPort": "7000"}, detail)

	var pub []map[string]any
	v2Data(t, srv, "/v2/ns/client/publish/list?clientId="+url.QueryEscape(id), &pub)
	require.Equal(t, []map[string]any{{"namespace": "public", "group": "G", "serviceName": "mesh",
		"registeredInstance": map[string]any{"ip": "10.1.0.2", "port": float64(7000), "cluster": "DEFAULT"}}}, pub)
	var sub []map[string]any
	v2Data(t, srv, "/v2/ns/client/subscribe/list?clientId="+url.QueryEscape(id), &sub)
	require.Len(t, sub, 1)
	require.Equal(t, "mesh", sub[0]["serviceName"])
	require.Equal(t, conns[0].ClientVersion, sub[0]["subscriberInfo"].(map[string]any)["agent"])

	var pubs []map[string]any
	v2Data(t, srv, "/v2/ns/client/service/publisher/list?serviceName=mesh&groupName=G", &pubs)
	require.Empty(t, pubs, "Nacos 2.x matches publishers on ip and port as given")
	v2Data(t, srv, "/v2/ns/client/service/publisher/list?serviceName=mesh&groupName=G&ip=10.1.0.2&port=7000", &pubs)
	require.Equal(t, []map[string]any{{"ip": "10.1.0.2", "port": float64(7000), "cluster": "DEFAULT", "clientId": id}}, pubs)
	var subs []map[string]any
	v2Data(t, srv, "/v2/ns/client/service/subscriber/list?serviceName=mesh&groupName=G", &subs)
	require.Equal(t, []map[string]any{{"clientId": id, "ip": conns[0].ClientIP, "port": float64(0)}}, subs)
	v2Data(t, srv, "/v2/ns/client/service/subscriber/list?serviceName=mesh&groupName=G&port=1", &subs)
	require.Empty(t, subs)

	runHTTPCases(t, srv, []httpCase{
		{"unknown client", "GET", "/v2/ns/client?clientId=nope", nil, nil, 404, v2Err(20004, "resource not found", "clientId [ nope ] not exist")},
		{"no clientId", "GET", "/v2/ns/client/publish/list", nil, nil, 400,
			v2Err(10000, "parameter missing", "Required request parameter 'clientId' for method parameter type String is not present")},
		{"subscribers without serviceName", "GET", "/v2/ns/client/service/subscriber/list", nil, nil, 400, ""},
	})

	// Deregistered over v2 by the SDK's view: the subscriber sees it go.
	r = do(t, "DELETE", srv.URL()+"/v2/ns/instance?serviceName=mesh&groupName=G&ip=10.1.0.1&port=7000", nil, nil)
	require.Equal(t, 200, r.code, r.body)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 1 && seen[0].Ip == "10.1.0.2"
	}, waitFor, tick)
	v2Data(t, srv, "/v2/ns/client/list", &ids)
	require.False(t, slices.Contains(ids, "10.1.0.1:7000#true"))
}

// The kind a v2 create fixes survives a restart from the data dir (the
// log, then the snapshot a clean close writes).
func TestHTTPV2ServiceKindPersists(t *testing.T) {
	dir := t.TempDir()
	srv, err := nacosfake.New(nacosfake.WithDataDir(dir))
	require.NoError(t, err)
	r := do(t, "POST", srv.URL()+"/v2/ns/service", url.Values{"serviceName": {"p"}}, nil)
	require.Equal(t, 200, r.code, r.body)
	refused := func(s *nacosfake.Server) {
		t.Helper()
		r := do(t, "POST", s.URL()+"/v2/ns/instance", url.Values{"serviceName": {"p"}, "ip": {"10.0.0.1"}, "port": {"1"}}, nil)
		require.Equal(t, 400, r.code, r.body)
		require.Contains(t, r.body, "is persistent service")
	}
	require.NoError(t, srv.Restart())
	http.DefaultClient.CloseIdleConnections() // a POST on a connection the restart closed is not retried
	refused(srv)
	require.NoError(t, srv.Close())
	again := newServer(t, nacosfake.WithDataDir(dir))
	refused(again)
}

// A v1 instance/list caller with a udpPort is an ip:port client of Nacos
// with a subscription.
func TestHTTPV2ClientsIncludeUDPSubscribers(t *testing.T) {
	srv := newServer(t)
	r := do(t, "GET", srv.URL()+"/v1/ns/instance/list?serviceName=u&clientIP=127.0.0.1&udpPort=40001", nil, nil)
	require.Equal(t, 200, r.code, r.body)
	id := "127.0.0.1:40001#true"
	var ids []string
	v2Data(t, srv, "/v2/ns/client/list", &ids)
	require.Equal(t, []string{id}, ids)
	var detail map[string]any
	v2Data(t, srv, "/v2/ns/client?clientId="+url.QueryEscape(id), &detail)
	require.Equal(t, "ipPort", detail["clientType"])
	require.Equal(t, "40001", detail["clientPort"])
	var sub []map[string]any
	v2Data(t, srv, "/v2/ns/client/subscribe/list?clientId="+url.QueryEscape(id), &sub)
	require.Equal(t, []map[string]any{{"namespace": "public", "group": "DEFAULT_GROUP", "serviceName": "u",
		"subscriberInfo": map[string]any{"app": "", "agent": "", "addr": "127.0.0.1:40001"}}}, sub)
	var subs []map[string]any
	v2Data(t, srv, "/v2/ns/client/service/subscriber/list?serviceName=u&ip=127.0.0.1", &subs)
	require.Equal(t, []map[string]any{{"clientId": id, "ip": "127.0.0.1", "port": float64(40001)}}, subs)
	v2Data(t, srv, "/v2/ns/client/service/subscriber/list?serviceName=u&port=0", &subs)
	require.Empty(t, subs)
}

package nacosfake

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/internal/stalltest"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// testCodec also sends raw []byte, to put malformed frames on the wire.
type testCodec struct{ rawCodec }

func (c testCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	return c.rawCodec.Marshal(v)
}

// wireClient is a hand-rolled Nacos gRPC client for protocol-level tests.
type wireClient struct {
	t      *testing.T
	cc     *grpc.ClientConn
	stream grpc.ClientStream
	cancel context.CancelFunc
}

func dialWire(t *testing.T, s *Server, setup bool) *wireClient {
	t.Helper()
	cc, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(testCodec{})))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	w := &wireClient{t: t, cc: cc, cancel: cancel}
	t.Cleanup(func() { cancel(); _ = cc.Close() })
	r := w.call("ServerCheckRequest", `{"module":"internal"}`, nil)
	require.Equal(t, "ServerCheckResponse", r.Type)
	if setup {
		st, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, "/BiRequestStream/requestBiStream")
		require.NoError(t, err)
		require.NoError(t, st.SendMsg(&payload{Type: "ConnectionSetupRequest", Body: []byte(`{"clientVersion":"test","labels":{"module":"config"}}`)}))
		w.stream = st
	}
	return w
}

func (w *wireClient) call(typ, body string, headers map[string]string) *payload {
	w.t.Helper()
	var out payload
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(w.t, w.cc.Invoke(ctx, "/Request/request", &payload{Type: typ, Headers: headers, Body: []byte(body)}, &out))
	return &out
}

func fields(t *testing.T, p *payload) map[string]any {
	t.Helper()
	m := map[string]any{}
	require.NoError(t, json.Unmarshal(p.Body, &m))
	return m
}

func TestWireServerCheckHasResultCode(t *testing.T) {
	s := newTestServer(t)
	w := dialWire(t, s, false)
	m := fields(t, w.call("ServerCheckRequest", `{"requestId":"7","module":"internal"}`, nil))
	require.Equal(t, 200.0, m["resultCode"])
	require.Equal(t, "7", m["requestId"])
	require.NotEmpty(t, m["connectionId"])
}

func TestWireBadInputAnsweredLikeNacos(t *testing.T) {
	s := newTestServer(t)
	w := dialWire(t, s, true)

	r := w.call("NoSuchRequest", `{"requestId":"1"}`, nil)
	require.Equal(t, "ErrorResponse", r.Type)
	require.Equal(t, 302.0, fields(t, r)["errorCode"])

	r = w.call("ConfigQueryRequest", `{not json`, nil)
	require.Equal(t, "ErrorResponse", r.Type)
	require.Equal(t, 502.0, fields(t, r)["errorCode"])

	r = w.call("ConfigQueryRequest", `{"dataId":5}`, nil) // wrong field type
	require.Equal(t, "ErrorResponse", r.Type)

	var out payload
	err := w.cc.Invoke(context.Background(), "/Request/request", []byte{0xff, 0xff, 0xff}, &out)
	// grpc-go rejects an undecodable frame before the handler runs.
	require.Equal(t, codes.Internal, status.Code(err), "%v", err)
	require.Contains(t, err.Error(), "malformed payload")

	// The connection still works afterwards.
	r = w.call("ConfigQueryRequest", `{"requestId":"9","dataId":"none","group":"G","tenant":""}`, nil)
	require.Equal(t, "ConfigQueryResponse", r.Type)
	m := fields(t, r)
	require.Equal(t, 500.0, m["resultCode"])
	require.Equal(t, 300.0, m["errorCode"])
	require.Equal(t, "config data not exist", m["message"])
	require.Equal(t, "9", m["requestId"])
	require.NotContains(t, m, "tag")
}

func TestWireUnregisteredConnection(t *testing.T) {
	s := newTestServer(t, func(o *options) { o.setupWait = 10 * time.Millisecond })
	w := dialWire(t, s, false)
	r := w.call("ConfigQueryRequest", `{"dataId":"a","group":"G"}`, nil)
	require.Equal(t, "ErrorResponse", r.Type)
	require.Equal(t, 301.0, fields(t, r)["errorCode"])
}

func TestWireAuthRejectsBadToken(t *testing.T) {
	s := newTestServer(t, WithUser("nacos", "secret"))
	w := dialWire(t, s, true)
	for _, tok := range []string{"", "forged"} {
		r := w.call("ConfigPublishRequest", `{"dataId":"a","group":"G","content":"x"}`, map[string]string{"accessToken": tok})
		require.Equal(t, "ConfigPublishResponse", r.Type)
		m := fields(t, r)
		require.Equal(t, 403.0, m["errorCode"])
		require.Equal(t, false, m["success"])
	}
	require.Empty(t, s.Configs())
	r := w.call("ConfigPublishRequest", `{"dataId":"a","group":"G","content":"x"}`, map[string]string{"accessToken": s.Token()})
	require.Equal(t, true, fields(t, r)["success"])
	// Internal requests need no token.
	require.Equal(t, "HealthCheckResponse", w.call("HealthCheckRequest", `{}`, nil).Type)
}

func TestWireFaultsAndPushes(t *testing.T) {
	s := newTestServer(t)
	w := dialWire(t, s, true)
	h, err := s.FailNext(OpConfigQuery, "a", 1, 500)
	require.NoError(t, err)
	m := fields(t, w.call("ConfigQueryRequest", `{"dataId":"a","group":"G"}`, nil))
	require.Equal(t, 500.0, m["errorCode"])
	require.Equal(t, 300.0, fields(t, w.call("ConfigQueryRequest", `{"dataId":"a","group":"G"}`, nil))["errorCode"])
	require.Equal(t, 1, h.Hits())

	// Listen, then a change is pushed as ConfigChangeNotifyRequest.
	r := w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"a","group":"G","tenant":"public","md5":""}]}`, nil)
	require.Equal(t, "ConfigChangeBatchListenResponse", r.Type)
	require.Empty(t, fields(t, r)["changedConfigs"])
	s.SetConfig("", "G", "a", "v1")
	var push payload
	require.NoError(t, w.stream.RecvMsg(&push))
	require.Equal(t, "ConfigChangeNotifyRequest", push.Type)
	pm := fields(t, &push)
	require.Equal(t, "public", pm["tenant"]) // echoes the listener's spelling
	require.NotEmpty(t, pm["requestId"])
	require.NoError(t, w.stream.SendMsg(&payload{Type: "NotifySubscriberResponse", Body: []byte(`{"resultCode":200,"requestId":"` + pm["requestId"].(string) + `"}`)}))
	require.Eventually(t, func() bool { return len(s.Connections()) == 1 && s.Connections()[0].Acked == 1 }, 5*time.Second, 5*time.Millisecond)

	// Delay applies to the named type only.
	d, err := s.Delay(OpHealthCheck, 30*time.Millisecond)
	require.NoError(t, err)
	start := time.Now()
	w.call("HealthCheckRequest", `{}`, nil)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
	require.Equal(t, 1, d.Hits())
	require.Len(t, s.Faults(), 1)
	s.ResetFaults()
	require.Empty(t, s.Faults())
}

func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestWireDropConnectionsRemovesOwnedState(t *testing.T) {
	s := newTestServer(t)
	w := dialWire(t, s, true)
	r := w.call("InstanceRequest", `{"namespace":"public","serviceName":"svc","groupName":"DEFAULT_GROUP","type":"registerInstance","instance":{"ip":"10.0.0.1","port":1,"weight":1,"healthy":true,"enabled":true,"ephemeral":true}}`, nil)
	require.Equal(t, true, fields(t, r)["success"])
	require.Len(t, s.Instances("", "", "svc"), 1)
	require.Equal(t, "10.0.0.1#1##DEFAULT_GROUP@@svc", s.Instances("", "", "svc")[0].InstanceID)

	require.Equal(t, 1, s.DropConnections())
	require.Eventually(t, func() bool { return len(s.Instances("", "", "svc")) == 0 && len(s.Connections()) == 0 }, 5*time.Second, 5*time.Millisecond)

	// Restart closes the listeners and serves again on the same ports.
	w2 := dialWire(t, s, true)
	w2.call("InstanceRequest", `{"serviceName":"svc","type":"registerInstance","instance":{"ip":"10.0.0.2","port":1,"weight":1,"healthy":true,"enabled":true}}`, nil)
	require.NoError(t, s.Restart())
	require.Empty(t, s.Instances("", "", "svc"))
	w3 := dialWire(t, s, true)
	require.Equal(t, "HealthCheckResponse", w3.call("HealthCheckRequest", `{}`, nil).Type)
}

func TestWireNamingQueryListAndReset(t *testing.T) {
	s := newTestServer(t)
	for i, healthy := range []bool{true, false, true} {
		require.NoError(t, s.RegisterInstance(Instance{Service: "q" + itoa(i%2), IP: "10.0.0." + itoa(i), Port: 80, Healthy: healthy, Enabled: true, Ephemeral: true}))
	}
	require.NoError(t, s.RegisterInstance(Instance{Service: "q0", IP: "10.0.0.9", Port: 80, Healthy: true, Enabled: false, Ephemeral: true}))
	w := dialWire(t, s, true)
	r := w.call("ServiceQueryRequest", `{"namespace":"public","serviceName":"q0","groupName":"DEFAULT_GROUP","cluster":"","healthyOnly":true}`, nil)
	require.Equal(t, "QueryServiceResponse", r.Type)
	info := fields(t, r)["serviceInfo"].(map[string]any)
	require.Len(t, info["hosts"], 2) // 10.0.0.0 and 10.0.0.2; the disabled one is never returned
	require.Equal(t, "q0", info["name"])

	r = w.call("ServiceListRequest", `{"namespace":"public","groupName":"DEFAULT_GROUP","pageNo":2,"pageSize":1}`, nil)
	m := fields(t, r)
	require.Equal(t, 2.0, m["count"])
	require.Equal(t, []any{"q1"}, m["serviceNames"])
	r = w.call("ServiceListRequest", `{"pageNo":0,"pageSize":0}`, nil)
	require.Equal(t, []any{}, fields(t, r)["serviceNames"])

	// lastRefTime strictly increases, or the SDK drops the update.
	a := w.call("SubscribeServiceRequest", `{"serviceName":"q0","subscribe":true,"clusters":""}`, nil)
	b := w.call("SubscribeServiceRequest", `{"serviceName":"q0","subscribe":true,"clusters":""}`, nil)
	ra := fields(t, a)["serviceInfo"].(map[string]any)["lastRefTime"].(float64)
	rb := fields(t, b)["serviceInfo"].(map[string]any)["lastRefTime"].(float64)
	require.Greater(t, rb, ra)
	require.Len(t, s.Subscribers(), 1)

	require.Equal(t, 1, s.ResetConnections())
	for {
		var push payload
		require.NoError(t, w.stream.RecvMsg(&push))
		if push.Type == "ConnectResetRequest" {
			break
		}
		require.Equal(t, "NotifySubscriberRequest", push.Type)
	}
	w.call("SubscribeServiceRequest", `{"serviceName":"q0","subscribe":false}`, nil)
	require.Empty(t, s.Subscribers())
}

func TestWireNamingValidationAndBatch(t *testing.T) {
	s := newTestServer(t)
	w := dialWire(t, s, true)
	// Nacos throws on an illegal cluster name, which reaches clients as an
	// ErrorResponse.
	r := w.call("InstanceRequest", `{"serviceName":"v","type":"registerInstance","instance":{"ip":"10.0.0.1","port":1,"clusterName":"bad name"}}`, nil)
	require.Equal(t, "ErrorResponse", r.Type)
	require.Equal(t, 400.0, fields(t, r)["errorCode"])
	r = w.call("InstanceRequest", `{"serviceName":"v","type":"bogus","instance":{}}`, nil)
	require.Equal(t, "ErrorResponse", r.Type)

	r = w.call("BatchInstanceRequest", `{"serviceName":"v","type":"batchRegisterInstance","instances":[{"ip":"10.0.0.1","port":1,"enabled":true,"healthy":true,"weight":1},{"ip":"10.0.0.2","port":2,"enabled":true,"healthy":true,"weight":1}]}`, nil)
	require.Equal(t, "BatchInstanceResponse", r.Type)
	require.Equal(t, "batchRegisterInstance", fields(t, r)["type"])
	require.Len(t, s.Instances("", "", "v"), 2)
	w.call("BatchInstanceRequest", `{"serviceName":"v","type":"batchDeregisterInstance","instances":[{"ip":"10.0.0.1","port":1}]}`, nil)
	insts := s.Instances("", "", "v")
	require.Len(t, insts, 1)
	require.Equal(t, "10.0.0.2", insts[0].IP)

	// Persistent instances over gRPC (Java 2.3+) are not owned by the connection.
	r = w.call("PersistentInstanceRequest", `{"serviceName":"p","type":"registerInstance","instance":{"ip":"10.0.0.3","port":3,"enabled":true,"healthy":true,"weight":1}}`, nil)
	require.Equal(t, "InstanceResponse", r.Type)
	require.Equal(t, true, fields(t, r)["success"])
	// ... and the kind of a service is fixed by its instances.
	r = w.call("InstanceRequest", `{"serviceName":"p","type":"registerInstance","instance":{"ip":"10.0.0.4","port":4,"enabled":true,"healthy":true,"weight":1}}`, nil)
	require.Equal(t, "ErrorResponse", r.Type)
	require.Contains(t, fields(t, r)["message"], "persistent service")
	require.Equal(t, 1, s.DropConnections())
	require.Eventually(t, func() bool { return len(s.Connections()) == 0 }, 5*time.Second, 5*time.Millisecond)
	require.Len(t, s.Instances("", "", "p"), 1)
	require.Empty(t, s.Instances("", "", "v"))
}

func TestWireUnackedPushIsRetried(t *testing.T) {
	s := newTestServer(t, func(o *options) { o.ackTimeout = 50 * time.Millisecond })
	w := dialWire(t, s, true)
	w.call("ConfigBatchListenRequest", `{"listen":true,"configListenContexts":[{"dataId":"r","group":"G","tenant":"","md5":""}]}`, nil)
	s.SetConfig("", "G", "r", "v1")
	ids := map[string]bool{}
	for i := 0; i < maxPushAttempts; i++ {
		var push payload
		require.NoError(t, w.stream.RecvMsg(&push))
		require.Equal(t, "ConfigChangeNotifyRequest", push.Type)
		ids[fields(t, &push)["requestId"].(string)] = true
	}
	require.Len(t, ids, maxPushAttempts, "each attempt has its own requestId")
	c := s.Connections()[0]
	require.Equal(t, int64(maxPushAttempts), c.Pushed)
	require.Zero(t, c.Acked)
}

// TestStalledConnectionsAreClosed: an HTTP body that stops coming, an idle
// keep-alive connection and a gRPC connection stuck in its handshake are
// closed after the server's limits (Tomcat's connectionTimeout, grpc-java's
// handshake timeout on Nacos), not held forever.
func TestStalledConnectionsAreClosed(t *testing.T) {
	s := newTestServer(t, func(o *options) { o.httpTimeout, o.grpcHandshake = 300*time.Millisecond, 300*time.Millisecond })
	stalltest.Closed(t, s.Addr(), []byte("POST /nacos/v1/cs/configs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\ndataId="), 5*time.Second)
	stalltest.Closed(t, s.Addr(), []byte("GET /nacos/v1/console/health/liveness HTTP/1.1\r\nHost: x\r\n\r\n"), 5*time.Second)
	stalltest.Closed(t, s.GRPCAddr(), []byte("PRI * HTTP/2.0\r\n"), 5*time.Second)
}

// TestCacheMillis: instance lists tell HTTP clients to poll every 10 s, as
// Nacos's defaultCacheMillis switch does, unless WithCacheMillis says else.
func TestCacheMillis(t *testing.T) {
	for want, opts := range map[int64][]Option{10000: nil, 1000: {WithCacheMillis(time.Second)}} {
		s := newTestServer(t, opts...)
		require.NoError(t, s.RegisterInstance(Instance{Service: "svc", IP: "10.0.0.1", Port: 80, Weight: 1, Healthy: true, Enabled: true}))
		resp, err := http.Get("http://" + s.Addr() + "/nacos/v1/ns/instance/list?serviceName=svc")
		require.NoError(t, err)
		var list struct{ CacheMillis int64 }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
		resp.Body.Close()
		require.Equal(t, want, list.CacheMillis)
	}
}

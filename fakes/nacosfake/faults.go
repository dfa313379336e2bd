package nacosfake

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/brokerkit/brokerkit/fault"
)

// Op names an operation faults can target: a gRPC request type (the
// metadata.type the SDKs send) or an HTTP Open API endpoint ("METHOD path",
// the path under the default "/nacos" context path whatever WithContextPath
// says).
type Op string

// gRPC request types.
const (
	OpServerCheck        Op = "ServerCheckRequest"
	OpHealthCheck        Op = "HealthCheckRequest"
	OpConfigQuery        Op = "ConfigQueryRequest"
	OpConfigPublish      Op = "ConfigPublishRequest"
	OpConfigRemove       Op = "ConfigRemoveRequest"
	OpConfigBatchListen  Op = "ConfigBatchListenRequest"
	OpInstance           Op = "InstanceRequest"
	OpPersistentInstance Op = "PersistentInstanceRequest"
	OpBatchInstance      Op = "BatchInstanceRequest"
	OpServiceQuery       Op = "ServiceQueryRequest"
	OpSubscribeService   Op = "SubscribeServiceRequest"
	OpServiceList        Op = "ServiceListRequest"
)

// HTTP Open API endpoints.
const (
	OpHTTPGetConfig          Op = "GET /nacos/v1/cs/configs"
	OpHTTPPublishConfig      Op = "POST /nacos/v1/cs/configs"
	OpHTTPDeleteConfig       Op = "DELETE /nacos/v1/cs/configs"
	OpHTTPListenConfig       Op = "POST /nacos/v1/cs/configs/listener"
	OpHTTPRegisterInstance   Op = "POST /nacos/v1/ns/instance"
	OpHTTPDeregisterInstance Op = "DELETE /nacos/v1/ns/instance"
	OpHTTPUpdateInstance     Op = "PUT /nacos/v1/ns/instance"
	OpHTTPPatchInstance      Op = "PATCH /nacos/v1/ns/instance"
	OpHTTPGetInstance        Op = "GET /nacos/v1/ns/instance"
	OpHTTPListInstances      Op = "GET /nacos/v1/ns/instance/list"
	OpHTTPBeat               Op = "PUT /nacos/v1/ns/instance/beat"
	OpHTTPListServices       Op = "GET /nacos/v1/ns/service/list"
	OpHTTPGetService         Op = "GET /nacos/v1/ns/service"
	OpHTTPCreateService      Op = "POST /nacos/v1/ns/service"
	OpHTTPUpdateService      Op = "PUT /nacos/v1/ns/service"
	OpHTTPDeleteService      Op = "DELETE /nacos/v1/ns/service"
	OpHTTPMetrics            Op = "GET /nacos/v1/ns/operator/metrics"
	OpHTTPGetNamespaces      Op = "GET /nacos/v1/console/namespaces"
	OpHTTPCreateNamespace    Op = "POST /nacos/v1/console/namespaces"
	OpHTTPUpdateNamespace    Op = "PUT /nacos/v1/console/namespaces"
	OpHTTPDeleteNamespace    Op = "DELETE /nacos/v1/console/namespaces"
	OpHTTPReadiness          Op = "GET /nacos/v1/console/health/readiness"
	OpHTTPLiveness           Op = "GET /nacos/v1/console/health/liveness"
	OpHTTPLogin              Op = "POST /nacos/v1/auth/login"
	OpHTTPUsersLogin         Op = "POST /nacos/v1/auth/users/login"
)

// Ops lists every operation FailNext and Delay accept.
func Ops() []Op {
	out := make([]Op, 0, len(rpcHandlers)+len(httpRoutes))
	for _, n := range opNames() {
		out = append(out, Op(n))
	}
	return out
}

func opNames() []string {
	out := slices.Sorted(maps.Keys(rpcHandlers))
	for _, rt := range httpRoutes {
		out = append(out, string(rt.op))
	}
	return out
}

// FailNext makes the next n requests of op on target fail with code and
// returns a handle to watch or remove the rule. n < 0 fails until the rule
// is removed or ResetFaults. An op the fake does not know is an error.
//
// target is the dataId of config operations or the service name of naming
// operations (fault.Any, "", for every request of op). For a gRPC op the
// client gets the request's own typed response with resultCode 500 and
// errorCode code (ServerCheckRequest with a 3xx code makes SDKs believe the
// server is still starting); for an HTTP op code is the HTTP status (500
// when it is not a valid status).
func (s *Server) FailNext(op Op, target string, n int, code int) (*fault.Handle, error) {
	h, err := s.faults.Fail(string(op), target, n, code)
	if err != nil {
		return nil, fmt.Errorf("nacosfake: %w", err)
	}
	return h, nil
}

// Delay makes every request of op (fault.Any for all) wait d before it is
// handled, until the handle is removed or ResetFaults. Delays end when the
// server closes. An op the fake does not know is an error.
func (s *Server) Delay(op Op, d time.Duration) (*fault.Handle, error) {
	h, err := s.faults.Delay(string(op), d)
	if err != nil {
		return nil, fmt.Errorf("nacosfake: %w", err)
	}
	return h, nil
}

// ResetFaults removes every fault rule.
func (s *Server) ResetFaults() { s.faults.Reset() }

// Faults lists the installed fault rules.
func (s *Server) Faults() []fault.Rule { return s.faults.Rules() }

// checkFault applies the fault rules for op: it sleeps an injected delay
// (false when the server closed meanwhile) and reports an injected failure.
// targets is only called when a failure rule is installed.
func (s *Server) checkFault(op string, targets func() []string) (code int, fail bool, ok bool) {
	var ts []string
	if targets != nil && s.faults.Pending() > 0 {
		ts = targets()
	}
	code, fail, delay := s.faults.Check(op, ts...)
	if delay > 0 && !s.faults.Sleep(delay) {
		return 0, false, false
	}
	return code, fail, true
}

package nacosfake

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// rpcErr is a failure a handler reports. asError mirrors handlers that
// throw on the Java server, which answers them with an ErrorResponse.
type rpcErr struct {
	code    int
	msg     string
	asError bool
}

type rpcHandler struct {
	respType string
	module   string // internal (no auth), config or naming (signature flavour)
	fn       func(s *Server, c *conn, p *payload) (map[string]any, *rpcErr)
}

// rpcHandlers maps metadata.type to its typed response and handler. Types not
// listed get ErrorResponse 302 "RequestHandler Not Found" like Nacos.
var rpcHandlers map[string]rpcHandler

func init() {
	rpcHandlers = map[string]rpcHandler{
		"ServerCheckRequest":        {"ServerCheckResponse", "internal", handleServerCheck},
		"HealthCheckRequest":        {"HealthCheckResponse", "internal", handleHealthCheck},
		"ConfigQueryRequest":        {"ConfigQueryResponse", "config", handleConfigQuery},
		"ConfigPublishRequest":      {"ConfigPublishResponse", "config", handleConfigPublish},
		"ConfigRemoveRequest":       {"ConfigRemoveResponse", "config", handleConfigRemove},
		"ConfigBatchListenRequest":  {"ConfigChangeBatchListenResponse", "config", handleConfigBatchListen},
		"InstanceRequest":           {"InstanceResponse", "naming", handleInstance},
		"PersistentInstanceRequest": {"InstanceResponse", "naming", handlePersistentInstance},
		"BatchInstanceRequest":      {"BatchInstanceResponse", "naming", handleBatchInstance},
		"ServiceQueryRequest":       {"QueryServiceResponse", "naming", handleServiceQuery},
		"SubscribeServiceRequest":   {"SubscribeServiceResponse", "naming", handleSubscribe},
		"ServiceListRequest":        {"ServiceListResponse", "naming", handleServiceList},
	}
}

// Nacos error codes used on the gRPC API.
const (
	codeNotFound     = 300 // ConfigQuery: config data not exist; ServerCheck: starting
	codeUnregistered = 301
	codeNoHandler    = 302
	codeBadRequest   = 400
	codeNoRight      = 403
	codeServerError  = 500
	codeBadGateway   = 502
)

func (s *Server) handleRequest(ctx context.Context, p *payload) *payload {
	reqID := requestIDOf(p.Body)
	h, ok := rpcHandlers[p.Type]
	if !ok {
		s.log.Debug("unknown request type", "type", p.Type)
		return errorResponse(reqID, codeNoHandler, "RequestHandler Not Found")
	}
	if !json.Valid(p.Body) || len(p.Body) == 0 || p.Body[0] != '{' {
		return errorResponse(reqID, codeBadGateway, "Invalid request")
	}
	c := connFrom(ctx)
	if c == nil {
		return errorResponse(reqID, codeUnregistered, "Connection is unregistered.")
	}
	if p.Type != "ServerCheckRequest" && !c.isSetUp() {
		// The SDK fires requests right after sending its setup frame on the
		// other stream; wait for it instead of failing like a slow server.
		t := time.NewTimer(s.opts.setupWait)
		select {
		case <-c.setup:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		if !c.isSetUp() {
			return errorResponse(reqID, codeUnregistered, "Connection is unregistered.")
		}
	}
	code, fail, ok := s.checkFault(p.Type, func() []string { return rpcTargets(p.Body) })
	if !ok {
		return errorResponse(reqID, codeServerError, "server is stopping")
	}
	if fail {
		return typedResponse(h.respType, reqID, nil, &rpcErr{code: code, msg: "nacosfake: injected fault"})
	}
	if h.module != "internal" {
		if err := s.checkToken(p.Headers["accessToken"]); err != "" {
			return typedResponse(h.respType, reqID, nil, &rpcErr{code: codeNoRight, msg: err})
		}
		if err := s.checkSignature(h.module, p); err != "" {
			return typedResponse(h.respType, reqID, nil, &rpcErr{code: codeNoRight, msg: err})
		}
	}
	fields, rerr := h.fn(s, c, p)
	s.log.Debug("grpc request", "type", p.Type, "conn", c.id, "failed", rerr != nil)
	if rerr != nil && rerr.asError {
		return errorResponse(reqID, rerr.code, rerr.msg)
	}
	return typedResponse(h.respType, reqID, fields, rerr)
}

// typedResponse builds the handler's own response type; a failure keeps the
// type (the SDK returns typed failures to the caller instead of retrying).
func typedResponse(typ, reqID string, fields map[string]any, err *rpcErr) *payload {
	m := map[string]any{}
	for k, v := range fields {
		m[k] = v
	}
	m["requestId"] = reqID
	if err != nil {
		m["resultCode"], m["errorCode"], m["success"], m["message"] = 500, err.code, false, err.msg
	} else {
		m["resultCode"], m["errorCode"], m["success"] = 200, 0, true
	}
	return &payload{Type: typ, Body: mustJSON(m)}
}

func errorResponse(reqID string, code int, msg string) *payload {
	return &payload{Type: "ErrorResponse", Body: mustJSON(map[string]any{
		"resultCode": 500, "errorCode": code, "success": false, "message": msg, "requestId": reqID,
	})}
}

// rpcTargets are the names a fault rule's target matches in a request:
// the dataId of config requests, the service name of naming requests.
func rpcTargets(body []byte) []string {
	var r struct {
		DataID      string `json:"dataId"`
		ServiceName string `json:"serviceName"`
	}
	_ = json.Unmarshal(body, &r)
	var out []string
	for _, v := range []string{r.DataID, r.ServiceName} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func requestIDOf(body []byte) string {
	var r struct {
		RequestID any `json:"requestId"`
	}
	_ = json.Unmarshal(body, &r)
	switch v := r.RequestID.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own maps are marshalled
	}
	return b
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func itoa(n int) string { return strconv.Itoa(n) }

func handleServerCheck(s *Server, c *conn, _ *payload) (map[string]any, *rpcErr) {
	return map[string]any{"connectionId": c.id, "supportAbilityNegotiation": false}, nil
}

func handleHealthCheck(*Server, *conn, *payload) (map[string]any, *rpcErr) { return nil, nil }

// decodeBody unmarshals a request body; a type mismatch is a bad request.
func decodeBody(p *payload, v any) *rpcErr {
	if err := json.Unmarshal(p.Body, v); err != nil {
		return &rpcErr{code: codeBadGateway, msg: "Invalid request", asError: true}
	}
	return nil
}

package nacosfake

import (
	"time"

	"github.com/brokerkit/brokerkit/fault"
)

// FailNext makes the next n requests of requestType fail with code.
//
// requestType is a gRPC metadata.type ("ConfigQueryRequest",
// "InstanceRequest", ...; "" for all): the client gets the request's own
// typed response with resultCode 500 and errorCode code. ServerCheckRequest
// with a 3xx code makes SDKs believe the server is still starting.
//
// For the HTTP API requestType is "METHOD /path" ("GET /nacos/v1/cs/configs")
// and code is the HTTP status. n < 0 fails until ResetFaults.
func (s *Server) FailNext(requestType string, n int, code int) {
	_, _ = s.faults.Fail(requestType, fault.Any, n, code)
}

// Delay makes every request of requestType (same names as FailNext; "" for
// all) wait d first. d <= 0 removes the delay.
func (s *Server) Delay(requestType string, d time.Duration) { _, _ = s.faults.Delay(requestType, d) }

// ResetFaults removes all fault rules.
func (s *Server) ResetFaults() { s.faults.Reset() }

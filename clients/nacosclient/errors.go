package nacosclient

import (
	"errors"
	"fmt"
	"strings"
)

// Errors callers can test with errors.Is. Others come from the SDK as is.
var (
	// ErrNotFound: the config or service instance does not exist.
	ErrNotFound = errors.New("nacosclient: not found")
	// ErrConflict: a compare-and-swap publish lost (the md5 changed).
	ErrConflict = errors.New("nacosclient: conflict")
	// ErrUnauthenticated: the server rejected the credentials or token.
	ErrUnauthenticated = errors.New("nacosclient: unauthenticated")
	// ErrRateLimited: the SDK refused a Get locally. nacos-sdk-go allows
	// about 5 Gets per second per config in one process (all clients
	// together); retry later or Watch instead of polling.
	ErrRateLimited = errors.New("nacosclient: rate limited by the SDK")
	// ErrRejected: the server refused a write without a reason the SDK
	// passes on (the v2 SDK drops the message of failed naming calls).
	ErrRejected = errors.New("nacosclient: rejected by the server")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("nacosclient: client closed")
)

// where names the server an Endpoint points at, for errors about reaching it.
func (e Endpoint) where() string {
	return fmt.Sprintf("nacos at %s, gRPC port %d", e.Addr(), e.EffectiveGRPCPort())
}

// mapErrAt is mapErr for a client of the server at where: when the SDK says
// only that it is not connected, the error names the server it tried.
func mapErrAt(where, op string, err error) error {
	e := mapErr(op, err)
	if e != nil && strings.Contains(strings.ToLower(err.Error()), "not connected") {
		return fmt.Errorf("%w (%s: not reachable?)", e, where)
	}
	return e
}

// mapErr classifies an SDK error. The SDK only passes on the server's
// message text, so classification is by the messages Nacos 2.x sends.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	msg := strings.ToLower(err.Error())
	var kind error
	switch {
	case strings.Contains(msg, "configqueryrequest is limited"):
		kind = ErrRateLimited
	case strings.Contains(msg, "cas publish fail"), strings.Contains(msg, "md5 may have changed"):
		kind = ErrConflict
	case strings.Contains(msg, "403"), strings.Contains(msg, "validate identity"), strings.Contains(msg, "unknown user"),
		strings.Contains(msg, "user not found"), strings.Contains(msg, "token invalid"), strings.Contains(msg, "token expired"),
		strings.Contains(msg, "no permission"), strings.Contains(msg, "authorization failed"):
		kind = ErrUnauthenticated
	case strings.Contains(msg, "not exist"), strings.Contains(msg, "not found"), strings.Contains(msg, "no ips found"),
		strings.Contains(msg, "instance list is empty"), strings.Contains(msg, "healthy instance list is empty"):
		kind = ErrNotFound
	}
	if kind == nil {
		return fmt.Errorf("nacosclient: %s: %w", op, err)
	}
	return fmt.Errorf("%w: %s: %v", kind, op, err)
}

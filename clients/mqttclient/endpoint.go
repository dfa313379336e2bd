package mqttclient

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Endpoint is how to reach and log in to a broker.
type Endpoint struct {
	// URLs are tried in order: mqtt:// (or tcp://), mqtts:// (or tls://,
	// ssl://), ws://, wss://; a bare host:port means mqtt://.
	URLs     []string
	Username string
	Password string
	TLS      *tls.Config // for mqtts:// and wss://

	ClientID string // "" picks a unique one

	// ResumeSession sends CleanStart=0 on the first connection, to pick up a
	// session the broker kept. Reconnects always resume.
	ResumeSession bool
	// SessionExpiry keeps the session on the broker this long after a
	// disconnect (0: it ends with the connection).
	SessionExpiry time.Duration

	KeepAlive      time.Duration // default 30s
	ConnectTimeout time.Duration // per attempt; default 10s
	// MaxReconnectDelay caps the reconnect backoff, which starts at 10ms
	// (default 1s; autopaho's own default is a constant 10s).
	MaxReconnectDelay time.Duration
}

func (e Endpoint) urls() ([]*url.URL, error) {
	if len(e.URLs) == 0 {
		return nil, fmt.Errorf("mqttclient: endpoint has no URL")
	}
	out := make([]*url.URL, 0, len(e.URLs))
	for _, s := range e.URLs {
		if !strings.Contains(s, "://") {
			s = "mqtt://" + s
		}
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("mqttclient: bad URL %q: %w", s, err)
		}
		switch strings.ToLower(u.Scheme) {
		case "mqtt", "tcp", "mqtts", "tls", "ssl", "ws", "wss":
		default:
			return nil, fmt.Errorf("mqttclient: unsupported scheme in %q", s)
		}
		out = append(out, u)
	}
	return out, nil
}

func (e Endpoint) clientID() string {
	if e.ClientID != "" {
		return e.ClientID
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "brokerkit-" + hex.EncodeToString(b)
}

// backoff: 0 before the first attempt, then 10ms doubling up to max.
func backoff(max time.Duration) func(int) time.Duration {
	if max <= 0 {
		max = time.Second
	}
	return func(attempt int) time.Duration {
		if attempt == 0 {
			return 0
		}
		d := 10 * time.Millisecond << min(attempt-1, 20)
		return min(d, max)
	}
}

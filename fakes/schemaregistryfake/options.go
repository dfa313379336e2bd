package schemaregistryfake

import (
	"fmt"
	"log/slog"
	"net"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	addr    string
	users   map[string]string
	logger  *slog.Logger
	dataDir string
	err     error
}

func defaults() config {
	return config{addr: "127.0.0.1:0", logger: slog.New(slog.DiscardHandler)}
}

// WithAddr sets the listen address (default "127.0.0.1:0", a free port;
// Confluent's own default port is 8081).
func WithAddr(hostport string) Option {
	return func(c *config) {
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			c.err = fmt.Errorf("schemaregistryfake: WithAddr(%q): %w", hostport, err)
			return
		}
		c.addr = hostport
	}
}

// WithUser requires HTTP Basic auth, as the registry's
// authentication.method=BASIC does; repeat it for more users. Requests
// without valid credentials get 401 {"error_code":401}.
func WithUser(name, password string) Option {
	return func(c *config) {
		if c.users == nil {
			c.users = map[string]string{}
		}
		c.users[name] = password
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithDataDir keeps the registry's schemas, subjects and compatibility
// levels in dir (created if missing, locked while the server runs), so a
// new server on the same dir starts where the last one stopped. Every
// change is written before it is answered.
func WithDataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

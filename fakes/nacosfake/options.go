package nacosfake

import (
	"crypto/tls"
	"log/slog"
	"strings"
	"time"
)

// Well-known Nacos ports, for `brokerkit up`-style fixed addresses.
const (
	DefaultHTTPPort = 8848
	GRPCPortOffset  = 1000 // gRPC port = HTTP port + offset, as clients assume
)

// Option configures a Server.
type Option func(*options)

type options struct {
	httpAddr, grpcAddr string
	logger             *slog.Logger
	tls                *tls.Config
	username, password string
	accessKey, secret  string
	tokenTTL           time.Duration
	dataDir            string
	now                func() time.Time
	pushDelay          time.Duration
	configPushDelay    time.Duration
	checkInterval      time.Duration
	maxContent         int
	contextPath        string
	ackTimeout         time.Duration
	setupWait          time.Duration
}

func defaultOptions() options {
	return options{
		httpAddr:        "127.0.0.1:0",
		logger:          slog.New(slog.DiscardHandler),
		tokenTTL:        18000 * time.Second,
		now:             time.Now,
		pushDelay:       100 * time.Millisecond,
		configPushDelay: 20 * time.Millisecond,
		checkInterval:   5 * time.Second,
		maxContent:      10 * 1024 * 1024,
		setupWait:       2 * time.Second,
		contextPath:     "/nacos",
		ackTimeout:      3 * time.Second,
	}
}

// WithAddr sets the HTTP listen address. With port 0 (the default,
// "127.0.0.1:0") the server picks a free port P such that P+1000 is free too
// and serves gRPC there, as Nacos does.
func WithAddr(httpAddr string) Option { return func(o *options) { o.httpAddr = httpAddr } }

// WithGRPCAddr sets an explicit gRPC address instead of HTTP port + 1000.
func WithGRPCAddr(addr string) Option { return func(o *options) { o.grpcAddr = addr } }

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTLS serves both HTTP and gRPC over TLS with cfg.
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithAuth turns on Nacos authentication with one user. Clients log in via
// /nacos/v1/auth/login and send the accessToken; anything else gets 403.
func WithAuth(username, password string) Option {
	return func(o *options) { o.username, o.password = username, password }
}

// WithTokenTTL sets the lifetime of login tokens (Nacos default 18000 s).
func WithTokenTTL(d time.Duration) Option { return func(o *options) { o.tokenTTL = d } }

// WithDataDir persists configs and persistent instances as JSON in dir and
// loads them at start.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithClock sets the time source for heartbeat expiry and token lifetimes.
// Advance shifts it further.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithPushDelay sets the naming push debounce (Nacos: 500 ms; default 100 ms
// so tests run fast).
func WithPushDelay(d time.Duration) Option { return func(o *options) { o.pushDelay = d } }

// WithHealthCheckInterval sets how often (in real time) beat expiry is
// checked (Nacos: 5 s). Advance always checks at once.
func WithHealthCheckInterval(d time.Duration) Option {
	return func(o *options) { o.checkInterval = d }
}

// WithMaxContentSize sets the config content limit (Nacos: 10 MiB).
func WithMaxContentSize(n int) Option { return func(o *options) { o.maxContent = n } }

// WithAccessKey requires Alibaba-Cloud-style ak/sk signatures on gRPC config
// and naming requests (Spas-AccessKey/Timestamp/Spas-Signature headers for
// config, ak/data/signature for naming: base64 HMAC-SHA1 with the secret).
func WithAccessKey(accessKey, secretKey string) Option {
	return func(o *options) { o.accessKey, o.secret = accessKey, secretKey }
}

// WithContextPath serves the HTTP API under path instead of "/nacos" ("" or
// "/" for the root), like server.servlet.contextPath. Fault names keep the
// "/nacos" prefix.
func WithContextPath(path string) Option {
	return func(o *options) { o.contextPath = "/" + strings.Trim(path, "/") }
}

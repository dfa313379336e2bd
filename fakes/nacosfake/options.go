package nacosfake

import (
	"crypto/tls"
	"log/slog"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/clock"
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
	genTLS             bool // WithTLS: make a CA and a server certificate
	users              map[string]string
	accessKey, secret  string
	tokenTTL           time.Duration
	dataDir            string
	syncWrites         bool
	clock              clock.Clock
	pushDelay          time.Duration
	configPushDelay    time.Duration
	checkInterval      time.Duration
	maxContent         int
	contextPath        string
	ackTimeout         time.Duration
	resyncAfter        time.Duration // config_resync.go
	setupWait          time.Duration
	httpTimeout        time.Duration // HTTP: body read and keep-alive idle limit
	listCacheTTL       time.Duration
	grpcHandshake      time.Duration
	hintUnlistened     bool // WithListenHints
	clientBeat         time.Duration
}

func defaultOptions() options {
	return options{
		httpAddr:        "127.0.0.1:0",
		logger:          slog.New(slog.DiscardHandler),
		tokenTTL:        18000 * time.Second,
		clock:           clock.System(),
		pushDelay:       100 * time.Millisecond,
		configPushDelay: 20 * time.Millisecond,
		checkInterval:   5 * time.Second,
		maxContent:      10 * 1024 * 1024,
		setupWait:       2 * time.Second,
		contextPath:     "/nacos",
		ackTimeout:      3 * time.Second,
		resyncAfter:     500 * time.Millisecond,
		httpTimeout:     60 * time.Second,
		listCacheTTL:    10 * time.Second,
		grpcHandshake:   120 * time.Second,
		hintUnlistened:  true,
		clientBeat:      5 * time.Second,
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

// WithTLS serves both HTTP and gRPC over TLS with a certificate from a
// throw-away CA made at New (for 127.0.0.1, ::1 and localhost); clients
// trust it through Server.ClientTLSConfig or Server.CACertPEM.
func WithTLS() Option { return func(o *options) { o.genTLS, o.tls = true, nil } }

// WithTLSConfig serves both HTTP and gRPC over TLS with the caller's cfg
// (ClientTLSConfig and CACertPEM then return nil: the caller has the CA).
func WithTLSConfig(cfg *tls.Config) Option { return func(o *options) { o.tls, o.genTLS = cfg, false } }

// WithUser turns on Nacos authentication and adds a user; repeat it for
// more users. Clients log in via /nacos/v1/auth/login (or send
// username/password on every HTTP request, as the npm client does) and send
// the accessToken; anything else gets 403.
func WithUser(name, password string) Option {
	return func(o *options) {
		if o.users == nil {
			o.users = map[string]string{}
		}
		o.users[name] = password
	}
}

// WithTokenTTL sets the lifetime of login tokens (Nacos default 18000 s).
func WithTokenTTL(d time.Duration) Option { return func(o *options) { o.tokenTTL = d } }

// WithDataDir keeps configs, persistent instances, services created through
// the console API and namespaces in dir and loads them at start. It is
// write-through: every change is appended to a log before the client is
// answered, and the log is compacted into a snapshot as it grows. The
// directory is locked against a second process; a torn log tail left by a
// crash is cut at start.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithSyncWrites fsyncs every change WithDataDir logs before the client is
// answered (off by default: a killed process then loses nothing, a power
// cut may lose the last changes).
func WithSyncWrites() Option { return func(o *options) { o.syncWrites = true } }

// WithClock sets the clock for heartbeat expiry (the periodic beat check
// is a timer on it), token lifetimes, UDP subscription lifetimes and config
// lastModified. With a clock.Manual, Advance past the beat timeouts and the
// check runs at once (in its own goroutine: wait for the result). Push
// debounce and ack timeouts stay on real time: they pace the network.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithCacheMillis sets the cacheMillis of instance lists: how often HTTP
// clients (the v1 SDKs) poll a service they hold. Nacos answers its
// defaultCacheMillis switch, 10 s; a test that moves a WithClock past beat
// timeouts can lower it so those clients see the result sooner.
func WithCacheMillis(d time.Duration) Option { return func(o *options) { o.listCacheTTL = d } }

// WithClientBeatInterval sets the clientBeatInterval that beat replies
// give HTTP clients, Nacos's switch of that name (default 5 s): v1 SDKs beat
// at that period from the first reply on.
func WithClientBeatInterval(d time.Duration) Option { return func(o *options) { o.clientBeat = d } }

// WithListenHints(false) notifies registered listeners only, as Nacos does.
// By default a config change is also pushed to the namespace's config
// connections that have not sent their first listen yet, so a watch added
// with nacos-sdk-go v2's ListenConfig sees a change at once rather than at
// the SDK's next 5 s listen tick. Clients ignore pushes for keys they do
// not watch.
func WithListenHints(on bool) Option { return func(o *options) { o.hintUnlistened = on } }

// WithPushDelay sets the naming push debounce (Nacos: 500 ms; default 100 ms
// so tests run fast).
func WithPushDelay(d time.Duration) Option { return func(o *options) { o.pushDelay = d } }

// WithHealthCheckInterval sets how often (on the server clock) beat expiry
// is checked (Nacos: 5 s).
func WithHealthCheckInterval(d time.Duration) Option {
	return func(o *options) { o.checkInterval = d }
}

// WithMaxContentSize sets the config content limit (Nacos: 10 MiB).
func WithMaxContentSize(n int) Option { return func(o *options) { o.maxContent = n } }

// WithAccessKey requires Alibaba-Cloud-style ak/sk signatures on config
// and naming requests, gRPC and HTTP (Spas-AccessKey/Timestamp/
// Spas-Signature headers for config, ak/data/signature headers on gRPC and
// parameters on HTTP for naming: base64 HMAC-SHA1 with the secret).
func WithAccessKey(accessKey, secretKey string) Option {
	return func(o *options) { o.accessKey, o.secret = accessKey, secretKey }
}

// WithContextPath serves the HTTP API under path instead of "/nacos" ("" or
// "/" for the root), like server.servlet.contextPath. Fault names keep the
// "/nacos" prefix.
func WithContextPath(path string) Option {
	return func(o *options) { o.contextPath = "/" + strings.Trim(path, "/") }
}

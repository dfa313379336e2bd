package pulsarfake

import (
	"crypto"
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/brokerkit/brokerkit/clock"
)

// Option configures a Server.
type Option func(*options)

type options struct {
	addr, adminAddr   string
	noAdmin           bool
	autoCreate        bool
	autoPartitions    int
	retentionEntries  int
	retentionBytes    int64
	maxMessageSize    int
	maxPartitions     int
	clock             clock.Clock
	keepAlive         time.Duration
	httpTimeout       time.Duration // admin HTTP: body read and keep-alive idle limit
	dataDir           string
	syncWrites        bool
	compactAt         int64 // log size that triggers a snapshot (tests lower it)
	logger            *slog.Logger
	tokens            map[string]string // token -> role
	users             map[string]string // basic auth: user -> password
	jwtSecret         []byte
	jwtPublicKey      crypto.PublicKey
	authRequired      bool
	txnCoordinators   int
	clusterName       string
	advertisedAddress string
	oauth2Clients     map[string]string // client ID -> secret, for the built-in issuer
	dedup             bool              // broker default for message deduplication
	genTLS            bool              // WithTLS: certificates from a generated CA
	tlsConfig         *tls.Config       // WithTLSConfig
	tlsAddr           string
	adminTLSAddr      string
	tlsAuth           bool     // AuthenticationProviderTls
	anonymousRole     string   // anonymousUserRole
	authorization     bool     // authorizationEnabled
	superUsers        []string // superUserRoles
}

func defaultOptions() options {
	return options{
		addr:             "127.0.0.1:0",
		adminAddr:        "127.0.0.1:0",
		autoCreate:       true,
		retentionEntries: 1_000_000,
		retentionBytes:   256 << 20,
		maxMessageSize:   5 << 20,
		maxPartitions:    10000,
		clock:            clock.System(),
		keepAlive:        30 * time.Second,
		httpTimeout:      30 * time.Second,
		logger:           slog.New(slog.DiscardHandler),
		txnCoordinators:  1,
		clusterName:      "standalone",
		compactAt:        4 << 20,
		tlsAddr:          "127.0.0.1:0",
		adminTLSAddr:     "127.0.0.1:0",
	}
}

// WithAddr sets the binary-protocol listen address (default 127.0.0.1:0;
// the CLI uses :6650).
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithAdminAddr sets the admin REST listen address (default 127.0.0.1:0;
// the CLI uses :8080).
func WithAdminAddr(addr string) Option { return func(o *options) { o.adminAddr = addr } }

// WithoutAdmin disables the admin REST listener.
func WithoutAdmin() Option { return func(o *options) { o.noAdmin = true } }

// WithAdvertisedAddress sets the host:port that LOOKUP answers send
// clients to (default: the listener's address).
func WithAdvertisedAddress(hostport string) Option {
	return func(o *options) { o.advertisedAddress = hostport }
}

// WithAutoTopicCreation switches topic auto-creation (on by default, as in
// a standalone broker). When off, producers and consumers of a topic that
// was not created through the admin API or CreateTopic fail with
// TopicNotFound, like a broker with allowAutoTopicCreation=false.
func WithAutoTopicCreation(on bool) Option { return func(o *options) { o.autoCreate = on } }

// WithAutoCreatedPartitions makes auto-created topics partitioned with n
// partitions (allowAutoTopicCreationType=partitioned, defaultNumPartitions=n).
func WithAutoCreatedPartitions(n int) Option { return func(o *options) { o.autoPartitions = n } }

// WithRetention bounds what a topic (partition) keeps: at most maxEntries
// stored entries (a batch is one entry) and maxBytes of payload; the oldest
// entries are dropped first, acknowledged or not. Zero keeps the default
// (1,000,000 entries, 256 MiB); a negative value removes that bound.
func WithRetention(maxEntries int, maxBytes int64) Option {
	return func(o *options) {
		if maxEntries != 0 {
			o.retentionEntries = maxEntries
		}
		if maxBytes != 0 {
			o.retentionBytes = maxBytes
		}
	}
}

// WithMaxPartitions caps the partitions of a partitioned topic, as the
// broker's maxNumPartitionsPerPartitionedTopic does: more is refused with 406
// "Number of partitions should be less than or equal to n". The broker's
// default is no cap (it creates partitions lazily); the fake creates them
// up front, so its default is 10,000. n <= 0 removes the cap.
func WithMaxPartitions(n int) Option { return func(o *options) { o.maxPartitions = n } }

// WithMaxMessageSize sets the maxMessageSize announced in CONNECTED and
// enforced on inbound frames (default 5 MiB).
func WithMaxMessageSize(n int) Option { return func(o *options) { o.maxMessageSize = n } }

// WithClock replaces the clock the fake reads and schedules with: delayed
// delivery, transaction timeouts, publish times of seeded messages,
// time-based seeks and OAuth2 token expiry (default clock.System()). With a
// clock.Manual, delayed messages become deliverable when Advance or Set
// passes their delivery time. Keep-alive pings and client-side timers
// (nack delay, ack grouping) run on the wall clock.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithKeepAlive sets how often the broker pings idle connections; a
// connection that sends nothing for twice that long is closed (default 30s).
func WithKeepAlive(d time.Duration) Option { return func(o *options) { o.keepAlive = d } }

// WithDataDir keeps topics with their messages, durable subscriptions with
// their cursors, partitioned topics, schemas, tenants, namespaces and
// deduplication state in dir and loads them at start. It is write-through:
// every change is appended to a log before the client is answered (a
// stored message before its SEND_RECEIPT, an acknowledgement before the
// next command), and the log is compacted into a snapshot as it grows and
// on Close and Restart. The directory is locked against a second process;
// a torn log tail left by a crash is cut at start.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithSyncWrites fsyncs every change WithDataDir logs before the client is
// answered (off by default: a killed process then loses nothing, a power
// cut may lose the last changes).
func WithSyncWrites() Option { return func(o *options) { o.syncWrites = true } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTokens enables token authentication with a static list: each token
// is accepted as is and its role is the token itself. Combine with
// WithJWTSecret / WithJWTPublicKey to also accept signed tokens.
func WithTokens(tokens ...string) Option {
	return func(o *options) {
		if o.tokens == nil {
			o.tokens = map[string]string{}
		}
		for _, t := range tokens {
			o.tokens[t] = t
		}
		o.authRequired = true
	}
}

// WithUser enables the broker's basic authentication provider
// (authenticationProviders=AuthenticationProviderBasic) and adds a user;
// repeat it for more users. Clients authenticate with
// pulsar.NewAuthenticationBasic(name, password) and the admin API with
// HTTP Basic auth; the role is the user name. It combines with the token
// options: a client may use either method.
func WithUser(name, password string) Option {
	return func(o *options) {
		if o.users == nil {
			o.users = map[string]string{}
		}
		o.users[name] = password
		o.authRequired = true
	}
}

// WithJWTSecret enables token authentication with HS256/HS384/HS512 JWTs
// signed with key (the broker's tokenSecretKey). The role is the "sub"
// claim; "exp" is honoured.
func WithJWTSecret(key []byte) Option {
	return func(o *options) { o.jwtSecret = key; o.authRequired = true }
}

// WithJWTPublicKey enables token authentication with RS256/ES256-style JWTs
// verified with key (*rsa.PublicKey or *ecdsa.PublicKey, the broker's
// tokenPublicKey).
func WithJWTPublicKey(key crypto.PublicKey) Option {
	return func(o *options) { o.jwtPublicKey = key; o.authRequired = true }
}

// WithTransactionCoordinators sets how many transaction coordinators
// (partitions of pulsar/system/transaction_coordinator_assign) exist;
// 0 disables transactions (default 1).
func WithTransactionCoordinators(n int) Option { return func(o *options) { o.txnCoordinators = n } }

// WithTLS adds TLS listeners next to the plaintext ones: the binary
// protocol (pulsar+ssl://, the broker's brokerServicePortTls) and the admin
// and lookup HTTP API (https://, webServicePortTls), both on 127.0.0.1:0
// unless WithTLSAddr / WithAdminTLSAddr say otherwise. Their certificate
// comes from a throw-away CA; ClientTLSConfig, CACertPEM and WriteCACert
// give clients the trust root, IssueClientCert client certificates.
func WithTLS() Option { return func(o *options) { o.genTLS = true } }

// WithTLSConfig adds the TLS listeners of WithTLS with cfg instead of a
// generated CA (the broker's tlsCertificateFilePath/tlsKeyFilePath, and
// tlsTrustCertsFilePath as cfg.ClientCAs with a ClientAuth mode for client
// certificates).
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *options) { o.tlsConfig, o.genTLS = cfg, false }
}

// WithTLSAddr sets the pulsar+ssl listen address (the CLI uses :6651).
func WithTLSAddr(addr string) Option { return func(o *options) { o.tlsAddr = addr } }

// WithAdminTLSAddr sets the https admin listen address (the CLI uses
// :8443).
func WithAdminTLSAddr(addr string) Option { return func(o *options) { o.adminTLSAddr = addr } }

// WithTLSAuth enables the broker's TLS authentication provider
// (AuthenticationProviderTls): a client that presents a certificate the
// server trusts authenticates with method "tls" (and on the admin API by
// the certificate alone); its role is the certificate's common name.
func WithTLSAuth() Option { return func(o *options) { o.tlsAuth, o.authRequired = true, true } }

// WithAnonymousRole lets clients that send no credentials in while
// authentication is on, with this role (the broker's anonymousUserRole).
// Credentials that are sent and wrong are still refused.
func WithAnonymousRole(role string) Option { return func(o *options) { o.anonymousRole = role } }

// WithAuthorization turns on the broker's authorization
// (authorizationEnabled=true, superUserRoles=superUsers): a client may
// produce or subscribe only as a superuser, an admin role of the topic's
// tenant, or with the action granted to its role on the namespace or the
// topic through the admin API (permissions/{role}); a subscription with a
// role list (permissions/subscription/{sub}) admits only those roles.
// Lookups need either action. Anything else is refused with
// AuthorizationError; the admin API is not authorized. Off by default, as in a
// standalone broker, where authenticated roles may do everything.
func WithAuthorization(superUsers ...string) Option {
	return func(o *options) { o.authorization, o.superUsers = true, append(o.superUsers, superUsers...) }
}

package kafkafake

import (
	"crypto/tls"
	"log/slog"
)

// Mechanism is a SASL mechanism the fake accepts.
type Mechanism string

// SASL mechanisms, spelled as on the wire.
const (
	Plain       Mechanism = "PLAIN"
	ScramSHA256 Mechanism = "SCRAM-SHA-256"
	ScramSHA512 Mechanism = "SCRAM-SHA-512"
)

// User is a SASL identity the fake accepts.
type User struct {
	Mechanism Mechanism
	Name      string
	Password  string
}

// Option configures a Server.
type Option func(*config)

type config struct {
	host           string // bind host
	advertisedHost string // host written into Metadata; "" means host
	ports          []int  // fixed ports, one per broker; nil means :0
	brokers        int
	seeds          []seedTopic
	autoCreate     bool
	autoPartitions int32
	users          []User
	tls            bool
	tlsConfig      *tls.Config
	dataDir        string
	restartable    bool
	maxFrame       int32
	logger         *slog.Logger
	brokerConfigs  map[string]string
	clusterID      string
}

type seedTopic struct {
	name       string
	partitions int32
}

func defaults() config {
	return config{
		host:           "127.0.0.1",
		brokers:        1,
		autoPartitions: 1, // Kafka's num.partitions
		maxFrame:       100 << 20,
		logger:         slog.New(slog.DiscardHandler),
	}
}

// WithHost binds the listeners to host (default 127.0.0.1). Use 0.0.0.0
// together with WithAdvertisedHost to serve clients in containers.
func WithHost(host string) Option { return func(c *config) { c.host = host } }

// WithAdvertisedHost sets the host the fake tells clients to dial in Metadata
// and FindCoordinator answers, e.g. "host.docker.internal" or the Docker
// bridge gateway, so a client in a container can reach an in-process fake.
func WithAdvertisedHost(host string) Option { return func(c *config) { c.advertisedHost = host } }

// WithPorts fixes the broker ports; it also sets the broker count to
// len(ports). The default is one broker on a free port.
func WithPorts(ports ...int) Option {
	return func(c *config) { c.ports = append([]int(nil), ports...); c.brokers = len(ports) }
}

// WithBrokers runs n brokers (default 1) on free ports.
func WithBrokers(n int) Option { return func(c *config) { c.brokers = n; c.ports = nil } }

// WithTopic creates topic with the given number of partitions at start.
// Topics kept in a data dir are not re-created.
func WithTopic(name string, partitions int32) Option {
	return func(c *config) { c.seeds = append(c.seeds, seedTopic{name, partitions}) }
}

// WithAutoCreateTopics makes Metadata requests for unknown topics create them
// with the given number of partitions, like Kafka's
// auto.create.topics.enable=true with num.partitions. It is honoured for every
// Metadata version, including v0–v3 that carry no flag (Kafka treats them as
// "allow"). Off by default, so tests notice a missing topic.
func WithAutoCreateTopics(partitions int32) Option {
	return func(c *config) {
		c.autoCreate = true
		if partitions > 0 {
			c.autoPartitions = partitions
		}
	}
}

// WithSASL requires SASL authentication and accepts these users. Clients may
// use SaslHandshake v1 + SaslAuthenticate, or the pre-KIP-152 v0 handshake
// followed by raw tokens, as a Kafka 3.x broker allows.
func WithSASL(users ...User) Option {
	return func(c *config) { c.users = append(c.users, users...) }
}

// WithTLS serves TLS with a certificate from a throw-away CA generated at
// start; Server.ClientTLS and Server.CACertPEM give clients the trust root.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithTLSConfig serves TLS with the given server configuration.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) { c.tls = true; c.tlsConfig = cfg }
}

// WithDataDir keeps topics, records and committed offsets in dir, so a new
// Server on the same dir starts where the last one stopped, and Restart
// keeps them. Without it (and without WithRestartable) data lives only in
// memory.
func WithDataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

// WithRestartable lets Restart keep the data without a data dir of yours:
// the fake writes it to a private temporary directory (on tmpfs where there
// is one) that Close removes. It costs a few milliseconds at start and stop,
// which is why it is not the default.
func WithRestartable() Option { return func(c *config) { c.restartable = true } }

// WithMaxFrameSize sets the largest request frame accepted, like Kafka's
// socket.request.max.bytes (default 100 MiB). Larger frames close the
// connection, as Kafka does.
func WithMaxFrameSize(n int32) Option { return func(c *config) { c.maxFrame = n } }

// WithLogger sends the fake's logs to l (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithBrokerConfig sets a broker config, e.g. "message.max.bytes".
func WithBrokerConfig(key, value string) Option {
	return func(c *config) {
		if c.brokerConfigs == nil {
			c.brokerConfigs = map[string]string{}
		}
		c.brokerConfigs[key] = value
	}
}

// WithClusterID fixes the cluster ID reported to clients.
func WithClusterID(id string) Option { return func(c *config) { c.clusterID = id } }

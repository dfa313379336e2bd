package kafkafake

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
)

// Mechanism is a SASL mechanism the fake accepts.
type Mechanism string

// SASL mechanisms, spelled as on the wire.
const (
	Plain       Mechanism = "PLAIN"
	ScramSHA256 Mechanism = "SCRAM-SHA-256"
	ScramSHA512 Mechanism = "SCRAM-SHA-512"
)

// User is a SASL identity the fake accepts, with every enabled mechanism.
type User struct {
	Name     string
	Password string
}

// Option configures a Server.
type Option func(*config)

type config struct {
	host           string // bind host
	advertisedHost string // host written into Metadata; "" means host
	port           int    // first broker's port; 0 means a free one
	brokers        int
	seeds          []seedTopic
	autoCreate     bool
	autoPartitions int32
	users          []User
	mechanisms     []Mechanism
	tls            bool
	tlsConfig      *tls.Config
	dataDir        string
	syncWrites     bool
	maxFrame       int32
	logger         *slog.Logger
	brokerConfigs  map[string]string
	clusterID      string
	oauth          *oauth2fake.Verifier
	err            error // from an option, reported by New

	schemaRegistry []schemaregistryfake.Option // nil: no registry
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

// WithAddr binds the first broker to hostport (default "127.0.0.1:0", a
// free port); further brokers (WithBrokers) bind the same host on free ports.
// Use "0.0.0.0:9092" together with WithAdvertisedHost to serve clients in
// containers.
func WithAddr(hostport string) Option {
	return func(c *config) {
		host, port, err := net.SplitHostPort(hostport)
		if err != nil {
			c.err = fmt.Errorf("kafkafake: WithAddr(%q): %w", hostport, err)
			return
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			c.err = fmt.Errorf("kafkafake: WithAddr(%q): bad port", hostport)
			return
		}
		if host == "" {
			host = "127.0.0.1"
		}
		c.host, c.port = host, p
	}
}

// WithAdvertisedHost sets the host the fake tells clients to dial in Metadata
// and FindCoordinator answers, e.g. "host.docker.internal" or the Docker
// bridge gateway, so a client in a container can reach an in-process fake.
func WithAdvertisedHost(host string) Option { return func(c *config) { c.advertisedHost = host } }

// WithBrokers runs n brokers (default 1); the first listens on WithAddr's
// address, the others on free ports of the same host.
func WithBrokers(n int) Option { return func(c *config) { c.brokers = n } }

// WithTopic creates topic with the given number of partitions at start.
// Topics kept in a data dir are not re-created. A name Kafka would refuse
// (see ValidateTopicName) makes New fail.
func WithTopic(name string, partitions int32) Option {
	return func(c *config) {
		if err := ValidateTopicName(name); err != nil && c.err == nil {
			c.err = fmt.Errorf("kafkafake: WithTopic: %w", err)
		}
		c.seeds = append(c.seeds, seedTopic{name, partitions})
	}
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

// WithUser requires SASL authentication and accepts name/password with every
// enabled mechanism (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 unless
// WithSASLMechanisms narrows them). It may be given several times. Clients
// may use SaslHandshake v1 + SaslAuthenticate, or the pre-KIP-152 v0
// handshake followed by raw tokens, as a Kafka 3.x broker allows.
func WithUser(name, password string) Option {
	return func(c *config) { c.users = append(c.users, User{Name: name, Password: password}) }
}

// WithSASLMechanisms limits the SASL mechanisms the fake offers and accepts
// (default: all three). It matters only together with WithUser.
func WithSASLMechanisms(ms ...Mechanism) Option {
	return func(c *config) { c.mechanisms = append([]Mechanism(nil), ms...) }
}

// WithTLS serves TLS with a certificate from a throw-away CA generated at
// start; Server.ClientTLS and Server.CACertPEM give clients the trust root.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithTLSConfig serves TLS with the given server configuration.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) { c.tls = true; c.tlsConfig = cfg }
}

// WithDataDir keeps topics, records and committed offsets in dir, so a new
// Server on the same dir starts where the last one stopped. kfake writes
// every acknowledged produce, commit and topic change to its segment files
// in dir before answering (fsynced with WithSyncWrites); the dir is locked
// against a second process. Without it the data lives in a private
// temporary directory (tmpfs where there is one) that Close removes; Restart
// keeps the data either way.
func WithDataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

// WithSyncWrites fsyncs every write to the data dir before the client is
// answered (default: the page cache, as Kafka's log.flush defaults do).
func WithSyncWrites() Option { return func(c *config) { c.syncWrites = true } }

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

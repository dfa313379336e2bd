package kafkafake

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
	"github.com/brokerkit/brokerkit/fault"
	"github.com/brokerkit/brokerkit/internal/conntrack"
	"github.com/brokerkit/brokerkit/internal/datadir"
	"github.com/brokerkit/brokerkit/internal/tlsca"
)

// Server is an in-process Kafka cluster. Create it with New and stop it with
// Close. All methods are safe for concurrent use.
type Server struct {
	cfg     config
	ca      *tlsca.CA
	tlsCfg  *tls.Config
	shim    *shimConfig
	conns   conntrack.Tracker
	dataDir string
	lock    *datadir.Dir // WithDataDir's lock; nil for the private dir
	ops     []kmsg.Key   // the API keys kfake serves, for FailNext and Delay

	mu        sync.Mutex
	cluster   *kfake.Cluster
	listeners []*listener
	ports     []int
	closed    bool
	inspector *inspector
	faults    []*kfault
	registry  *schemaregistryfake.Server // WithSchemaRegistry
}

// New starts a cluster. By default it is one broker on 127.0.0.1 on a free
// port, with no auth, no TLS and auto-create off.
func New(opts ...Option) (s *Server, err error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.brokers < 1 {
		return nil, errors.New("kafkafake: need at least one broker")
	}
	s = &Server{
		cfg:  cfg,
		shim: &shimConfig{maxFrame: cfg.maxFrame, delays: &fault.Injector[int16]{}, logger: cfg.logger},
		ops:  servedKeys(),
	}
	names := make([]string, len(s.ops))
	for i, k := range s.ops {
		names[i] = k.Name()
	}
	s.shim.delays.SetOps(names...)
	if s.shim.idle, err = idleTimeout(cfg.brokerConfigs); err != nil {
		return nil, err
	}
	if len(cfg.users) > 0 || cfg.oauth != nil {
		ms := cfg.mechanisms
		if len(ms) == 0 && len(cfg.users) > 0 {
			ms = []Mechanism{Plain, ScramSHA256, ScramSHA512}
		}
		for _, m := range ms {
			s.shim.mechanisms = append(s.shim.mechanisms, string(m))
		}
		if cfg.oauth != nil {
			s.shim.oauth = cfg.oauth
			s.shim.mechanisms = append(s.shim.mechanisms, string(OAuthBearer))
		}
		s.shim.preAuthMax = defaultSASLMaxReceiveSize
		if v, ok := cfg.brokerConfigs[saslMaxReceiveSizeConfig]; ok {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("kafkafake: %s=%q: want a positive 32-bit integer", saslMaxReceiveSizeConfig, v)
			}
			s.shim.preAuthMax = int32(n)
		}
	}
	if cfg.tls {
		if err := s.setupTLS(); err != nil {
			return nil, err
		}
	}
	if cfg.dataDir != "" {
		if s.lock, err = datadir.Open(cfg.dataDir); err != nil {
			return nil, fmt.Errorf("kafkafake: %w", err)
		}
		s.dataDir = cfg.dataDir
		if err := dropInvalidPersistedTopics(s.dataDir, cfg.logger); err != nil {
			cfg.logger.Error("kafkafake: data dir: checking topics.json", "error", err)
		}
	} else {
		// kfake keeps data across a restart only through a directory.
		if s.dataDir, err = os.MkdirTemp(tempRoot(), "kafkafake-*"); err != nil {
			return nil, err
		}
	}
	if err := s.startSchemaRegistry(); err != nil {
		s.releaseDir()
		return nil, err
	}
	if err := s.start(); err != nil {
		s.closeSchemaRegistry()
		s.releaseDir()
		return nil, err
	}
	return s, nil
}

func (s *Server) setupTLS() error {
	if s.cfg.tlsConfig != nil {
		s.tlsCfg = s.cfg.tlsConfig
		return nil
	}
	ca, err := tlsca.New()
	if err != nil {
		return err
	}
	hosts := []string{s.cfg.host}
	if s.cfg.advertisedHost != "" {
		hosts = append(hosts, s.cfg.advertisedHost)
	}
	srv, err := ca.ServerConfig(hosts...)
	if err != nil {
		return err
	}
	s.ca, s.tlsCfg = ca, srv
	return nil
}

// start builds the kfake cluster; s.mu must be held or s unpublished.
func (s *Server) start() error {
	var lns []*listener
	opts := []kfake.Opt{
		kfake.NumBrokers(s.cfg.brokers),
		kfake.ListenFn(newListenFn(&s.cfg, s.tlsCfg, s.shim, &s.conns, func(l *listener) { lns = append(lns, l) })),
		kfake.DefaultNumPartitions(int(s.cfg.autoPartitions)),
		kfake.WithLogger(slogAdapter{s.cfg.logger}),
	}
	ports := s.ports
	if len(ports) == 0 && s.cfg.port != 0 {
		ports = make([]int, s.cfg.brokers)
		ports[0] = s.cfg.port
	}
	if len(ports) > 0 {
		opts = append(opts, kfake.Ports(ports...))
	}
	opts = append(opts, kfake.DataDir(s.dataDir))
	if s.cfg.syncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	if s.cfg.clusterID != "" {
		opts = append(opts, kfake.ClusterID(s.cfg.clusterID))
	}
	if s.cfg.autoCreate {
		opts = append(opts, kfake.AllowAutoTopicCreation())
	}
	if len(s.shim.mechanisms) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range s.cfg.users {
			for _, m := range s.shim.mechanisms {
				if m != string(OAuthBearer) {
					opts = append(opts, kfake.User(m, u.Name, u.Password))
				}
			}
		}
		if s.shim.oauth != nil {
			opts = append(opts, kfake.User(string(Plain), oauthUser, oauthPassword))
		}
		opts = append(opts, kfake.User(string(ScramSHA512), inspectorUser, inspectorPassword))
	}
	if len(s.cfg.brokerConfigs) > 0 {
		opts = append(opts, kfake.BrokerConfigs(s.cfg.brokerConfigs))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return fmt.Errorf("kafkafake: %w", err)
	}
	for _, t := range s.cfg.seeds {
		if c.TopicInfo(t.name) == nil {
			if err := c.CreateTopic(t.name, t.partitions, nil); err != nil {
				c.Close()
				return fmt.Errorf("kafkafake: seed topic %q: %w", t.name, err)
			}
		}
	}
	if s.cfg.autoCreate {
		installMetadataAutoCreate(c)
	}
	for _, f := range s.faults {
		f.install(c)
	}
	s.cluster, s.listeners = c, lns
	s.ports = s.ports[:0:0]
	for _, l := range lns {
		s.ports = append(s.ports, l.port())
	}
	return nil
}

// installMetadataAutoCreate makes Metadata v0–v3 auto-create topics. Those
// versions have no AllowAutoTopicCreation field and Kafka treats them as
// allowing it; kfake reads the zero value, false. The control marks the
// request and lets kfake handle it.
func installMetadataAutoCreate(c *kfake.Cluster) {
	c.ControlKey(int16(kmsg.Metadata), func(r kmsg.Request) (kmsg.Response, error, bool) {
		if req, ok := r.(*kmsg.MetadataRequest); ok && req.Version < 4 {
			req.AllowAutoTopicCreation = true
		}
		return nil, nil, false
	})
}

// Close stops the cluster, ends injected delays and closes every client
// connection. Data is kept only when WithDataDir was given. Close is
// idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.shim.delays.Close()
	s.stopLocked()
	s.closeSchemaRegistry()
	for _, f := range s.faults {
		f.closed()
	}
	return s.releaseDir()
}

func (s *Server) stopLocked() {
	if s.inspector != nil {
		s.inspector.close()
		s.inspector = nil
	}
	for _, l := range s.listeners {
		l.Close()
	}
	s.conns.CloseAll()
	for _, f := range s.faults {
		f.uninstall()
	}
	s.cluster.Close()
}

// tempRoot prefers tmpfs: kfake's files cost milliseconds on overlay disks.
func tempRoot() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// releaseDir unlocks WithDataDir's dir or removes the private one.
func (s *Server) releaseDir() error {
	if s.lock != nil {
		return s.lock.Close()
	}
	return os.RemoveAll(s.dataDir)
}

// Restart stops the cluster, dropping every connection, and starts it again
// on the same addresses with the same topics, records, committed offsets and
// users. Installed faults stay installed and their handles stay valid (use
// ResetFaults to clear them). Clients reconnect on their own, as after a
// broker restart.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.stopLocked()
	return s.start()
}

// Brokers returns the advertised broker addresses, host:port.
func (s *Server) Brokers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr().String()
	}
	return out
}

// Addr returns the first broker's advertised address, host:port.
func (s *Server) Addr() string { return s.Brokers()[0] }

// Users returns the SASL users the fake accepts.
func (s *Server) Users() []User { return append([]User(nil), s.cfg.users...) }

// TLS reports whether the listeners speak TLS.
func (s *Server) TLS() bool { return s.tlsCfg != nil }

// ClientTLSConfig returns a client TLS config that trusts the fake's
// generated CA, or nil when the fake has no TLS or was given its own config.
func (s *Server) ClientTLSConfig() *tls.Config { return s.ca.ClientConfig() }

// CACertPEM returns the generated CA certificate in PEM form (nil without
// WithTLS), for clients that read it from a file.
func (s *Server) CACertPEM() []byte { return s.ca.CertPEM() }

// WriteCACert writes the generated CA certificate to path.
func (s *Server) WriteCACert(path string) error {
	if s.ca == nil {
		return errors.New("kafkafake: no generated CA (WithTLS not set)")
	}
	return s.ca.WriteCertPEM(path)
}

// Cluster returns the underlying kfake cluster for anything this package
// does not wrap. It changes after Restart. Its admin methods block forever
// once the server is closed.
func (s *Server) Cluster() *kfake.Cluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cluster
}

var errClosed = errors.New("kafkafake: server closed")

// withCluster runs fn on the live cluster. kfake's admin calls block forever
// on a closed cluster, so the lock keeps Close and Restart out meanwhile.
func (s *Server) withCluster(fn func(*kfake.Cluster) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	return fn(s.cluster)
}

// CreateTopic creates a topic; partitions <= 0 uses the default count. A
// name Kafka would refuse (see ValidateTopicName) is an error.
func (s *Server) CreateTopic(name string, partitions int32) error {
	if err := ValidateTopicName(name); err != nil {
		return fmt.Errorf("kafkafake: %w", err)
	}
	if partitions <= 0 {
		partitions = s.cfg.autoPartitions
	}
	return s.withCluster(func(c *kfake.Cluster) error { return c.CreateTopic(name, partitions, nil) })
}

// DeleteTopic removes a topic and its records.
func (s *Server) DeleteTopic(name string) error {
	return s.withCluster(func(c *kfake.Cluster) error { return c.DeleteTopic(name) })
}

// Partitions returns a snapshot of a topic's partitions (offsets, sizes,
// leaders), or nil if the topic does not exist.
func (s *Server) Partitions(topic string) []*kfake.PartitionInfo {
	var out []*kfake.PartitionInfo
	s.withCluster(func(c *kfake.Cluster) error { out = c.PartitionInfos(topic); return nil })
	return out
}

// Topics lists the existing topics with their partition counts.
func (s *Server) Topics(ctx context.Context) (map[string]int32, error) {
	ins, err := s.inspect()
	if err != nil {
		return nil, err
	}
	return ins.topics(ctx)
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Logf(level kfake.LogLevel, msg string, args ...any) {
	var lv slog.Level
	switch level {
	case kfake.LogLevelError:
		lv = slog.LevelError
	case kfake.LogLevelWarn:
		lv = slog.LevelWarn
	case kfake.LogLevelInfo:
		lv = slog.LevelInfo
	default:
		lv = slog.LevelDebug
	}
	if a.l.Enabled(context.Background(), lv) {
		a.l.Log(context.Background(), lv, fmt.Sprintf(msg, args...), "component", "kfake")
	}
}

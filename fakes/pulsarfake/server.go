// Package pulsarfake is an in-process Apache Pulsar broker that speaks the
// binary protocol, so github.com/apache/pulsar-client-go (and any other
// client) works against it unchanged, plus a subset of the admin REST API.
//
//	srv, err := pulsarfake.New()
//	defer srv.Close()
//	client, _ := pulsar.NewClient(pulsar.ClientOptions{URL: srv.ServiceURL()})
//
// Messages are stored the way the broker stores them: the client's
// metadata and (possibly compressed, possibly batched) payload verbatim, one
// entry per SEND. Subscriptions keep a cursor per entry with batch-index
// acknowledgement, redelivery counts and delayed delivery. Besides the
// protocol, the Server has a test API: Publish/Seed, inspection (Messages,
// Backlog, Subscriptions, Producers, Consumers), faults (FailNext, Delay,
// DropConnections, UnloadTopic, Restart) and optional persistence to a
// data directory.
//
// WithDataDir is write-through: every change a client is answered for (a
// stored message before its SEND_RECEIPT, acknowledgements, subscriptions
// and their cursors, topics, partitioned topics, schemas, tenants,
// namespaces, policies) is appended to a change log first; WithSyncWrites
// fsyncs each append. The log is compacted into a snapshot in the
// background once it passes 4 MiB and twice the snapshot, and on Close and
// Restart. New loads the snapshot, replays the log and cuts a torn tail a
// crash left. Without a data directory the cost is one nil check.
package pulsarfake

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
	"github.com/brokerkit/brokerkit/fault"
	"github.com/brokerkit/brokerkit/internal/conntrack"
	"github.com/brokerkit/brokerkit/internal/datadir"
	"github.com/brokerkit/brokerkit/internal/tlsca"
)

// Server is a fake Pulsar broker. Create it with New; it is safe for
// concurrent use.
type Server struct {
	opts options
	log  *slog.Logger

	issuerOnce sync.Once
	issuer     *oauth2fake.Issuer // WithOAuth2's, built when the admin URL is known

	ln         net.Listener
	serviceURL string
	advertised string // host:port handed out by LOOKUP

	tlsLn         net.Listener // with WithTLS or WithTLSConfig
	serviceURLTLS string
	serverTLS     *tls.Config
	ca            *tlsca.CA // WithTLS only

	adminLn     net.Listener
	adminSrv    *http.Server
	adminURL    string
	adminURLTLS string

	dir     *datadir.Dir // with WithDataDir
	p       *persister   // with WithDataDir; nil otherwise (the hot path checks only this)
	faults  fault.Injector[ServerError]
	tracker conntrack.Tracker

	mu          sync.Mutex
	closed      bool
	paused      bool // Restart in progress: new connections are refused
	conns       map[*conn]struct{}
	topics      map[string]*topic // partition-level full name
	partitioned map[string]int    // base full name -> partitions
	tenants     map[string]*TenantInfo
	namespaces  map[string]bool
	schemas     map[string]*schemaLog // base full name
	dedupPolicy map[string]bool       // base full name -> deduplicationEnabled
	dedupAny    atomic.Bool           // the broker default or some policy turns dedup on
	nextLedger  uint64
	txns        *txnCoordinator
	policies    policyStore   // admin namespace and topic policies
	dyn         dynamicConfig // admin dynamic broker configuration

	producerSeq atomic.Uint64
	publishSeq  atomic.Uint64 // sequence ids and round robin of Publish
	wg          sync.WaitGroup
	stop        chan struct{}
}

// TenantInfo is a tenant as the admin API shows it.
type TenantInfo struct {
	AdminRoles      []string `json:"adminRoles"`
	AllowedClusters []string `json:"allowedClusters"`
}

// New starts a server. By default both listeners bind 127.0.0.1 on a free
// port; see ServiceURL and AdminURL.
func New(opts ...Option) (*Server, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{
		opts:        o,
		log:         o.logger,
		conns:       map[*conn]struct{}{},
		topics:      map[string]*topic{},
		partitioned: map[string]int{},
		tenants:     map[string]*TenantInfo{},
		namespaces:  map[string]bool{},
		schemas:     map[string]*schemaLog{},
		nextLedger:  1,
		stop:        make(chan struct{}),
	}
	s.dedupAny.Store(o.dedup)
	s.initFaults()
	if err := s.setupOAuth2(); err != nil {
		return nil, err
	}
	s.txns = newTxnCoordinator(s)
	s.addDefaultNamespaces()
	if o.dataDir != "" {
		if err := s.openDataDir(); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		s.abandonDataDir()
		return nil, fmt.Errorf("pulsarfake: listen %s: %w", o.addr, err)
	}
	s.ln = s.tracker.Listener(ln)
	s.advertised = o.advertisedAddress
	if s.advertised == "" {
		s.advertised = advertise(ln.Addr())
	}
	s.serviceURL = "pulsar://" + s.advertised
	if err := s.setupTLS(); err != nil {
		ln.Close()
		s.abandonDataDir()
		return nil, err
	}
	if s.serverTLS != nil {
		if err := s.listenTLS(); err != nil {
			ln.Close()
			s.abandonDataDir()
			return nil, err
		}
	}
	if !o.noAdmin {
		if err := s.startAdmin(); err != nil {
			ln.Close()
			if s.tlsLn != nil {
				s.tlsLn.Close()
			}
			s.abandonDataDir()
			return nil, err
		}
	}
	s.wg.Add(2)
	go s.acceptLoop(s.ln)
	if s.tlsLn != nil {
		s.wg.Add(1)
		go s.acceptLoop(s.tlsLn)
	}
	go s.keepAliveLoop()
	return s, nil
}

func advertise(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func (s *Server) addDefaultNamespaces() {
	for _, t := range []string{"public", "pulsar", "sample"} {
		s.tenants[t] = &TenantInfo{AdminRoles: []string{}, AllowedClusters: []string{s.opts.clusterName}}
	}
	for _, ns := range []string{"public/default", "public/functions", "pulsar/system"} {
		s.namespaces[ns] = true
	}
}

// ServiceURL is the binary-protocol URL for pulsar.ClientOptions.URL,
// "pulsar://127.0.0.1:port".
func (s *Server) ServiceURL() string { return s.serviceURL }

// Addr is the host:port of the binary-protocol listener.
func (s *Server) Addr() string { return s.advertised }

// AdminURL is the base URL of the admin REST API ("http://127.0.0.1:port"),
// or "" with WithoutAdmin.
func (s *Server) AdminURL() string { return s.adminURL }

// Close stops the listeners, closes every connection and, with a data
// directory, compacts the change log into the snapshot. It is safe to call
// more than once.
func (s *Server) Close() error { return s.shutdown(false) }

// shutdown is Close; crash leaves the data directory as a killed process
// would, without the final snapshot (tests).
func (s *Server) shutdown(crash bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := s.connList()
	s.mu.Unlock()
	close(s.stop)
	s.faults.Close()
	err := s.ln.Close()
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	if s.adminSrv != nil {
		s.adminSrv.Close()
	}
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	s.stopTimers()
	s.txns.stopTimers()
	switch {
	case s.p == nil:
	case crash:
		s.abandonDataDir()
	default:
		err = errors.Join(err, s.p.close())
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) connList() []*conn {
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.stop:
				return
			default:
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		if s.paused {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		go c.readLoop()
		go c.writeLoop()
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// keepAliveLoop pings every connection each interval and closes those that
// sent nothing for two intervals, as the broker's keep-alive does.
func (s *Server) keepAliveLoop() {
	defer s.wg.Done()
	if s.opts.keepAlive <= 0 {
		return
	}
	tick := time.NewTicker(s.opts.keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tick.C:
			s.mu.Lock()
			conns := s.connList()
			s.mu.Unlock()
			for _, c := range conns {
				if !c.handshook.Load() {
					// PulsarHandler: "Pulsar Handshake was not completed
					// within timeout, closing connection"; no PING before.
					if now.Sub(c.accepted) > s.opts.keepAlive {
						s.log.Info("pulsarfake: handshake not completed within the keep-alive interval, closing", "remote", c.remote)
						c.close()
					}
					continue
				}
				if now.Sub(c.lastRead()) > 2*s.opts.keepAlive {
					s.log.Info("pulsarfake: closing idle connection", "remote", c.remote)
					c.close()
					continue
				}
				c.sendPing()
			}
		}
	}
}

// ---------------------------------------------------------------- topics ---

// topicFor returns the stored topic for a partition-level name. create asks
// for auto-creation, which only succeeds when allowed; partitions of an
// existing partitioned topic are always created on demand.
func (s *Server) topicFor(name topicName, create bool) (*topic, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errorf(ServiceNotReady, "broker is shutting down")
	}
	if t := s.topics[name.Full]; t != nil {
		return t, nil
	}
	if n, ok := s.partitioned[name.Full]; ok && n > 0 {
		return nil, errorf(NotAllowedError, "topic %s is partitioned; use its partitions", name.Full)
	}
	allowed := false
	if name.Partition >= 0 && s.partitioned[name.Base] > name.Partition {
		allowed = true
	} else if create && s.autoCreateAllowed(name.Namespace) {
		allowed = true
	}
	if !allowed {
		return nil, errorf(TopicNotFound, "Topic %s does not exist", name.Full)
	}
	return s.createTopicLocked(name), nil
}

func (s *Server) createTopicLocked(name topicName) *topic {
	if t := s.topics[name.Full]; t != nil {
		return t
	}
	t := newTopic(s, name, s.nextLedger)
	s.nextLedger++
	s.topics[name.Full] = t
	s.addNamespaceLocked(name.Namespace)
	if s.tenants[name.Tenant] == nil {
		s.tenants[name.Tenant] = &TenantInfo{AdminRoles: []string{}, AllowedClusters: []string{s.opts.clusterName}}
		s.logLocked(change{Kind: chTenant, Name: name.Tenant, Tenant: s.tenants[name.Tenant]})
	}
	if s.p != nil {
		s.logTopicLocked(chTopic, t)
	}
	return t
}

// addNamespaceLocked records a namespace that a topic or partitioned topic
// brings into existence.
func (s *Server) addNamespaceLocked(ns string) {
	if !s.namespaces[ns] {
		s.namespaces[ns] = true
		s.logLocked(change{Kind: chNS, Name: ns, Present: true})
	}
}

// setPartitionsLocked records a partitioned topic's partition count; 0
// deletes it.
func (s *Server) setPartitionsLocked(base string, n int) {
	if n > 0 {
		s.partitioned[base] = n
	} else {
		delete(s.partitioned, base)
	}
	s.logLocked(change{Kind: chPart, Name: base, Partitions: n})
}

// existingTopic returns a stored topic or nil.
func (s *Server) existingTopic(full string) *topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.topics[full]
}

// partitionsOf answers PARTITIONED_METADATA: the partition count of a
// partitioned topic, 0 otherwise. With WithAutoCreatedPartitions an unknown
// topic becomes partitioned here, as the broker does.
func (s *Server) partitionsOf(name topicName) int {
	if name.Full == tcAssignTopic {
		return s.opts.txnCoordinators
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.partitioned[name.Full]; ok {
		return n
	}
	if n := s.autoPartitionsFor(name.Namespace); n > 0 && name.Partition < 0 && name.Persistent && s.topics[name.Full] == nil {
		s.setPartitionsLocked(name.Full, n)
		s.addNamespaceLocked(name.Namespace)
		return n
	}
	return 0
}

// CreateTopic creates a topic: partitioned with the given number of
// partitions when partitions > 0, otherwise non-partitioned. Creating an
// existing topic is an error.
func (s *Server) CreateTopic(topicStr string, partitions int) error {
	name, err := parseTopic(topicStr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.partitioned[name.Full]; ok || s.topics[name.Full] != nil {
		return fmt.Errorf("pulsarfake: topic %s already exists", name.Full)
	}
	if partitions > 0 {
		s.setPartitionsLocked(name.Full, partitions)
		s.addNamespaceLocked(name.Namespace)
		for i := 0; i < partitions; i++ {
			pn, _ := parseTopic(partitionName(name.Full, i))
			s.createTopicLocked(pn)
		}
		return nil
	}
	s.createTopicLocked(name)
	return nil
}

// DeleteTopic removes a topic (all partitions of a partitioned one) with
// its messages and subscriptions; connected clients are disconnected from
// it.
func (s *Server) DeleteTopic(topicStr string) error {
	name, err := parseTopic(topicStr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	var victims []*topic
	if n, ok := s.partitioned[name.Full]; ok {
		s.setPartitionsLocked(name.Full, 0)
		for i := 0; i < n; i++ {
			if t := s.topics[partitionName(name.Full, i)]; t != nil {
				victims = append(victims, t)
				delete(s.topics, t.name.Full)
			}
		}
	} else if t := s.topics[name.Full]; t != nil {
		victims = append(victims, t)
		delete(s.topics, name.Full)
	} else {
		s.mu.Unlock()
		return fmt.Errorf("pulsarfake: topic %s: %w", name.Full, ErrNotFound)
	}
	if s.p != nil {
		for _, t := range victims {
			s.logTopicLocked(chDelTopic, t)
		}
	}
	if s.schemas[name.Base] != nil {
		delete(s.schemas, name.Base)
		s.logSchemaLocked(name.Base)
	}
	s.mu.Unlock()
	for _, t := range victims {
		t.delete()
	}
	return nil
}

// ErrNotFound is returned (wrapped) for topics that do not exist.
var ErrNotFound = errors.New("not found")

// topicsIn lists the partition-level topics of a namespace, plus partitions
// of partitioned topics that have not been touched yet.
func (s *Server) topicsIn(namespace string, persistent, nonPersistent bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for full, t := range s.topics {
		if t.name.Namespace == namespace && (t.name.Persistent && persistent || !t.name.Persistent && nonPersistent) {
			seen[full] = true
		}
	}
	for base, n := range s.partitioned {
		name, _ := parseTopic(base)
		if name.Namespace != namespace || !(name.Persistent && persistent || !name.Persistent && nonPersistent) {
			continue
		}
		for i := 0; i < n; i++ {
			seen[partitionName(base, i)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// resolve maps a user-facing topic name (short or full, partitioned or not)
// to its stored partition-level topics.
func (s *Server) resolve(topicStr string) ([]*topic, error) {
	name, err := parseTopic(topicStr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.partitioned[name.Full]; ok {
		out := make([]*topic, 0, n)
		for i := 0; i < n; i++ {
			pn, _ := parseTopic(partitionName(name.Full, i))
			out = append(out, s.createTopicLocked(pn))
		}
		return out, nil
	}
	if t := s.topics[name.Full]; t != nil {
		return []*topic{t}, nil
	}
	return nil, fmt.Errorf("pulsarfake: topic %s: %w", name.Full, ErrNotFound)
}

func (s *Server) allTopics() []*topic {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*topic, 0, len(s.topics))
	for _, t := range s.topics {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name.Full < out[j].name.Full })
	return out
}

func (s *Server) stopTimers() {
	for _, t := range s.allTopics() {
		t.mu.Lock()
		t.stopTimerLocked()
		t.mu.Unlock()
	}
}

func (s *Server) newProducerName() string {
	return fmt.Sprintf("%s-0-%d", s.opts.clusterName, s.producerSeq.Add(1)-1)
}

func (s *Server) nowMillis() uint64 { return uint64(s.opts.clock.Now().UnixMilli()) }

func isSystemTopic(full string) bool {
	return strings.Contains(full, "/__") || strings.HasPrefix(full, "persistent://pulsar/system/")
}

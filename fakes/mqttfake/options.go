package mqttfake

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"sort"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	addr       string
	tls        bool
	tlsAddr    string
	tlsConfig  *tls.Config
	ws         bool
	wsAddr     string
	wss        bool
	wssAddr    string
	logger     *slog.Logger
	users      map[string]string // name → password
	acls       map[string][]ACL  // name → rules, from WithACL
	anonymous  *bool
	maxPacket  uint32
	connectTO  time.Duration
	dataDir    string
	syncWrites bool
	compactAt  int64 // log size that triggers a snapshot; tests lower it
	publishLog int
	maxExpiry  time.Duration // 0: messages without an interval never expire
	receiveMax uint16
	keepAlive  uint16 // Server Keep Alive for v5 clients; 0: the client's own
	aliasMax   uint16 // Topic Alias Maximum advertised and accepted
	caps       func(*mqtt.Capabilities)
}

func defaultConfig() config {
	return config{
		addr:       "127.0.0.1:0",
		tlsAddr:    "127.0.0.1:0",
		wsAddr:     "127.0.0.1:0",
		wssAddr:    "127.0.0.1:0",
		publishLog: 10000,
		maxPacket:  DefaultMaxPacketSize,
		connectTO:  DefaultConnectTimeout,
		receiveMax: DefaultReceiveMaximum,
		aliasMax:   DefaultTopicAliasMaximum,
	}
}

// WithAddr sets the plain TCP listen address (default 127.0.0.1:0).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithLogger sends the broker's logs to l. Without it the fake is silent.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithTLS adds a TLS listener (on 127.0.0.1:0) whose certificate comes from a
// throw-away CA; use ClientTLSConfig or CACertPEM to trust it.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithTLSAddr adds a TLS listener on addr (implies WithTLS).
func WithTLSAddr(addr string) Option {
	return func(c *config) { c.tls, c.tlsAddr = true, addr }
}

// WithTLSConfig adds a TLS listener that uses cfg instead of the generated
// CA; ClientTLSConfig and CACertPEM then return nil.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.tlsConfig = true, cfg }
}

// WithWebSocket adds an MQTT-over-WebSocket listener on 127.0.0.1:0 (any
// path, subprotocol "mqtt"); see WSURL.
func WithWebSocket() Option { return func(c *config) { c.ws = true } }

// WithWebSocketAddr adds the WebSocket listener on addr.
func WithWebSocketAddr(addr string) Option {
	return func(c *config) { c.ws, c.wsAddr = true, addr }
}

// WithSecureWebSocket adds an MQTT-over-WebSocket listener behind TLS
// (wss) on 127.0.0.1:0, using the same certificate as WithTLS; see WSSURL.
func WithSecureWebSocket() Option { return func(c *config) { c.wss = true } }

// WithSecureWebSocketAddr adds the wss listener on addr.
func WithSecureWebSocketAddr(addr string) Option {
	return func(c *config) { c.wss, c.wssAddr = true, addr }
}

// WithUser adds a user (repeatable). Once any user exists, clients must
// authenticate with CONNECT username and password (unless
// WithAnonymous(true)); a wrong password gets CONNACK 0x87 (v5) or 0x05
// (v3), as Mosquitto answers. A user may use every topic unless WithACL
// restricts it.
func WithUser(name, password string) Option {
	return func(c *config) {
		if c.users == nil {
			c.users = map[string]string{}
		}
		c.users[name] = password
	}
}

// WithACL restricts a user given to WithUser to the topics rules allow: the
// first rule whose filter matches decides and anything unmatched is denied.
// Rules of repeated WithACL calls for one user add up, in order.
func WithACL(user string, rules ...ACL) Option {
	return func(c *config) {
		if c.acls == nil {
			c.acls = map[string][]ACL{}
		}
		c.acls[user] = append(c.acls[user], rules...)
	}
}

// WithAnonymous allows or refuses clients without a username. The default is
// to allow them only when no user is configured.
func WithAnonymous(allow bool) Option { return func(c *config) { c.anonymous = &allow } }

// WithMaxPacketSize limits inbound packets to n bytes (whole packet, as in
// the v5 Maximum Packet Size; default DefaultMaxPacketSize, 16 MiB; 0 means
// the protocol's 256 MiB). A larger packet ends the connection, with
// DISCONNECT 0x95 for v5 clients; v5 clients are told the limit in CONNACK.
// Whatever n, a CONNECT over 1 MiB closes the connection, and a packet is
// only handed to the broker once its bytes have arrived, so a client cannot
// make the fake allocate more than it sent.
func WithMaxPacketSize(n uint32) Option { return func(c *config) { c.maxPacket = n } }

// DefaultConnectTimeout is how long a new connection may take to send its
// whole CONNECT (TLS handshake included): Mosquitto treats a new
// connection as having a 60 s keep-alive and closes it after 1.5 × that.
const DefaultConnectTimeout = 90 * time.Second

// WithConnectTimeout sets how long a new connection may take to complete
// its TLS handshake and send its whole CONNECT before it is closed (default
// DefaultConnectTimeout). After CONNECT, a client silent for 1.5 × its
// keep-alive is closed, as [MQTT-3.1.2-22] requires.
func WithConnectTimeout(d time.Duration) Option { return func(c *config) { c.connectTO = d } }

// WithDataDir keeps retained messages and persistent sessions (with their
// subscriptions and queued QoS 1/2 messages) in dir, write-through: each
// change is appended to a log as mochi makes it — retained messages,
// sessions and subscriptions before the client gets its PUBACK, CONNACK or
// SUBACK; messages queued for a session as they are routed, just after the
// publisher's PUBACK (mochi acknowledges first). The log is folded into a
// snapshot when it grows and on Close and Restart. New loads what dir
// holds; a torn log tail left by a crash is cut off. The directory is
// locked: a second Server, in any process, fails to start on it.
func WithDataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

// WithSyncWrites fsyncs the WithDataDir log on every change, so a machine
// crash (not only a process crash) loses nothing acknowledged. Off by
// default: slower, and rarely needed by tests.
func WithSyncWrites() Option { return func(c *config) { c.syncWrites = true } }

// WithPublishLog keeps the last n messages per topic for Published (default
// 10000; 0 disables recording).
func WithPublishLog(n int) Option { return func(c *config) { c.publishLog = n } }

// WithMaxMessageExpiry caps how long any message (live, retained or queued
// for an offline session) is kept: a v5 message without a Message Expiry
// Interval, or with a longer one, is delivered with an interval of at most
// d. By default there is no cap: as [MQTT-3.3.2-5] requires and Mosquitto
// does, a message without an interval never expires (mochi's own default
// invented 24 h). Whole seconds; d under 1 s means no cap.
func WithMaxMessageExpiry(d time.Duration) Option { return func(c *config) { c.maxExpiry = d } }

// DefaultReceiveMaximum is the Receive Maximum the fake advertises to v5
// clients: how many QoS 1/2 publishes a client may have unacknowledged
// before the fake disconnects it with 0x93. It is mochi's 1024, not
// Mosquitto's 20 (max_inflight_messages), because mochi counts QoS 2
// publishes of 3.1.1 clients too, which have no way to learn the limit.
const DefaultReceiveMaximum = 1024

// WithReceiveMaximum sets the Receive Maximum (1–65535) advertised in
// CONNACK and enforced with DISCONNECT 0x93 (default
// DefaultReceiveMaximum). WithReceiveMaximum(20) is what Mosquitto's default
// max_inflight_messages advertises.
func WithReceiveMaximum(n uint16) Option { return func(c *config) { c.receiveMax = max(n, 1) } }

// DefaultTopicAliasMaximum is the Topic Alias Maximum the fake advertises
// to v5 clients and accepts: Mosquitto's max_topic_alias default. (mochi
// accepts 65535 aliases but never says so, and a client may only use
// aliases the CONNACK allows.)
const DefaultTopicAliasMaximum = 10

// WithTopicAliasMaximum sets how many topic aliases a v5 client may set
// (advertised in CONNACK; 0: none, and a PUBLISH with an alias is a
// protocol error).
func WithTopicAliasMaximum(n uint16) Option { return func(c *config) { c.aliasMax = n } }

// WithServerKeepAlive answers every v5 CONNECT with Server Keep Alive n
// seconds, which the client must then use instead of its own
// [MQTT-3.1.2-21], and which the fake enforces (a client silent for 1.5 × n
// is closed). Mosquitto sends it when a client asks for more than
// max_keepalive. 3.1.1 clients keep their own keep-alive. Default: none sent.
func WithServerKeepAlive(n uint16) Option { return func(c *config) { c.keepAlive = n } }

// WithCapabilities lets the caller adjust mochi's capabilities after the
// fake's defaults (raised write and inflight limits, no inherited ack
// properties, no message expiry cap) are applied.
func WithCapabilities(fn func(*mqtt.Capabilities)) Option { return func(c *config) { c.caps = fn } }

// validate reports options that cannot work together.
func (c *config) validate() error {
	names := make([]string, 0, len(c.acls))
	for name := range c.acls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := c.users[name]; !ok {
			return fmt.Errorf("mqttfake: WithACL for %q, which no WithUser defines", name)
		}
	}
	return nil
}

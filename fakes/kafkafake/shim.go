package kafkafake

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/kafkafake/internal/reqcheck"
	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
	"github.com/brokerkit/brokerkit/fault"
)

// shimConfig is what every connection shim of one server shares.
type shimConfig struct {
	mechanisms []string // enabled SASL mechanisms; nil without SASL
	maxFrame   int32
	// preAuthMax bounds frames before SASL authentication completes, like
	// Kafka's sasl.server.max.receive.size; 0 without SASL.
	preAuthMax int32
	// idle closes a connection that sends nothing for this long, like
	// Kafka's connections.max.idle.ms; a half-sent frame or TLS handshake
	// counts as nothing sent.
	idle   time.Duration
	delays *fault.Injector[int16]
	// framesStarted counts length prefixes read, for tests that wait until
	// the shim has seen a frame.
	framesStarted atomic.Int64
	logger        *slog.Logger
	leaders       leaders
	epochs        epochs
	oauth         *oauth2fake.Verifier // WithOAuth; nil without
}

// conn sits between a client socket and kfake. On the way in it rejects
// frames Kafka would reject (oversized, unknown API key, truncated header) by
// closing the connection, applies injected latency, and bridges the
// pre-KIP-152 SASL flow (SaslHandshake v0, then raw tokens) onto kfake's
// SaslHandshake v1 + SaslAuthenticate. On the way out it advertises
// SaslHandshake v0 in ApiVersions, which librdkafka < 2.11 requires.
type conn struct {
	net.Conn
	shim *shimConfig
	r    *bufio.Reader

	rbuf []byte // a validated frame kfake has not read yet
	roff int

	mu       sync.Mutex
	pending  map[int32]pendingResp // correlation ID -> response to rewrite
	npending atomic.Int32
	rawSASL  atomic.Int32 // raw SASL tokens still expected; read per frame, so no lock
	rawCorr  int32
	wbuf     []byte

	// SASL progress, written by the response path and read per frame.
	mech      atomic.Pointer[string] // mechanism of the accepted handshake
	authSteps atomic.Int32           // successful SaslAuthenticate exchanges
	authed    atomic.Bool

	closeOnce sync.Once
	gone      chan struct{} // closed with the socket
}

type pendingKind uint8

const (
	respAPIVersions pendingKind = iota + 1
	respHandshake
	respAuthenticate
	respRawSASL
	respTopicNames
	respJoinGroup
	respInitProducerID
	respProduce
)

type pendingResp struct {
	kind    pendingKind
	version int16
	mech    string
	key     int16    // respTopicNames
	invalid []string // respTopicNames: topics taken out of the request
	group   string   // respJoinGroup
	failMsg string   // respAuthenticate: the text of a refusal; "" for Kafka's password one
	pid     int64    // respProduce
	epoch   int16    // respProduce
}

func newConn(nc net.Conn, shim *shimConfig) *conn {
	c := &conn{Conn: nc, shim: shim, r: bufio.NewReaderSize(nc, 64<<10), rawCorr: 1 << 30, gone: make(chan struct{})}
	c.authed.Store(len(shim.mechanisms) == 0)
	return c
}

// defaultSASLMaxReceiveSize is Kafka's sasl.server.max.receive.size default;
// WithBrokerConfig(saslMaxReceiveSizeConfig, n) changes it, as on Kafka.
// defaultIdle is Kafka's connections.max.idle.ms default (10 minutes);
// WithBrokerConfig(idleConfig, ms) changes it and -1 turns it off, as on Kafka.
const (
	defaultIdle = 10 * time.Minute
	idleConfig  = "connections.max.idle.ms"
)

func idleTimeout(configs map[string]string) (time.Duration, error) {
	v, ok := configs[idleConfig]
	if !ok {
		return defaultIdle, nil
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms == 0 || ms < -1 {
		return 0, fmt.Errorf("kafkafake: %s=%q: want milliseconds > 0, or -1 for no limit", idleConfig, v)
	}
	if ms == -1 {
		return 0, nil
	}
	return time.Duration(ms) * time.Millisecond, nil
}

const (
	defaultSASLMaxReceiveSize = 512 << 10
	saslMaxReceiveSizeConfig  = "sasl.server.max.receive.size"
)

// initialFrameBuf is what a frame's buffer starts at; it grows as bytes
// arrive, so a length prefix alone never makes the fake allocate it.
const initialFrameBuf = 64 << 10

var errClosedByShim = errors.New("kafkafake: connection closed: invalid request")

// knownKeys marks the API keys kmsg can parse (kfake would crash on others);
// a table, because asking kmsg allocates a request per frame.
var knownKeys = func() (known [256]bool) {
	for k := range known {
		known[k] = kmsg.RequestForKey(int16(k)) != nil
	}
	return known
}()

func (c *conn) Read(p []byte) (int, error) {
	if c.roff == len(c.rbuf) {
		if err := c.nextFrame(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.rbuf[c.roff:])
	c.roff += n
	if c.roff == len(c.rbuf) && cap(c.rbuf) > 1<<20 {
		// kfake has its own copy now; an idle connection should not keep
		// a large frame's buffer.
		c.rbuf, c.roff = nil, 0
	}
	return n, nil
}

// nextFrame reads and checks one client frame and leaves what kfake should
// see in rbuf.
func (c *conn) nextFrame() error {
	size, err := c.readSize()
	if err != nil {
		return err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 0 || n > c.shim.maxFrame {
		return c.reject("frame of %d bytes exceeds the %d byte limit", n, c.shim.maxFrame)
	}
	if !c.authed.Load() && c.shim.preAuthMax > 0 && n > c.shim.preAuthMax {
		// Kafka's SaslServerAuthenticator fails authentication on such a
		// receive and closes the connection without an answer.
		return c.reject("frame of %d bytes before SASL authentication exceeds sasl.server.max.receive.size %d", n, c.shim.preAuthMax)
	}
	if err := c.readFrame(size, int(n)); err != nil {
		return err
	}

	// Only this reader decrements; the writer sets it before the client can
	// send a token, so the check needs no lock.
	if c.rawSASL.Load() > 0 {
		c.rawSASL.Add(-1)
		c.wrapRawToken()
		return nil
	}

	body := c.rbuf[4:]
	if len(body) < 10 { // key, version, correlation ID, client ID length
		return c.reject("request header truncated (%d bytes)", len(body))
	}
	key := int16(binary.BigEndian.Uint16(body))
	version := int16(binary.BigEndian.Uint16(body[2:]))
	corr := int32(binary.BigEndian.Uint32(body[4:]))
	if key < 0 || int(key) >= len(knownKeys) || !knownKeys[key] {
		return c.reject("unknown API key %d", key)
	}
	// kmsg loops on tagged-field counts without checking the bytes left;
	// Kafka's reader fails such a request and the broker closes the
	// connection (SocketServer's processChannelException).
	if int(version) > reqcheck.MaxVersion(key) {
		if key != int16(kmsg.ApiVersions) {
			// SocketServer: "Received request api key … with version …
			// which is not enabled", then the connection is closed.
			return c.reject("%s v%d is newer than any version known", kmsg.Key(key).Name(), version)
		}
		// Kafka reads only the header of an ApiVersions request newer than
		// it knows and answers UNSUPPORTED_VERSION with its versions; the
		// body may hold fields no schema here describes, so kfake gets an
		// empty one.
		if body = c.emptyBody(body); body == nil {
			return c.reject("ApiVersions v%d: malformed header", version)
		}
	}
	if err := reqcheck.Check(body); err != nil {
		return c.reject("%s v%d: %v", kmsg.Key(key).Name(), version, err)
	}
	if err := c.watch(key, version, corr, body); err != nil {
		return err
	}
	if _, _, d := c.shim.delays.Check(kmsg.Key(key).Name()); d > 0 {
		if !c.shim.delays.Sleep(d) { // cut short: the server is closing
			c.drop()
			return net.ErrClosed
		}
	}
	return nil
}

// readSize reads the next frame's length prefix. It sets one deadline per
// frame: the frame (and, on the first, the TLS handshake) must arrive
// within it, as Kafka's Selector closes a channel after
// connections.max.idle.ms without a complete receive.
func (c *conn) readSize() (size [4]byte, err error) {
	if c.shim.idle > 0 {
		if err := c.Conn.SetReadDeadline(time.Now().Add(c.shim.idle)); err != nil {
			return size, err
		}
	}
	if _, err := io.ReadFull(c.r, size[:]); err != nil {
		return size, err
	}
	c.shim.framesStarted.Add(1)
	return size, nil
}

// watch notes the requests whose answers the shim rewrites and rewrites the
// ones kfake should see differently.
func (c *conn) watch(key, version int16, corr int32, body []byte) error {
	switch key {
	case int16(kmsg.ApiVersions):
		c.expect(corr, pendingResp{kind: respAPIVersions, version: version})
	case int16(kmsg.SASLHandshake):
		mech, ok := handshakeMechanism(body)
		if !ok {
			return c.reject("malformed SaslHandshake")
		}
		if version == 0 {
			binary.BigEndian.PutUint16(body[2:], 1) // the v1 body is the same
		}
		if mech == string(OAuthBearer) && c.shim.oauth != nil {
			c.oauthHandshake(body)
		}
		c.expect(corr, pendingResp{kind: respHandshake, version: version, mech: mech})
	case int16(kmsg.SASLAuthenticate):
		var msg string
		if c.oauthMech() {
			msg = c.oauthAuthenticate(version, body)
		}
		c.expect(corr, pendingResp{kind: respAuthenticate, version: version, failMsg: msg})
	case int16(kmsg.CreateTopics), int16(kmsg.Metadata):
		c.filterTopicNames(key, version, corr, body)
	case int16(kmsg.JoinGroup):
		c.joinRequest(version, corr, body)
	case int16(kmsg.SyncGroup):
		c.syncRequest(version, body)
	case int16(kmsg.InitProducerID):
		c.initProducerIDRequest(version, corr, body)
	case int16(kmsg.Produce):
		c.produceRequest(version, corr, body)
	}
	return nil
}

// readFrame reads a frame of n body bytes into rbuf, growing the buffer as
// bytes arrive rather than trusting the announced length.
func (c *conn) readFrame(size [4]byte, n int) error {
	want := 4 + n
	buf := c.rbuf[:0]
	if first := min(want, initialFrameBuf); cap(buf) < first {
		buf = make([]byte, 0, first)
	}
	buf = append(buf, size[:]...)
	for len(buf) < want {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(len(buf), want-len(buf)))
		}
		m, err := c.r.Read(buf[len(buf):min(cap(buf), want)])
		buf = buf[:len(buf)+m]
		if err != nil {
			c.rbuf, c.roff = buf[:0], 0
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	c.rbuf, c.roff = buf, 0
	return nil
}

// emptyBody replaces the frame in rbuf with its header followed by an
// ApiVersions body of default fields, as kmsg encodes it at that version,
// returning the new body, or nil if the header is malformed.
func (c *conn) emptyBody(body []byte) []byte {
	hl := reqcheck.HeaderLen(body)
	if hl < 0 {
		return nil
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = int16(binary.BigEndian.Uint16(body[2:]))
	out := append(make([]byte, 4, 4+hl+16), body[:hl]...)
	out = req.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	c.rbuf, c.roff = out, 0
	return out[4:]
}

// authStep records one successful SASL exchange; the connection counts as
// authenticated once its mechanism's last token was accepted.
func (c *conn) authStep() {
	mech := ""
	if m := c.mech.Load(); m != nil {
		mech = *m
	}
	if c.authSteps.Add(1) >= rawTokens(mech) {
		c.authed.Store(true)
	}
}

// wrapRawToken turns the raw SASL token in rbuf into a SaslAuthenticate v0
// request, which is what kfake understands.
func (c *conn) wrapRawToken() {
	token := c.rbuf[4:]
	if c.oauthMech() {
		// A refusal closes a raw-token connection without an answer.
		token, _ = c.oauthCredentials(token)
	}
	c.mu.Lock()
	c.rawCorr++
	corr := c.rawCorr
	c.mu.Unlock()
	frame := make([]byte, 4, 4+10+4+len(token))
	frame = binary.BigEndian.AppendUint16(frame, uint16(kmsg.SASLAuthenticate))
	frame = binary.BigEndian.AppendUint16(frame, 0)
	frame = binary.BigEndian.AppendUint32(frame, uint32(corr))
	frame = binary.BigEndian.AppendUint16(frame, 0xffff) // null client ID
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(token)))
	frame = append(frame, token...)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	c.expect(corr, pendingResp{kind: respRawSASL})
	c.rbuf, c.roff = frame, 0
}

func (c *conn) expect(corr int32, p pendingResp) {
	c.mu.Lock()
	if c.pending == nil {
		c.pending = map[int32]pendingResp{}
	}
	c.pending[corr] = p
	c.npending.Store(int32(len(c.pending)))
	c.mu.Unlock()
}

func (c *conn) reject(format string, args ...any) error {
	c.shim.logger.Info("kafkafake: closing connection", "remote", c.RemoteAddr().String(), "reason", fmt.Sprintf(format, args...))
	c.drop()
	return errClosedByShim
}

// Write receives whole response frames from kfake.
func (c *conn) Write(p []byte) (int, error) {
	if c.npending.Load() == 0 && len(c.wbuf) == 0 {
		return c.Conn.Write(p)
	}
	c.wbuf = append(c.wbuf, p...)
	for len(c.wbuf) >= 8 {
		n := int(binary.BigEndian.Uint32(c.wbuf)) + 4
		if len(c.wbuf) < n {
			break
		}
		frame := c.wbuf[:n]
		out, err := c.rewrite(frame)
		if err != nil {
			c.Close()
			return 0, err
		}
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		c.wbuf = c.wbuf[n:]
	}
	if len(c.wbuf) == 0 {
		c.wbuf = nil
	}
	return len(p), nil
}

func (c *conn) rewrite(frame []byte) ([]byte, error) {
	corr := int32(binary.BigEndian.Uint32(frame[4:]))
	c.mu.Lock()
	p, ok := c.pending[corr]
	if ok {
		delete(c.pending, corr)
		c.npending.Store(int32(len(c.pending)))
	}
	c.mu.Unlock()
	if !ok {
		return frame, nil
	}
	body := frame[8:]
	switch p.kind {
	case respAPIVersions:
		return advertiseHandshakeV0(frame, p.version), nil
	case respHandshake:
		resp := kmsg.NewPtrSASLHandshakeResponse()
		resp.Version = 1
		if err := resp.ReadFrom(body); err != nil {
			return frame, nil
		}
		if resp.ErrorCode == 0 {
			mech := p.mech
			c.mech.Store(&mech)
			c.authSteps.Store(0)
			if p.version == 0 {
				c.rawSASL.Store(rawTokens(p.mech))
			}
		}
		if c.shim.oauth == nil && (len(resp.SupportedMechanisms) > 0 || len(c.shim.mechanisms) == 0) {
			return frame, nil
		}
		// Kafka always lists its enabled mechanisms; kafka-python refuses a
		// broker whose list lacks the mechanism it asked for. kfake's list
		// lacks OAUTHBEARER.
		resp.SupportedMechanisms = c.shim.mechanisms
		out := resp.AppendTo(append([]byte(nil), frame[:8]...))
		binary.BigEndian.PutUint32(out, uint32(len(out)-4))
		return out, nil
	case respAuthenticate:
		// The error code leads the body, after the header's tag byte
		// when flexible (SaslAuthenticate v2+).
		off := 0
		if p.version >= 2 {
			off = 1
		}
		if len(body) >= off+2 && binary.BigEndian.Uint16(body[off:]) == 0 {
			c.authStep()
		}
		return frame, nil
	case respTopicNames:
		return addInvalidTopics(frame, p), nil
	case respJoinGroup:
		return c.joinResponse(frame, p), nil
	case respInitProducerID:
		c.initProducerIDResponse(frame, p)
		return frame, nil
	case respProduce:
		return c.produceResponse(frame, p), nil
	case respRawSASL:
		resp := kmsg.NewPtrSASLAuthenticateResponse()
		resp.Version = 0
		if err := resp.ReadFrom(body); err != nil || resp.ErrorCode != 0 {
			// Kafka answers a failed raw-token authentication by closing
			// the connection; there is no frame to carry the error.
			return nil, errors.New("kafkafake: SASL authentication failed")
		}
		c.authStep()
		out := binary.BigEndian.AppendUint32(nil, uint32(len(resp.SASLAuthBytes)))
		return append(out, resp.SASLAuthBytes...), nil
	}
	return frame, nil
}

// oauthMech reports whether the connection's accepted handshake was for
// OAUTHBEARER with WithOAuth on.
func (c *conn) oauthMech() bool {
	m := c.mech.Load()
	return c.shim.oauth != nil && m != nil && *m == string(OAuthBearer)
}

// rawTokens is how many client tokens a mechanism exchanges.
func rawTokens(mech string) int32 {
	switch Mechanism(mech) {
	case ScramSHA256, ScramSHA512:
		return 2 // client-first, client-final
	default:
		return 1
	}
}

func handshakeMechanism(body []byte) (string, bool) {
	off := 8
	cidLen := int16(binary.BigEndian.Uint16(body[off:]))
	off += 2
	if cidLen > 0 {
		off += int(cidLen)
	}
	if len(body) < off+2 {
		return "", false
	}
	n := int(int16(binary.BigEndian.Uint16(body[off:])))
	off += 2
	if n < 0 || len(body) < off+n {
		return "", false
	}
	return string(body[off : off+n]), true
}

// advertiseHandshakeV0 lowers SaslHandshake's minimum version to 0 in an
// ApiVersions response. ApiVersions responses always use header v0.
func advertiseHandshakeV0(frame []byte, version int16) []byte {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = version
	if err := resp.ReadFrom(frame[8:]); err != nil {
		return frame
	}
	changed := false
	for i := range resp.ApiKeys {
		if resp.ApiKeys[i].ApiKey == int16(kmsg.SASLHandshake) && resp.ApiKeys[i].MinVersion > 0 {
			resp.ApiKeys[i].MinVersion = 0
			changed = true
		}
	}
	if !changed {
		return frame
	}
	out := append([]byte(nil), frame[:8]...)
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// Close is how kfake ends a connection. kfake drops a connection whose
// SaslAuthenticate failed without answering; Kafka first answers with
// SASL_AUTHENTICATION_FAILED, which is what clients report to the user, so
// the shim sends that answer.
func (c *conn) Close() error {
	// kfake's reader and writer both call Close: taking the entry out under
	// the lock makes the answer go out once.
	c.mu.Lock()
	var failedAuth *pendingResp
	var corr int32
	for k, p := range c.pending {
		if p.kind == respAuthenticate {
			failedAuth, corr = &p, k
			delete(c.pending, k)
			c.npending.Store(int32(len(c.pending)))
			break
		}
	}
	c.mu.Unlock()
	if failedAuth != nil {
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.Conn.Write(authFailedFrame(corr, failedAuth.version, failedAuth.failMsg))
	}
	return c.drop()
}

// drop closes the socket without a word, as a network failure would.
func (c *conn) drop() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.gone)
		err = c.Conn.Close()
	})
	return err
}

func authFailedFrame(corr int32, version int16, msg string) []byte {
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.Version = version
	resp.ErrorCode = 58 // SASL_AUTHENTICATION_FAILED
	if msg == "" {
		msg = "Authentication failed: Invalid username or password"
	}
	resp.ErrorMessage = &msg
	out := binary.BigEndian.AppendUint32(make([]byte, 4), uint32(corr))
	if resp.IsFlexible() {
		out = append(out, 0)
	}
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

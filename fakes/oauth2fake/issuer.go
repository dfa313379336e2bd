// Package oauth2fake is a throw-away OAuth2 issuer for tests: a
// client-credentials token endpoint (RFC 6749 4.4), OpenID discovery and a
// JWKS, issuing JWT access tokens. The Kafka fake validates such tokens for
// SASL/OAUTHBEARER and the Pulsar fake for its OAuth2 authentication.
package oauth2fake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/brokerkit/brokerkit/clock"
)

// Paths the issuer serves under its URL.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	TokenPath     = "/oauth2/token"
	JWKSPath      = "/oauth2/jwks"
)

// Option configures an Issuer.
type Option func(*Issuer)

// WithClient makes the token endpoint accept this client; repeat for more.
func WithClient(id, secret string) Option {
	return func(i *Issuer) { i.clients[id] = secret }
}

// WithAudience sets the aud claim of tokens whose request names none.
func WithAudience(aud string) Option { return func(i *Issuer) { i.audience = aud } }

// WithScope sets the scope claim of tokens whose request names none
// (space-separated, as on the wire).
func WithScope(scope string) Option { return func(i *Issuer) { i.scope = scope } }

// WithTTL sets how long tokens live (default one hour).
func WithTTL(d time.Duration) Option { return func(i *Issuer) { i.ttl = d } }

// WithClock sets the clock for iat and exp (default clock.System()).
func WithClock(c clock.Clock) Option { return func(i *Issuer) { i.clock = c } }

// WithHMACKey signs tokens with HS256 and this shared key instead of an
// ES256 key published in the JWKS, for servers that verify with a secret.
func WithHMACKey(key []byte) Option { return func(i *Issuer) { i.hmacKey = key } }

// WithAddr binds New's listener to hostport (default "127.0.0.1:0").
func WithAddr(hostport string) Option { return func(i *Issuer) { i.addr = hostport } }

// Issuer hands out and verifies tokens. All methods are safe for concurrent
// use.
type Issuer struct {
	url      string
	clients  map[string]string
	audience string
	scope    string
	ttl      time.Duration
	clock    clock.Clock
	hmacKey  []byte
	key      *ecdsa.PrivateKey
	kid      string
	addr     string

	srv  *http.Server
	ln   net.Listener
	wg   sync.WaitGroup
	once sync.Once
}

func build(opts []Option) (*Issuer, error) {
	i := &Issuer{clients: map[string]string{}, ttl: time.Hour, clock: clock.System(), addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(i)
	}
	if i.hmacKey == nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		i.key = key
		kid := make([]byte, 8)
		rand.Read(kid)
		i.kid = base64.RawURLEncoding.EncodeToString(kid)
	}
	return i, nil
}

// New starts an issuer on its own HTTP listener. Close stops it.
func New(opts ...Option) (*Issuer, error) {
	i, err := build(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", i.addr)
	if err != nil {
		return nil, fmt.Errorf("oauth2fake: %w", err)
	}
	i.ln, i.url = ln, "http://"+ln.Addr().String()
	i.srv = &http.Server{Handler: i, ReadHeaderTimeout: 10 * time.Second}
	i.wg.Add(1)
	go func() {
		defer i.wg.Done()
		i.srv.Serve(ln)
	}()
	return i, nil
}

// NewHandler returns an issuer without a listener, for a server that
// mounts it (it is an http.Handler) at issuerURL.
func NewHandler(issuerURL string, opts ...Option) (*Issuer, error) {
	i, err := build(opts)
	if err != nil {
		return nil, err
	}
	i.url = strings.TrimSuffix(issuerURL, "/")
	return i, nil
}

// Close stops New's listener; it does nothing for NewHandler's issuer.
func (i *Issuer) Close() error {
	var err error
	i.once.Do(func() {
		if i.srv != nil {
			err = i.srv.Close()
			i.wg.Wait()
		}
	})
	return err
}

// Addr is the listener's host:port ("" for NewHandler's issuer).
func (i *Issuer) Addr() string {
	if i.ln == nil {
		return ""
	}
	return i.ln.Addr().String()
}

// URL is the issuer URL (the iss claim and the discovery base).
func (i *Issuer) URL() string { return i.url }

// TokenURL is the client-credentials token endpoint.
func (i *Issuer) TokenURL() string { return i.url + TokenPath }

// JWKSURL is where the public signing key is published.
func (i *Issuer) JWKSURL() string { return i.url + JWKSPath }

// Secret returns a client's secret and whether the client is known.
func (i *Issuer) Secret(clientID string) (string, bool) {
	s, ok := i.clients[clientID]
	return s, ok
}

// ServeHTTP answers the discovery document, the JWKS and the token
// endpoint, and 404 elsewhere.
func (i *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !i.Serve(w, r) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
	}
}

// Serve answers the issuer's paths and reports false for any other, so a
// server can fall through to its own routes.
func (i *Issuer) Serve(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case DiscoveryPath:
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                i.url,
			"token_endpoint":                        i.TokenURL(),
			"jwks_uri":                              i.JWKSURL(),
			"grant_types_supported":                 []string{"client_credentials"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		})
	case JWKSPath:
		keys := []map[string]string{}
		if i.key != nil {
			pub, _ := i.key.PublicKey.Bytes() // 0x04 || x || y
			keys = append(keys, map[string]string{
				"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": i.kid,
				"x": base64.RawURLEncoding.EncodeToString(pub[1:33]),
				"y": base64.RawURLEncoding.EncodeToString(pub[33:]),
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	case TokenPath:
		i.issueToken(w, r)
	default:
		return false
	}
	return true
}

// Claims are the claims of an issued token.
type Claims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope,omitempty"`
}

// Token issues a token for a known client directly, as the token endpoint
// would; audience and scope "" take the issuer's defaults.
func (i *Issuer) Token(clientID, audience, scope string) (string, error) {
	if _, ok := i.clients[clientID]; !ok {
		return "", errors.New("oauth2fake: unknown client " + clientID)
	}
	return i.sign(clientID, audience, scope, i.ttl)
}

func (i *Issuer) sign(sub, audience, scope string, ttl time.Duration) (string, error) {
	if audience == "" {
		audience = i.audience
	}
	if scope == "" {
		scope = i.scope
	}
	now := i.clock.Now()
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    i.url,
		Subject:   sub,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}, Scope: scope}
	if audience != "" {
		c.Audience = jwt.ClaimStrings{audience}
	}
	if i.hmacKey != nil {
		return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.hmacKey)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = i.kid
	return t.SignedString(i.key)
}

// issueToken implements the client-credentials grant with the errors of
// RFC 6749 5.2.
func (i *Issuer) issueToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if g := r.Form.Get("grant_type"); g != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	id, secret := r.Form.Get("client_id"), r.Form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if want, ok := i.clients[id]; !ok || want != secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	tok, err := i.sign(id, r.Form.Get("audience"), r.Form.Get("scope"), i.ttl)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(i.ttl.Seconds())})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

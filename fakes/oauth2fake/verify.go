package oauth2fake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/brokerkit/brokerkit/clock"
)

// Verifier checks bearer tokens against a JWKS, as a broker configured
// with a JWKS endpoint does (Kafka's sasl.oauthbearer.jwks.endpoint.url):
// signature, expiry, audience and a required scope.
type Verifier struct {
	JWKSURL  string
	Audience string // required aud value; "" checks none
	Scope    string // required scope; "" checks none
	Clock    clock.Clock

	mu      sync.Mutex
	keys    map[string]any // kid -> public key
	fetched time.Time
}

// Errors Verify wraps, so a server can map them to its own answers.
var (
	ErrInvalidToken      = errors.New("invalid_token")
	ErrInsufficientScope = errors.New("insufficient_scope")
)

// Verify returns the token's claims, or an error wrapping ErrInvalidToken
// or ErrInsufficientScope.
func (v *Verifier) Verify(token string) (*Claims, error) {
	c := &Claims{}
	now := time.Now
	if v.Clock != nil {
		now = v.Clock.Now
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"ES256", "RS256"}), jwt.WithTimeFunc(now), jwt.WithExpirationRequired()}
	if v.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.Audience))
	}
	if _, err := jwt.ParseWithClaims(token, c, v.keyFor, opts...); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if v.Scope != "" && !slices.Contains(strings.Fields(c.Scope), v.Scope) {
		return nil, fmt.Errorf("%w: token lacks scope %q", ErrInsufficientScope, v.Scope)
	}
	return c, nil
}

// keyFor finds the token's key, fetching the JWKS again (at most once a
// second) for a key id it does not know yet, as keys rotate.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if time.Since(v.fetched) < time.Second {
		return nil, fmt.Errorf("no key %q in the JWKS", kid)
	}
	v.fetched = time.Now()
	keys, err := fetchJWKS(v.JWKSURL)
	if err != nil {
		return nil, err
	}
	v.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("no key %q in the JWKS", kid)
}

type jwk struct {
	Kty, Kid, Crv, X, Y, N, E string
}

func fetchJWKS(url string) (map[string]any, error) {
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching JWKS: %s", resp.Status)
	}
	var set struct{ Keys []jwk }
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("reading JWKS: %w", err)
	}
	keys := map[string]any{}
	for _, k := range set.Keys {
		if pk, err := k.public(); err == nil {
			keys[k.Kid] = pk
		}
	}
	return keys, nil
}

func (k jwk) public() (any, error) {
	b := func(s string) (*big.Int, error) {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		return new(big.Int).SetBytes(raw), err
	}
	switch k.Kty {
	case "EC":
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err := errors.Join(err1, err2); err != nil || k.Crv != "P-256" || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC key")
		}
		// Checks the point is on the curve.
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	case "RSA":
		n, err1 := b(k.N)
		e, err2 := b(k.E)
		if err := errors.Join(err1, err2); err != nil || !e.IsInt64() {
			return nil, errors.New("bad RSA key")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	}
	return nil, errors.New("unsupported key type")
}

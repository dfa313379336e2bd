package pulsarfake_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

func signHS(t *testing.T, key []byte, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

func tryProduce(t *testing.T, srv *pulsarfake.Server, auth pulsar.Authentication) error {
	t.Helper()
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) {
		o.Authentication = auth
		o.OperationTimeout = 1500 * time.Millisecond
	})
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic(t)})
	if err != nil {
		return err
	}
	defer p.Close()
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Payload: []byte("x")})
	return err
}

func TestTokenAuthStaticList(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTokens("good-token"))
	require.NoError(t, tryProduce(t, srv, pulsar.NewAuthenticationToken("good-token")))
	err := tryProduce(t, srv, pulsar.NewAuthenticationToken("bad-token"))
	require.Error(t, err)
	t.Logf("wrong token: %v", err)
	err = tryProduce(t, srv, nil)
	require.Error(t, err)
	t.Logf("no token: %v", err)
}

func TestTokenAuthJWT(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	t.Run("HS256", func(t *testing.T) {
		srv := newServer(t, pulsarfake.WithJWTSecret(secret))
		require.NoError(t, tryProduce(t, srv, pulsar.NewAuthenticationToken(signHS(t, secret, jwt.MapClaims{"sub": "token-principal"}))))
		require.Error(t, tryProduce(t, srv, pulsar.NewAuthenticationToken(signHS(t, []byte("another-secret-another-secret!!"), jwt.MapClaims{"sub": "x"}))))
		expired := signHS(t, secret, jwt.MapClaims{"sub": "x", "exp": time.Now().Add(-time.Minute).Unix()})
		require.Error(t, tryProduce(t, srv, pulsar.NewAuthenticationToken(expired)))
	})
	t.Run("RS256", func(t *testing.T) {
		srv := newServer(t, pulsarfake.WithJWTPublicKey(&rsaKey.PublicKey))
		tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "svc", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(rsaKey)
		require.NoError(t, err)
		require.NoError(t, tryProduce(t, srv, pulsar.NewAuthenticationToken(tok)))
		// An HS256 token cannot pass when only a public key is configured.
		require.Error(t, tryProduce(t, srv, pulsar.NewAuthenticationToken(signHS(t, secret, jwt.MapClaims{"sub": "x"}))))
	})
}

func TestAuthRefreshChallenge(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTokens("t1", "t2"))
	tokens := make(chan string, 10)
	tokens <- "t1"
	current := "t1"
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) {
		o.Authentication = pulsar.NewAuthenticationTokenFromSupplier(func() (string, error) {
			select {
			case current = <-tokens:
			default:
			}
			return current, nil
		})
	})
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	tokens <- "t2"
	srv.ChallengeAuth()
	produce(t, p, payloads(1, "after-refresh")...)
	require.Equal(t, 1, srv.ConnectionCount())
}

// TestOAuth2ClientCredentials runs the client's OAuth2 flow against a tiny
// issuer whose access tokens are JWTs the broker verifies with its key, as
// a broker configured with the issuer's key does.
func TestOAuth2ClientCredentials(t *testing.T) {
	t.Parallel()
	secret := []byte("oauth2-issuer-signing-key-0123456789")
	var issuer *httptest.Server
	issuer = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": issuer.URL, "token_endpoint": issuer.URL + "/token"})
		case "/token":
			r.ParseForm()
			if r.Form.Get("client_secret") != "s3cret" {
				w.WriteHeader(http.StatusUnauthorized)
				json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
				return
			}
			tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
				"sub": r.Form.Get("client_id"), "aud": r.Form.Get("audience"), "exp": time.Now().Add(time.Hour).Unix(),
			}).SignedString(secret)
			json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
		default:
			http.NotFound(w, r)
		}
	}))
	defer issuer.Close()
	keyFile := filepath.Join(t.TempDir(), "key.json")
	key, _ := json.Marshal(map[string]string{"type": "sn_service_account", "client_id": "svc-1", "client_secret": "s3cret", "issuer_url": issuer.URL})
	require.NoError(t, os.WriteFile(keyFile, key, 0o600))

	srv := newServer(t, pulsarfake.WithJWTSecret(secret))
	auth := pulsar.NewAuthenticationOAuth2(map[string]string{
		"type": "client_credentials", "issuerUrl": issuer.URL, "audience": "urn:pulsar", "privateKey": "file://" + keyFile,
	})
	require.NoError(t, tryProduce(t, srv, auth))
}

func TestBasicAuthWithUser(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithUser("alice", "s3cret"), pulsarfake.WithUser("bob", "pw"))
	basic := func(u, p string) pulsar.Authentication {
		a, err := pulsar.NewAuthenticationBasic(u, p)
		require.NoError(t, err)
		return a
	}
	require.NoError(t, tryProduce(t, srv, basic("alice", "s3cret")))
	require.NoError(t, tryProduce(t, srv, basic("bob", "pw")))
	require.Error(t, tryProduce(t, srv, basic("alice", "wrong")))
	require.Error(t, tryProduce(t, srv, pulsar.NewAuthenticationToken("alice")))
	require.Error(t, tryProduce(t, srv, nil))

	get := func(user, password string) int {
		req, err := http.NewRequest(http.MethodGet, srv.AdminURL()+"/admin/v2/tenants", nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("alice", "s3cret"))
	require.Equal(t, http.StatusUnauthorized, get("alice", "nope"))
	require.Equal(t, http.StatusUnauthorized, get("", ""))
}

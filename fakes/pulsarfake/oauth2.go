package pulsarfake

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// WithOAuth2 makes the fake its own throw-away OAuth2 issuer, on the admin
// HTTP port: /.well-known/openid-configuration and a client-credentials
// token endpoint that knows this client. The access tokens it issues are
// JWTs the broker accepts, so pulsar-client-go's OAuth2 provider works end
// to end (see OAuth2IssuerURL and WriteOAuth2KeyFile). Repeat for more
// clients. It turns authentication on.
func WithOAuth2(clientID, clientSecret string) Option {
	return func(o *options) {
		if o.oauth2Clients == nil {
			o.oauth2Clients = map[string]string{}
		}
		o.oauth2Clients[clientID] = clientSecret
		o.authRequired = true
	}
}

// oauth2TokenPath is where the issuer hands out tokens.
const oauth2TokenPath = "/oauth2/token"

// setupOAuth2 gives the issuer a signing key the broker verifies with: the
// configured JWT secret when there is one, otherwise a random one.
func (s *Server) setupOAuth2() error {
	if len(s.opts.oauth2Clients) == 0 {
		return nil
	}
	if s.opts.noAdmin {
		return errors.New("pulsarfake: WithOAuth2 needs the admin HTTP listener (drop WithoutAdmin)")
	}
	if s.opts.jwtSecret == nil {
		key := make([]byte, 32)
		rand.Read(key)
		s.opts.jwtSecret = key
	}
	return nil
}

// OAuth2IssuerURL is the issuer URL clients configure ("issuerUrl"), or ""
// without WithOAuth2.
func (s *Server) OAuth2IssuerURL() string {
	if len(s.opts.oauth2Clients) == 0 {
		return ""
	}
	return s.adminURL
}

// WriteOAuth2KeyFile writes the credentials file pulsar-client-go's OAuth2
// provider reads ("privateKey": "file://"+path) for a client given to
// WithOAuth2.
func (s *Server) WriteOAuth2KeyFile(path, clientID string) error {
	secret, ok := s.opts.oauth2Clients[clientID]
	if !ok {
		return errors.New("pulsarfake: unknown OAuth2 client " + clientID)
	}
	b, err := json.Marshal(map[string]string{
		"type": "sn_service_account", "client_id": clientID, "client_secret": secret, "issuer_url": s.OAuth2IssuerURL(),
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// serveOAuth2 answers the issuer's two endpoints; it reports false for any
// other path.
func (s *Server) serveOAuth2(w http.ResponseWriter, r *http.Request) bool {
	if len(s.opts.oauth2Clients) == 0 {
		return false
	}
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                s.adminURL,
			"token_endpoint":                        s.adminURL + oauth2TokenPath,
			"grant_types_supported":                 []string{"client_credentials"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		})
	case oauth2TokenPath:
		s.issueToken(w, r)
	default:
		return false
	}
	return true
}

// issueToken implements the client-credentials grant (RFC 6749 4.4) with
// the errors of RFC 6749 5.2.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
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
	if want, ok := s.opts.oauth2Clients[id]; !ok || want != secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	const ttl = time.Hour
	now := s.opts.clock.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    s.adminURL,
		Subject:   id,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	if aud := r.Form.Get("audience"); aud != "" {
		claims.Audience = jwt.ClaimStrings{aud}
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.opts.jwtSecret)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(ttl.Seconds())})
}

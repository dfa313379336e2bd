package pulsarfake

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"

	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
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

// serveOAuth2 answers the issuer's endpoints (oauth2fake, signing with the
// broker's JWT secret so token authentication accepts its tokens); it
// reports false for any other path.
func (s *Server) serveOAuth2(w http.ResponseWriter, r *http.Request) bool {
	if len(s.opts.oauth2Clients) == 0 {
		return false
	}
	s.issuerOnce.Do(func() {
		opts := []oauth2fake.Option{oauth2fake.WithHMACKey(s.opts.jwtSecret), oauth2fake.WithClock(s.opts.clock)}
		for id, secret := range s.opts.oauth2Clients {
			opts = append(opts, oauth2fake.WithClient(id, secret))
		}
		s.issuer, _ = oauth2fake.NewHandler(s.adminURL, opts...) // fails only generating a key, which HMAC skips
	})
	return s.issuer.Serve(w, r)
}

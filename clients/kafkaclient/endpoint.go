package kafkaclient

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"golang.org/x/oauth2/clientcredentials"
)

// Endpoint is how to reach a Kafka cluster: plain connection data that a
// fake, a container or an external broker can all describe.
type Endpoint struct {
	Brokers []string
	SASL    *SASL       // nil: no authentication
	TLS     *tls.Config // nil: plaintext
}

// SASL holds credentials for one mechanism: "PLAIN", "SCRAM-SHA-256",
// "SCRAM-SHA-512" or "OAUTHBEARER". For OAUTHBEARER, User and Password are
// an OAuth2 client id and secret: each login fetches a fresh token from
// TokenURL with the client-credentials grant (KIP-768's OIDC flow).
type SASL struct {
	Mechanism string
	User      string
	Password  string
	TokenURL  string // OAUTHBEARER only
}

// Opts returns the franz-go options that connect to the endpoint.
func (e Endpoint) Opts() ([]kgo.Opt, error) {
	if len(e.Brokers) == 0 {
		return nil, fmt.Errorf("kafkaclient: endpoint has no brokers")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(e.Brokers...)}
	if e.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(e.TLS.Clone()))
	}
	if e.SASL != nil {
		m, err := e.SASL.mechanism()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

func (s *SASL) mechanism() (sasl.Mechanism, error) {
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Auth{User: s.User, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism(), nil
	case "OAUTHBEARER":
		if s.TokenURL == "" {
			return nil, fmt.Errorf("kafkaclient: OAUTHBEARER needs a TokenURL")
		}
		cc := clientcredentials.Config{ClientID: s.User, ClientSecret: s.Password, TokenURL: s.TokenURL}
		return oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
			tok, err := cc.Token(ctx)
			if err != nil {
				return oauth.Auth{}, fmt.Errorf("kafkaclient: OAuth token: %w", err)
			}
			return oauth.Auth{Token: tok.AccessToken}, nil
		}), nil
	}
	return nil, fmt.Errorf("kafkaclient: unsupported SASL mechanism %q", s.Mechanism)
}

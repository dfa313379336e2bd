package kafkafake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
)

func issuer(t *testing.T, opts ...oauth2fake.Option) *oauth2fake.Issuer {
	t.Helper()
	iss, err := oauth2fake.New(append([]oauth2fake.Option{oauth2fake.WithClient("svc", "s3cret")}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { iss.Close() })
	return iss
}

// fetchToken runs the client-credentials grant against the token endpoint,
// as a client configured with it would.
func fetchToken(t *testing.T, tokenURL, id, secret, scope string) string {
	t.Helper()
	resp, err := http.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {scope}})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body.AccessToken
}

func bearer(token string) kgo.Opt {
	return kgo.SASL(oauth.Oauth(func(context.Context) (oauth.Auth, error) { return oauth.Auth{Token: token}, nil }))
}

func TestOAuthBearer(t *testing.T) {
	clk := clock.NewManual(time.Now().Add(-2 * time.Hour))
	iss := issuer(t, oauth2fake.WithAudience("kafka"), oauth2fake.WithClock(clk))
	expired, err := iss.Token("svc", "", "kafka.produce") // issued two hours ago, lived one
	require.NoError(t, err)
	clk.Set(time.Now())
	other := issuer(t, oauth2fake.WithAudience("kafka")) // a different signing key
	s := start(t, WithTopic("orders", 1), WithOAuth(iss.JWKSURL(), "kafka", "kafka.produce"), WithUser("alice", "pw"))

	t.Run("valid token", func(t *testing.T) {
		tok := fetchToken(t, iss.TokenURL(), "svc", "s3cret", "openid kafka.produce")
		roundTrip(t, s, "orders", bearer(tok))
	})
	t.Run("password mechanisms still work", func(t *testing.T) {
		require.NoError(t, s.CreateTopic("plain", 1))
		roundTrip(t, s, "plain", kgo.SASL(plain.Auth{User: "alice", Pass: "pw"}.AsMechanism()))
	})
	refused := func(t *testing.T, token, text string) {
		cl := client(t, s, kgo.RequestRetries(0), bearer(token))
		c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err := cl.Ping(c)
		require.ErrorIs(t, err, kerr.SaslAuthenticationFailed)
		require.ErrorContains(t, err, text)
	}
	t.Run("expired", func(t *testing.T) {
		refused(t, expired, `{"status":"invalid_token"}`)
	})
	t.Run("wrong audience", func(t *testing.T) {
		tok, err := iss.Token("svc", "not-kafka", "kafka.produce")
		require.NoError(t, err)
		refused(t, tok, `{"status":"invalid_token"}`)
	})
	t.Run("missing scope", func(t *testing.T) {
		tok, err := iss.Token("svc", "", "openid")
		require.NoError(t, err)
		refused(t, tok, `{"status":"insufficient_scope","scope":"kafka.produce"}`)
	})
	t.Run("untrusted signer", func(t *testing.T) {
		tok, err := other.Token("svc", "", "kafka.produce")
		require.NoError(t, err)
		refused(t, tok, `{"status":"invalid_token"}`)
	})
	t.Run("not a JWT", func(t *testing.T) {
		refused(t, "garbage", `{"status":"invalid_token"}`)
	})
}

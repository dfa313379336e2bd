package main

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
)

// --kafka-oauth-client serves an OAuth2 issuer whose client-credentials
// tokens the Kafka fake accepts over SASL/OAUTHBEARER.
func TestUpKafkaOAuthBearer(t *testing.T) {
	out, stop := startUp(t, "--only", "kafka", "--kafka-port", "0", "--kafka-oauth-client", "app:s3cret")
	addr := kafkaAddr(t, out)
	var tokenURL string
	for _, b := range out.Backends {
		if b.Name == "kafka" {
			tokenURL = b.Addrs["oauth-token"]
		}
	}
	require.NotEmpty(t, tokenURL)
	require.Contains(t, out.Exports, "export BROKERKIT_KAFKA_OAUTH_TOKEN_URL="+tokenURL)
	require.Contains(t, out.Exports, "export BROKERKIT_KAFKA_OAUTH_CLIENT=app:s3cret")

	token := func(ctx context.Context) (oauth.Auth, error) {
		resp, err := http.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {"s3cret"}})
		if err != nil {
			return oauth.Auth{}, err
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		return oauth.Auth{Token: body.AccessToken}, json.NewDecoder(resp.Body).Decode(&body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(), kgo.SASL(oauth.Oauth(token)))
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.ProduceSync(ctx, &kgo.Record{Topic: "oauth", Value: []byte("x")}).FirstErr())

	bad, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(0),
		kgo.SASL(oauth.Oauth(func(context.Context) (oauth.Auth, error) { return oauth.Auth{Token: "forged"}, nil })))
	require.NoError(t, err)
	defer bad.Close()
	require.ErrorIs(t, bad.Ping(ctx), kerr.SaslAuthenticationFailed)
	cl.Close()
	bad.Close()
	require.Equal(t, 0, stop())
}

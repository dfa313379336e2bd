package pulsarfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

// TestBuiltInOAuth2Issuer runs pulsar-client-go's OAuth2 client-credentials
// flow against the fake's own issuer: discovery, token, then CONNECT with
// the issued token.
func TestBuiltInOAuth2Issuer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithOAuth2("svc-1", "s3cret"))
	require.Equal(t, srv.AdminURL(), srv.OAuth2IssuerURL())
	keyFile := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, srv.WriteOAuth2KeyFile(keyFile, "svc-1"))
	require.Error(t, srv.WriteOAuth2KeyFile(keyFile, "nobody"))

	auth := pulsar.NewAuthenticationOAuth2(map[string]string{
		"type": "client_credentials", "issuerUrl": srv.OAuth2IssuerURL(), "audience": "urn:pulsar", "privateKey": "file://" + keyFile,
	})
	require.NoError(t, tryProduce(t, srv, auth))

	// Without a token the broker refuses, as with any auth provider.
	require.Error(t, tryProduce(t, srv, nil))
}

func TestOAuth2TokenEndpointErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithOAuth2("svc-1", "s3cret"))
	var meta map[string]any
	resp, err := http.Get(srv.OAuth2IssuerURL() + "/.well-known/openid-configuration")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&meta))
	resp.Body.Close()
	tokenURL := meta["token_endpoint"].(string)
	require.True(t, strings.HasPrefix(tokenURL, srv.AdminURL()))

	post := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(tokenURL, form)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	code, body := post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc-1"}, "client_secret": {"wrong"}})
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, "invalid_client", body["error"])
	code, body = post(url.Values{"grant_type": {"password"}, "client_id": {"svc-1"}, "client_secret": {"s3cret"}})
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "unsupported_grant_type", body["error"])
	code, body = post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc-1"}, "client_secret": {"s3cret"}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "Bearer", body["token_type"])

	// The issued token is a valid broker token.
	require.NoError(t, tryProduce(t, srv, pulsar.NewAuthenticationToken(body["access_token"].(string))))
}

func TestOAuth2NeedsTheAdminListener(t *testing.T) {
	_, err := pulsarfake.New(pulsarfake.WithOAuth2("a", "b"), pulsarfake.WithoutAdmin())
	require.ErrorContains(t, err, "admin")
}

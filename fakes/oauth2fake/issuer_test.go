package oauth2fake_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
	"github.com/brokerkit/brokerkit/fixtures"
)

func TestMain(m *testing.M) { fixtures.Main(m) }

func TestTokenEndpointErrors(t *testing.T) {
	iss, err := oauth2fake.New(oauth2fake.WithClient("svc", "s3cret"))
	require.NoError(t, err)
	defer iss.Close()
	for _, c := range []struct {
		form   url.Values
		status int
	}{
		{url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {"wrong"}}, http.StatusUnauthorized},
		{url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"s3cret"}}, http.StatusUnauthorized},
		{url.Values{"grant_type": {"password"}, "client_id": {"svc"}, "client_secret": {"s3cret"}}, http.StatusBadRequest},
	} {
		resp, err := http.PostForm(iss.TokenURL(), c.form)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, c.status, resp.StatusCode, c.form)
	}
	resp, err := http.Get(iss.URL() + oauth2fake.DiscoveryPath)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestVerifierRejects(t *testing.T) {
	iss, err := oauth2fake.New(oauth2fake.WithClient("svc", "s"), oauth2fake.WithAudience("kafka"), oauth2fake.WithScope("read"))
	require.NoError(t, err)
	defer iss.Close()
	v := &oauth2fake.Verifier{JWKSURL: iss.JWKSURL(), Audience: "kafka", Scope: "write"}
	tok, err := iss.Token("svc", "", "")
	require.NoError(t, err)
	_, err = v.Verify(tok)
	require.True(t, errors.Is(err, oauth2fake.ErrInsufficientScope), "%v", err)
	_, err = v.Verify(tok + "x")
	require.True(t, errors.Is(err, oauth2fake.ErrInvalidToken), "%v", err)
	hmac, err := oauth2fake.NewHandler("http://example", oauth2fake.WithClient("svc", "s"), oauth2fake.WithHMACKey([]byte("k")))
	require.NoError(t, err)
	tok, err = hmac.Token("svc", "kafka", "write")
	require.NoError(t, err)
	_, err = v.Verify(tok) // HS256 is not accepted from a JWKS verifier
	require.True(t, errors.Is(err, oauth2fake.ErrInvalidToken), "%v", err)
}

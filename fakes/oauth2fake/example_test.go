package oauth2fake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
)

func Example() {
	iss, err := oauth2fake.New(oauth2fake.WithClient("svc", "s3cret"), oauth2fake.WithAudience("kafka"))
	if err != nil {
		panic(err)
	}
	defer iss.Close()

	// A client runs the client-credentials grant...
	resp, err := http.PostForm(iss.TokenURL(), url.Values{
		"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {"s3cret"}, "scope": {"kafka.produce"},
	})
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)

	// ...and a server checks the token against the issuer's JWKS.
	v := &oauth2fake.Verifier{JWKSURL: iss.JWKSURL(), Audience: "kafka", Scope: "kafka.produce"}
	claims, err := v.Verify(tok.AccessToken)
	fmt.Println(claims.Subject, err)
	// Output: svc <nil>
}

package kafkafake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
)

// OAuthBearer is SASL/OAUTHBEARER (KIP-255), enabled by WithOAuth.
const OAuthBearer Mechanism = "OAUTHBEARER"

// WithOAuth accepts SASL/OAUTHBEARER bearer tokens signed by a key of the
// JWKS at jwksURL (an oauth2fake.Issuer's JWKSURL, or any issuer's), like
// Kafka's OAuthBearerValidatorCallbackHandler with
// sasl.oauthbearer.jwks.endpoint.url: the signature, expiry, audience (when
// not "") and a scope the token's scope claim must list (when not "") are
// checked. A token that fails is refused with SASL_AUTHENTICATION_FAILED
// and Kafka's error text ({"status":"invalid_token"}). It turns SASL on;
// WithUser adds password mechanisms beside it.
func WithOAuth(jwksURL, audience, scope string) Option {
	return func(c *config) {
		c.oauth = &oauth2fake.Verifier{JWKSURL: jwksURL, Audience: audience, Scope: scope}
	}
}

// kfake knows no OAUTHBEARER, so the shim checks the token itself and then
// authenticates the connection to kfake with PLAIN as an internal user;
// a refused token becomes a PLAIN attempt with a wrong password, which
// kfake fails, and the shim's Close answers with the OAuth error text.
const oauthUser = "brokerkit-oauth"

var oauthPassword = inspectorPassword + "-oauth"

// oauthHandshake makes an OAUTHBEARER SaslHandshake ask kfake for PLAIN.
func (c *conn) oauthHandshake(body []byte) {
	req := kmsg.NewPtrSASLHandshakeRequest()
	hl := readRequest(body, 1, req)
	if hl < 0 {
		return
	}
	req.Mechanism = string(Plain)
	c.replaceBody(body[:hl], req)
}

// oauthAuthenticate swaps an OAUTHBEARER SaslAuthenticate's token for PLAIN
// credentials and returns the error text to send if kfake refuses them.
func (c *conn) oauthAuthenticate(version int16, body []byte) string {
	req := kmsg.NewPtrSASLAuthenticateRequest()
	hl := readRequest(body, version, req)
	if hl < 0 {
		return ""
	}
	creds, msg := c.oauthCredentials(req.SASLAuthBytes)
	req.SASLAuthBytes = creds
	c.replaceBody(body[:hl], req)
	return msg
}

// oauthCredentials checks an OAUTHBEARER client first message (RFC 7628
// 3.1) and returns the PLAIN message standing for it, and Kafka's error
// text when the token is refused.
func (c *conn) oauthCredentials(msg []byte) ([]byte, string) {
	good := []byte("\x00" + oauthUser + "\x00" + oauthPassword)
	bad := []byte("\x00" + oauthUser + "\x00")
	token, ok := bearerToken(msg)
	if !ok {
		return bad, `{"status":"invalid_request"}`
	}
	if _, err := c.shim.oauth.Verify(token); err != nil {
		c.shim.logger.Info("kafkafake: OAUTHBEARER token refused", "remote", c.RemoteAddr().String(), "error", err)
		if errors.Is(err, oauth2fake.ErrInsufficientScope) {
			return bad, `{"status":"insufficient_scope","scope":"` + c.shim.oauth.Scope + `"}`
		}
		return bad, `{"status":"invalid_token"}`
	}
	return good, ""
}

// bearerToken extracts the token from "n,[a=authzid],\x01auth=Bearer
// <token>\x01[key=value\x01]\x01".
func bearerToken(msg []byte) (string, bool) {
	parts := bytes.Split(msg, []byte{1})
	if len(parts) < 3 || !bytes.HasPrefix(parts[0], []byte("n,")) {
		return "", false
	}
	for _, kv := range parts[1:] {
		if v, ok := strings.CutPrefix(string(kv), "auth="); ok {
			scheme, token, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return "", false
			}
			return token, true
		}
	}
	return "", false
}

// replaceBody puts header followed by req, encoded, in place of the frame
// kfake will read.
func (c *conn) replaceBody(header []byte, req kmsg.Request) {
	out := append(make([]byte, 4, 4+len(header)+64), header...)
	out = req.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	c.rbuf, c.roff = out, 0
}

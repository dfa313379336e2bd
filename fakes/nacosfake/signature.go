package nacosfake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// checkSignature verifies ak/sk request signing (WithAccessKey). It returns
// "" when the request may proceed, else the message of the 403.
func (s *Server) checkSignature(module string, p *payload) string {
	if s.opts.accessKey == "" {
		return ""
	}
	h := p.Headers
	if h["signatureVersion"] != "" {
		return "signature version " + h["signatureVersion"] + " is not supported by nacosfake"
	}
	switch module {
	case "config":
		var r struct {
			Tenant string `json:"tenant"`
			Group  string `json:"group"`
		}
		_ = jsonUnmarshal(p.Body, &r)
		return s.checkConfigSignature(h["Spas-AccessKey"], h["Spas-Signature"], h["Timestamp"], r.Tenant, r.Group)
	case "naming":
		if h["ak"] != s.opts.accessKey || !hmacEqual(s.opts.secret, h["data"], h["signature"]) {
			return "invalid signature"
		}
	}
	return ""
}

// checkConfigSignature checks a config request's Spas-* signature. SDKs
// sign "[tenant+]group+timestamp", or only the timestamp when the request
// has no group (batch listens).
func (s *Server) checkConfigSignature(ak, sig, ts, tenant, group string) string {
	if ak != s.opts.accessKey {
		return "invalid access key"
	}
	resource := group
	if tenant != "" {
		resource = tenant + "+" + group
	}
	for _, data := range []string{resource + "+" + ts, ts} {
		if hmacEqual(s.opts.secret, data, sig) {
			return ""
		}
	}
	return "invalid signature"
}

// httpSignatureMessage checks ak/sk signing (WithAccessKey) on the HTTP
// config and naming endpoints: config requests carry the Spas-AccessKey,
// Timestamp and Spas-Signature headers, naming requests the ak, data and
// signature parameters. "" lets the request proceed.
func (s *Server) httpSignatureMessage(op Op, q url.Values, r *http.Request) string {
	if s.opts.accessKey == "" {
		return ""
	}
	switch {
	case strings.Contains(string(op), "/cs/"):
		tenant := q.Get("tenant")
		if tenant == "" {
			tenant = q.Get("namespaceId")
		}
		return s.checkConfigSignature(r.Header.Get("Spas-AccessKey"), r.Header.Get("Spas-Signature"),
			r.Header.Get("Timestamp"), tenant, q.Get("group"))
	case strings.Contains(string(op), "/ns/"):
		if q.Get("ak") != s.opts.accessKey || !hmacEqual(s.opts.secret, q.Get("data"), q.Get("signature")) {
			return "invalid signature"
		}
	}
	return ""
}

func hmacEqual(key, data, sig string) bool {
	mac := hmac.New(sha1.New, []byte(key))
	mac.Write([]byte(data))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

package nacosfake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
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
		if h["Spas-AccessKey"] != s.opts.accessKey {
			return "invalid access key"
		}
		ts := h["Timestamp"]
		var r struct {
			Tenant string `json:"tenant"`
			Group  string `json:"group"`
		}
		_ = jsonUnmarshal(p.Body, &r)
		// The SDK signs "[tenant+]group+ts", or just ts for batch listens.
		resource := r.Group
		if r.Tenant != "" {
			resource = r.Tenant + "+" + r.Group
		}
		for _, data := range []string{resource + "+" + ts, ts} {
			if hmacEqual(s.opts.secret, data, h["Spas-Signature"]) {
				return ""
			}
		}
		return "invalid signature"
	case "naming":
		if h["ak"] != s.opts.accessKey || !hmacEqual(s.opts.secret, h["data"], h["signature"]) {
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

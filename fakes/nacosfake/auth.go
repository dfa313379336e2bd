package nacosfake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// authEnabled reports whether WithUser was given.
func (s *Server) authEnabled() bool { return len(s.opts.users) > 0 }

// checkPassword reports whether name/password is a configured user.
func (s *Server) checkPassword(name, password string) bool {
	pw, ok := s.opts.users[name]
	return ok && pw == password
}

// login checks credentials and issues a token. With auth off every login
// succeeds, as Nacos answers logins even when it does not enforce them.
func (s *Server) login(user, pass string) (token string, errMsg string) {
	if s.authEnabled() {
		pw, ok := s.opts.users[user]
		if !ok {
			return "", "user not found!"
		}
		if pass != pw {
			return "", "unknown user!"
		}
	}
	return s.issueToken(user), ""
}

// issueToken makes a token shaped like Nacos's (JwtTokenManager): an HS256
// JWT {"sub":user,"exp":unix seconds} signed with a secret of this server.
// Validity is still looked up, so tokens die with the server.
func (s *Server) issueToken(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jwtKey == nil {
		s.jwtKey = make([]byte, 32)
		_, _ = rand.Read(s.jwtKey)
	}
	exp := s.now().Add(s.opts.tokenTTL)
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." +
		enc.EncodeToString(mustJSON(map[string]any{"sub": user, "exp": exp.Unix()}))
	mac := hmac.New(sha256.New, s.jwtKey)
	mac.Write([]byte(unsigned))
	token := unsigned + "." + enc.EncodeToString(mac.Sum(nil))
	s.tokens[token] = exp
	return token
}

// checkToken returns "" when the request may proceed, else the Nacos
// message for the 403.
func (s *Server) checkToken(token string) string {
	if !s.authEnabled() {
		return ""
	}
	if token == "" {
		return "user not found!"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[token]
	if !ok {
		return "token invalid!"
	}
	if s.now().After(exp) {
		delete(s.tokens, token)
		return "token expired!"
	}
	return ""
}

// Token issues a valid accessToken without a login, for tests that speak
// the wire protocol by hand.
func (s *Server) Token() string { return s.issueToken("nacos") }

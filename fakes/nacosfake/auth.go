package nacosfake

import (
	"crypto/rand"
	"encoding/hex"
)

// authEnabled reports whether WithAuth was given.
func (s *Server) authEnabled() bool { return s.opts.username != "" }

// login checks credentials and issues a token. With auth off every login
// succeeds, as Nacos answers logins even when it does not enforce them.
func (s *Server) login(user, pass string) (token string, errMsg string) {
	if s.authEnabled() {
		if user != s.opts.username {
			return "", "user not found!"
		}
		if pass != s.opts.password {
			return "", "unknown user!"
		}
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token = hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[token] = s.now().Add(s.opts.tokenTTL)
	s.mu.Unlock()
	return token, ""
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

// Token logs in with the configured credentials and returns a valid
// accessToken, for tests that speak the wire protocol by hand.
func (s *Server) Token() string {
	t, _ := s.login(s.opts.username, s.opts.password)
	return t
}

// Credentials returns the configured username and password ("" when auth is off).
func (s *Server) Credentials() (username, password string) { return s.opts.username, s.opts.password }

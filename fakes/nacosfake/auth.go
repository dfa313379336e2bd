package nacosfake

import (
	"crypto/rand"
	"encoding/hex"
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
	return s.issueToken(), ""
}

func (s *Server) issueToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	s.mu.Lock()
	s.tokens[token] = s.now().Add(s.opts.tokenTTL)
	s.mu.Unlock()
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
func (s *Server) Token() string { return s.issueToken() }

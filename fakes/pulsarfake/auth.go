package pulsarfake

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/protobuf/proto"
)

// authenticate checks CONNECT credentials the way the broker's token
// provider does and returns the client's role. Without authentication
// configured every client is accepted, whatever it sends.
func (s *Server) authenticate(method string, data []byte) (string, error) {
	if !s.opts.authRequired {
		return "", nil
	}
	if method == "" && s.opts.anonymousRole != "" {
		return s.opts.anonymousRole, nil
	}
	if method == "basic" && s.opts.users != nil {
		return s.authenticateBasic(string(data))
	}
	if method != "token" || s.opts.tokens == nil && s.opts.jwtSecret == nil && s.opts.jwtPublicKey == nil {
		if method == "" {
			return "", errors.New("authentication required")
		}
		return "", fmt.Errorf("no authentication provider for method %q", method)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", errors.New("empty token")
	}
	if role, ok := s.opts.tokens[token]; ok {
		return role, nil
	}
	if s.opts.jwtSecret == nil && s.opts.jwtPublicKey == nil {
		return "", errors.New("unknown token")
	}
	claims := jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(token, &claims, s.jwtKey, jwt.WithExpirationRequired(), jwt.WithLeeway(0))
	if err != nil && errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		// Tokens without "exp" never expire.
		claims = jwt.RegisteredClaims{}
		_, err = jwt.ParseWithClaims(token, &claims, s.jwtKey)
	}
	if err != nil {
		return "", fmt.Errorf("invalid token: %w", err)
	}
	if claims.Subject == "" {
		return "", errors.New("token has no subject")
	}
	return claims.Subject, nil
}

// authenticateBasic checks "name:password", the data of the basic method.
func (s *Server) authenticateBasic(data string) (string, error) {
	name, password, ok := strings.Cut(data, ":")
	if !ok {
		return "", errors.New("malformed basic credentials")
	}
	want, known := s.opts.users[name]
	if !known || subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
		return "", errors.New("unknown user or wrong password")
	}
	return name, nil
}

func (s *Server) jwtKey(t *jwt.Token) (any, error) {
	switch t.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if s.opts.jwtSecret != nil {
			return s.opts.jwtSecret, nil
		}
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		if k, ok := s.opts.jwtPublicKey.(*rsa.PublicKey); ok {
			return k, nil
		}
	case *jwt.SigningMethodECDSA:
		if k, ok := s.opts.jwtPublicKey.(*ecdsa.PublicKey); ok {
			return k, nil
		}
	case *jwt.SigningMethodEd25519:
		if k, ok := s.opts.jwtPublicKey.(ed25519.PublicKey); ok {
			return k, nil
		}
	}
	return nil, fmt.Errorf("no key for signing method %v", t.Header["alg"])
}

// ChallengeAuth sends AUTH_CHALLENGE to every connected client, as the
// broker does when credentials are about to expire. Clients answer with
// fresh credentials; a client whose new credentials fail is disconnected.
func (s *Server) ChallengeAuth() {
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.send(&wire.BaseCommand{Type: wire.BaseCommand_AUTH_CHALLENGE.Enum(), AuthChallenge: &wire.CommandAuthChallenge{
			ServerVersion:   proto.String(ServerVersion),
			ProtocolVersion: proto.Int32(wire.ProtocolVersion),
			Challenge:       &wire.AuthData{AuthMethodName: proto.String("token"), AuthData: []byte("PulsarAuthRefresh")},
		}})
	}
}

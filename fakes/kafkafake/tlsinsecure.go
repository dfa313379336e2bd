package kafkafake

import "crypto/tls"

// insecureTLS is used only by the fake's own inspector when the user gave the
// fake a server certificate whose CA we do not hold; it talks to itself.
func insecureTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // self-connection
}

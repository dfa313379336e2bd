package mqttfake

import (
	"crypto/subtle"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// ACL grants read (subscribe and receive) and/or write (publish) access to
// topics matching Filter. A rule with neither denies.
type ACL struct {
	Filter      string
	Read, Write bool
}

// authenticate reports whether a CONNECT's credentials are acceptable.
func (c *config) authenticate(username, password []byte, hasUser bool) bool {
	if !hasUser {
		if c.anonymous != nil {
			return *c.anonymous
		}
		return len(c.users) == 0
	}
	if len(c.users) == 0 {
		return c.anonymous == nil || *c.anonymous
	}
	want, ok := c.users[string(username)]
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), password) == 1
}

// allowed applies the user's ACL; anonymous clients and users without rules
// may use every topic.
func (c *config) allowed(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline || len(c.users) == 0 {
		return true
	}
	acl := c.acls[string(cl.Properties.Username)]
	if len(acl) == 0 {
		return true
	}
	for _, r := range acl {
		if matchFilter(r.Filter, topic) {
			if write {
				return r.Write
			}
			return r.Read
		}
	}
	return false
}

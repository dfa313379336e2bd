package pulsarfake

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

const partitionSuffix = "-partition-"

// topicName is a parsed, fully qualified topic name.
type topicName struct {
	Full       string // persistent://tenant/ns/local[-partition-N]
	Persistent bool
	Tenant     string
	Namespace  string // tenant/ns
	Local      string // local name, partition suffix included
	Base       string // Full without the partition suffix
	Partition  int    // -1 when not a partition
}

// parseTopic accepts the forms the client accepts: "x" (public/default),
// "tenant/ns/x" and "persistent://tenant/ns/x" (or non-persistent://).
func parseTopic(s string) (topicName, error) {
	var t topicName
	domain := "persistent"
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		domain, rest = s[:i], s[i+3:]
		if domain != "persistent" && domain != "non-persistent" {
			return t, fmt.Errorf("invalid topic domain %q in %q", domain, s)
		}
		if strings.Count(rest, "/") < 2 {
			return t, fmt.Errorf("invalid topic name %q: want %s://tenant/namespace/topic", s, domain)
		}
	} else {
		switch strings.Count(s, "/") {
		case 0:
			rest = "public/default/" + s
		case 2:
		default:
			return t, fmt.Errorf("invalid short topic name %q: use either 'topic' or 'tenant/namespace/topic'", s)
		}
	}
	parts := strings.SplitN(rest, "/", 3)
	if parts[0] == "" || parts[1] == "" || strings.TrimSpace(parts[2]) == "" || strings.Contains(parts[2], "/") || !utf8.ValidString(parts[2]) {
		return t, fmt.Errorf("invalid topic name %q", s)
	}
	if err := checkName(parts[0]); err != nil {
		return t, err
	}
	if err := checkName(parts[1]); err != nil {
		return t, err
	}
	t.Persistent = domain == "persistent"
	t.Tenant = parts[0]
	t.Namespace = parts[0] + "/" + parts[1]
	t.Local = parts[2]
	t.Full = domain + "://" + t.Namespace + "/" + t.Local
	t.Base, t.Partition = t.Full, -1
	if i := strings.LastIndex(t.Local, partitionSuffix); i > 0 {
		if n, err := strconv.Atoi(t.Local[i+len(partitionSuffix):]); err == nil && n >= 0 {
			t.Partition = n
			t.Base = domain + "://" + t.Namespace + "/" + t.Local[:i]
		}
	}
	return t, nil
}

// partitionName is the name of partition i of the partitioned topic base.
func partitionName(base string, i int) string {
	return base + partitionSuffix + strconv.Itoa(i)
}

// checkName applies the broker's rule for tenant, namespace and cluster
// names (NamedEntity: letters, digits, _ and -=:.), so nothing the broker
// would refuse reaches the data dir.
func checkName(name string) error {
	for _, r := range name {
		if !(r == '-' || r == '=' || r == ':' || r == '.' || r == '_' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			//lint:ignore ST1005 the broker's own text, which clients show
			return fmt.Errorf("Invalid named entity: %s", name)
		}
	}
	return nil
}

// Package kafkaclients runs Kafka clients other than franz-go (sarama,
// segmentio/kafka-go, confluent-kafka-go) against an external broker,
// `brokerkit up --only kafka` in CI (.ci/kafka/go-clients.sh). It is its own
// module so these client libraries stay out of brokerkit's go.mod.
//
// The broker comes from the variables `brokerkit up` exports:
// BROKERKIT_KAFKA_ADDR (required), BROKERKIT_KAFKA_SASL
// (MECHANISM:user:password, optional) and BROKERKIT_KAFKA_CA (a CA file:
// TLS, optional).
package kafkaclients

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// broker is where and how to connect.
type broker struct {
	addrs            []string
	mechanism        string // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or "" for none
	user, password   string
	caFile           string
	tls              *tls.Config // nil for plaintext
	securityProtocol string      // librdkafka's name for the combination
}

func loadBroker(t *testing.T) broker {
	t.Helper()
	addr := os.Getenv("BROKERKIT_KAFKA_ADDR")
	if addr == "" {
		t.Fatal("BROKERKIT_KAFKA_ADDR is not set: these tests need a running broker (.ci/kafka/go-clients.sh starts one)")
	}
	b := broker{addrs: strings.Split(addr, ","), securityProtocol: "PLAINTEXT"}
	if s := os.Getenv("BROKERKIT_KAFKA_SASL"); s != "" {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) != 3 {
			t.Fatalf("BROKERKIT_KAFKA_SASL=%q, want MECHANISM:user:password", s)
		}
		b.mechanism, b.user, b.password = parts[0], parts[1], parts[2]
		b.securityProtocol = "SASL_PLAINTEXT"
	}
	if b.caFile = os.Getenv("BROKERKIT_KAFKA_CA"); b.caFile != "" {
		pem, err := os.ReadFile(b.caFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("no certificate in %s", b.caFile)
		}
		b.tls = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		b.securityProtocol = map[string]string{"PLAINTEXT": "SSL", "SASL_PLAINTEXT": "SASL_SSL"}[b.securityProtocol]
	}
	t.Logf("broker %s, %s %s", addr, b.securityProtocol, b.mechanism)
	return b
}

// client is what each client library implements for the shared scenarios.
type client interface {
	createTopic(t *testing.T, topic string, partitions int)
	deleteTopic(t *testing.T, topic string)
	// topics lists every topic (a request for all topics, so nothing is
	// auto-created) with its partition count.
	topics(t *testing.T) map[string]int
	produce(t *testing.T, topic string, values []string)
	// startMember joins group on topic and runs until stop: it reports its
	// assignment to l on every assign and revoke, commits each record
	// synchronously and only then adds it to l.
	startMember(t *testing.T, topic, group, name string, l *ledger) (stop func())
}

// runScenarios is the leg: admin, produce + group consume with commits and
// resume, and a rebalance from two to three members.
func runScenarios(t *testing.T, c client) {
	t.Run("admin create and delete topic", func(t *testing.T) {
		topic := uniqueName("admin")
		c.createTopic(t, topic, 4)
		if got := c.topics(t)[topic]; got != 4 {
			t.Fatalf("after create: %s has %d partitions, want 4", topic, got)
		}
		c.deleteTopic(t, topic)
		if got, ok := c.topics(t)[topic]; ok {
			t.Fatalf("after delete: %s still listed (%d partitions)", topic, got)
		}
	})

	t.Run("produce, group consume with commits, resume", func(t *testing.T) {
		topic, group := uniqueName("resume"), uniqueName("g-resume")
		c.createTopic(t, topic, 3)
		t.Cleanup(func() { c.deleteTopic(t, topic) })
		first, second := values("a", 12), values("b", 12)
		c.produce(t, topic, first)
		consumeAll(t, c, topic, group, "first", first)
		c.produce(t, topic, second)
		// A new member of the same group starts after the committed offsets.
		consumeAll(t, c, topic, group, "second", second)
	})

	t.Run("rebalance from two to three members", func(t *testing.T) {
		const partitions = 6
		topic, group := uniqueName("rebalance"), uniqueName("g-rebalance")
		c.createTopic(t, topic, partitions)
		t.Cleanup(func() { c.deleteTopic(t, topic) })
		l := newLedger()
		for _, m := range []string{"m1", "m2"} {
			t.Cleanup(c.startMember(t, topic, group, m, l))
		}
		l.waitAssigned(t, partitions, "m1", "m2")
		before := values("before", 30)
		c.produce(t, topic, before)
		l.waitRecords(t, before)

		t.Cleanup(c.startMember(t, topic, group, "m3", l))
		l.waitAssigned(t, partitions, "m1", "m2", "m3")
		after := values("after", 30)
		c.produce(t, topic, after)
		l.waitRecords(t, append(before, after...))
		l.checkExactlyOnce(t, append(before, after...))
	})
}

// consumeAll runs one group member until it has read want, then stops it,
// and checks it read nothing else.
func consumeAll(t *testing.T, c client, topic, group, name string, want []string) {
	t.Helper()
	l := newLedger()
	stop := c.startMember(t, topic, group, name, l)
	l.waitRecords(t, want)
	stop()
	l.checkExactlyOnce(t, want)
}

func uniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func values(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

// ledger collects what group members report: their current assignment and
// every record they committed.
type ledger struct {
	mu       sync.Mutex
	assigned map[string][]int32
	seen     map[string][]string // value -> members that committed it
	errs     []string
}

func newLedger() *ledger {
	return &ledger{assigned: map[string][]int32{}, seen: map[string][]string{}}
}

func (l *ledger) assign(member string, partitions []int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.assigned[member] = slices.Sorted(slices.Values(partitions))
}

func (l *ledger) record(member, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[value] = append(l.seen[value], member)
}

// fail notes a member's error; the waits report it at once.
func (l *ledger) fail(member string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, member+": "+err.Error())
}

// waitAssigned waits until members, and only they, share all partitions
// evenly, each partition exactly once.
func (l *ledger) waitAssigned(t *testing.T, partitions int, members ...string) {
	t.Helper()
	l.wait(t, fmt.Sprintf("%d partitions split evenly over %v", partitions, members), func() bool {
		owner := map[int32]string{}
		for _, m := range members {
			got := l.assigned[m]
			if len(got) != partitions/len(members) {
				return false
			}
			for _, p := range got {
				if _, dup := owner[p]; dup {
					return false
				}
				owner[p] = m
			}
		}
		return len(owner) == partitions
	})
}

// waitRecords waits until every value in want was committed by some member.
func (l *ledger) waitRecords(t *testing.T, want []string) {
	t.Helper()
	l.wait(t, fmt.Sprintf("%d records", len(want)), func() bool {
		for _, v := range want {
			if len(l.seen[v]) == 0 {
				return false
			}
		}
		return true
	})
}

func (l *ledger) checkExactlyOnce(t *testing.T, want []string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for v, by := range l.seen {
		if !slices.Contains(want, v) {
			t.Errorf("unexpected record %q (committed by %v)", v, by)
		} else if len(by) != 1 {
			t.Errorf("record %q committed %d times, by %v", v, len(by), by)
		}
	}
}

// wait polls cond under the lock until it holds, a member fails, or 60 s
// pass (the rebalance alone takes up to a heartbeat interval per member).
func (l *ledger) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for {
		l.mu.Lock()
		ok, errs := cond(), slices.Clone(l.errs)
		assigned := fmt.Sprint(l.assigned)
		l.mu.Unlock()
		switch {
		case len(errs) > 0:
			t.Fatalf("waiting for %s: member errors: %s", what, strings.Join(errs, "; "))
		case ok:
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; assignments %s", what, assigned)
		}
	}
}

package console_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
	"github.com/brokerkit/brokerkit/console"
	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/consoletest"
)

func TestMain(m *testing.M) { fixtures.Main(m) }

// noRedirect is a client that shows the console's 303 answers.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
	}
	return string(b)
}

// post submits a form as a same-origin browser would and returns where the
// console redirects to.
func post(t *testing.T, c *console.Server, path string, form url.Values) *url.URL {
	t.Helper()
	req, _ := http.NewRequest("POST", c.URL()+strings.TrimPrefix(path, "/"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", strings.TrimSuffix(c.URL(), "/"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if e := loc.Query().Get("err"); e != "" {
		t.Fatalf("POST %s: %s", path, e)
	}
	return loc
}

func TestKafkaPageShowsRecordsGroupsAndFaults(t *testing.T) {
	k, err := kafkafake.New(kafkafake.WithTopic("orders", 2))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	c := consoletest.Serve(t, console.WithKafka(k))
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Brokers()...), kgo.RecordRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	rec := &kgo.Record{Topic: "orders", Key: []byte("k1"), Value: []byte(`{"id":7}`)}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	page := get(t, c.URL()+"kafka")
	if !strings.Contains(page, ">orders<") {
		t.Fatalf("topic missing from /kafka:\n%s", page)
	}
	page = get(t, c.URL()+"kafka?topic=orders&format=json&partition="+itoa(rec.Partition))
	if !strings.Contains(page, "&#34;id&#34;: 7") {
		t.Fatalf("record as JSON missing:\n%s", page)
	}

	// A fault from the form reaches a real client.
	post(t, c, "/kafka/faults", url.Values{"action": {"fail"}, "op": {"Produce"}, "target": {"orders"}, "n": {"1"}, "code": {"INVALID_RECORD"}})
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("x")}).FirstErr()
	if !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("produce after the fault: %v, want INVALID_RECORD", err)
	}
	if page := get(t, c.URL()+"kafka"); !strings.Contains(page, "— 1 hits") {
		t.Errorf("fault hit count missing:\n%s", page)
	}
	// Produce from the page.
	post(t, c, "/kafka/produce", url.Values{"topic": {"orders"}, "value": {"from-the-console"}})
	all, err := k.TopicRecords(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range all {
		found = found || string(r.Value) == "from-the-console"
	}
	if !found {
		t.Fatalf("the console's record is not stored: %v", all)
	}
}

func itoa(p int32) string { return strconv.Itoa(int(p)) }

func TestCrossOriginPostIsRefused(t *testing.T) {
	m, err := mqttfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := consoletest.Serve(t, console.WithMQTT(m))
	form := url.Values{"action": {"fail"}, "op": {"PUBLISH"}, "n": {"1"}, "code": {"0x97"}}
	req, _ := http.NewRequest("POST", c.URL()+"mqtt/faults", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %s, want 403", resp.Status)
	}
	if n := len(m.Faults()); n != 0 {
		t.Fatalf("%d faults installed by a cross-origin POST", n)
	}
}

func TestBasicAuth(t *testing.T) {
	n, err := nacosfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := consoletest.Serve(t, console.WithNacos(n), console.WithUser("admin", "s3cret"))
	resp, err := http.Get(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("without credentials: %s", resp.Status)
	}
	req, _ := http.NewRequest("GET", c.URL(), nil)
	req.SetBasicAuth("admin", "s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("with credentials: %s", resp.Status)
	}
}

// TestEventsStreamNewConfigs reads the Server-Sent Events of /nacos and
// waits for a config published after the stream started.
func TestEventsStreamNewConfigs(t *testing.T) {
	n, err := nacosfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := consoletest.Serve(t, console.WithNacos(n), console.WithRefresh(20*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.URL()+"events?page=nacos", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	published := false
	for sc.Scan() {
		line := sc.Text()
		if line == "event: live" && !published {
			n.SetConfig("", "DEFAULT_GROUP", "live.yaml", "a: 1")
			published = true
		}
		if strings.Contains(line, "live.yaml") {
			return
		}
	}
	t.Fatalf("stream ended without the new config: %v", sc.Err())
}

func TestPulsarAndMQTTAndNacosForms(t *testing.T) {
	p, err := pulsarfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m, err := mqttfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	n, err := nacosfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c := consoletest.Serve(t, console.WithPulsar(p), console.WithMQTT(m), console.WithNacos(n))

	post(t, c, "/pulsar/publish", url.Values{"topic": {"persistent://public/default/pay"}, "payload": {"hello-pulsar"}, "properties": {"a=b"}})
	msgs, err := p.Messages("persistent://public/default/pay")
	if err != nil || len(msgs) != 1 || string(msgs[0].Payload) != "hello-pulsar" || msgs[0].Properties["a"] != "b" {
		t.Fatalf("pulsar messages %+v, %v", msgs, err)
	}
	if page := get(t, c.URL()+"pulsar?topic=persistent://public/default/pay"); !strings.Contains(page, "hello-pulsar") {
		t.Fatalf("message missing from /pulsar:\n%s", page)
	}

	post(t, c, "/mqtt/publish", url.Values{"topic": {"home/t"}, "payload": {"21.5"}, "qos": {"1"}, "retain": {"1"}})
	if r := m.Retained(); len(r) != 1 || string(r[0].Payload) != "21.5" {
		t.Fatalf("retained %+v", r)
	}

	post(t, c, "/nacos/config", url.Values{"dataId": {"svc.json"}, "content": {`{"a":1}`}})
	if cfg, ok := n.GetConfig("", "DEFAULT_GROUP", "svc.json"); !ok || cfg.Content != `{"a":1}` {
		t.Fatalf("config %+v %v", cfg, ok)
	}
	post(t, c, "/nacos/instance", url.Values{"service": {"pay"}, "ip": {"10.0.0.9"}, "port": {"8080"}, "weight": {"2"}, "ephemeral": {"1"}})
	if in := n.Instances("", "", "pay"); len(in) != 1 || in[0].Weight != 2 || in[0].IP != "10.0.0.9" {
		t.Fatalf("instances %+v", in)
	}
	page := get(t, c.URL()+"nacos")
	for _, want := range []string{"svc.json", "10.0.0.9:8080", "pay"} {
		if !strings.Contains(page, want) {
			t.Errorf("/nacos lacks %q", want)
		}
	}

	// Bad input is an error shown on the page, not a panic.
	req, _ := http.NewRequest("POST", c.URL()+"nacos/instance", strings.NewReader("service=x&ip=1.2.3.4&port=99999"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.Contains(loc.Query().Get("err"), "port") {
		t.Fatalf("bad port: redirect %s", loc)
	}
}

// TestFaultActions drives every action of the faults form against MQTT and
// watches a real client feel it.
func TestFaultActions(t *testing.T) {
	m, err := mqttfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := consoletest.Serve(t, console.WithMQTT(m))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	post(t, c, "/mqtt/faults", url.Values{"action": {"delay"}, "op": {"SUBSCRIBE"}, "delay": {"10"}})
	post(t, c, "/mqtt/faults", url.Values{"action": {"fail"}, "op": {"PUBLISH"}, "target": {"t/x"}, "n": {"-1"}, "code": {"0x97"}})
	if rs := m.Faults(); len(rs) != 2 {
		t.Fatalf("rules after two adds: %+v", rs)
	}
	cl, err := mqttclient.New(mqttclient.Endpoint{URLs: []string{m.URL()}, ClientID: "victim"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Publish(ctx, "t/x", []byte("1"), 1, false); err == nil {
		t.Fatal("publish succeeded despite the console's fault")
	}
	page := get(t, c.URL()+"mqtt")
	if !strings.Contains(page, "#2 fail PUBLISH on t/x") || !strings.Contains(page, "— 1 hits") {
		t.Fatalf("owned fault with its hit missing:\n%s", page)
	}
	post(t, c, "/mqtt/faults/remove", url.Values{"id": {"2"}})
	if err := cl.Publish(ctx, "t/x", []byte("2"), 1, false); err != nil {
		t.Fatalf("publish after removing the fault: %v", err)
	}
	post(t, c, "/mqtt/faults/reset", nil)
	if rs := m.Faults(); len(rs) != 0 {
		t.Fatalf("rules after reset: %+v", rs)
	}
	loc := post(t, c, "/mqtt/faults", url.Values{"action": {"drop"}})
	if !strings.Contains(loc.Query().Get("ok"), "dropped 1 connections") {
		t.Fatalf("drop: %s", loc)
	}
	post(t, c, "/mqtt/faults", url.Values{"action": {"restart"}})
	// The client reconnects to the restarted broker and publishes again.
	if err := cl.Publish(ctx, "t/y", []byte("3"), 1, false); err != nil {
		t.Fatalf("publish after restart: %v", err)
	}
	// A bad fault is an error message, not an installed rule.
	req, _ := http.NewRequest("POST", c.URL()+"mqtt/faults", strings.NewReader("action=fail&op=NOPE&n=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if l, _ := url.Parse(resp.Header.Get("Location")); !strings.Contains(l.Query().Get("err"), "unknown operation") {
		t.Fatalf("unknown op: %s", l)
	}
}

// TestKafkaPaging pages a partition of 120 records 50 at a time.
func TestKafkaPaging(t *testing.T) {
	k, err := kafkafake.New(kafkafake.WithTopic("big", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	c := consoletest.Serve(t, console.WithKafka(k))
	ctx := context.Background()
	for i := 0; i < 120; i++ {
		if _, err := k.Produce(ctx, &kgo.Record{Topic: "big", Value: []byte("rec-" + strconv.Itoa(i) + ";")}); err != nil {
			t.Fatal(err)
		}
	}
	newest := get(t, c.URL()+"kafka?topic=big&partition=0")
	if !strings.Contains(newest, "rec-119;") || !strings.Contains(newest, "rec-70;") || strings.Contains(newest, "rec-69;") {
		t.Fatal("the first view is not the newest 50 records")
	}
	if !strings.Contains(newest, "from=20") || strings.Contains(newest, ">newer<") {
		t.Fatal("the newest page should link to older records only")
	}
	oldest := get(t, c.URL()+"kafka?topic=big&partition=0&from=0")
	if !strings.Contains(oldest, "rec-0;") || !strings.Contains(oldest, "rec-49;") || strings.Contains(oldest, "rec-50;") {
		t.Fatal("from=0 does not show records 0 to 49")
	}
	if !strings.Contains(oldest, "from=50") || strings.Contains(oldest, ">older<") {
		t.Fatal("the oldest page should link to newer records only")
	}
	hex := get(t, c.URL()+"kafka?topic=big&partition=0&from=0&format=hex")
	if !strings.Contains(hex, "72 65 63 2d 30 3b") { // "rec-0;"
		t.Fatal("hex view lacks the hex dump of rec-0;")
	}
}

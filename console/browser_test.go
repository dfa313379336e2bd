package console_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/clients/mqttclient"
	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/console"
	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/consoletest"
)

// screenshotDirVar names the directory browser tests save screenshots to
// (CI uploads it as an artifact); unset, none are saved.
const screenshotDirVar = "BROKERKIT_SCREENSHOTS"

// browser starts headless Chromium, or skips (fails under BROKERKIT_STRICT)
// when it is not installed. They run when BROKERKIT_BROWSER=1 (make
// browser, and CI's console leg): a minute under -race would push make test
// past its three.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	if testing.Short() {
		fixtures.Unavailable(t, "browser tests are skipped with -short")
	}
	if os.Getenv("BROKERKIT_BROWSER") != "1" && os.Getenv("BROKERKIT_STRICT") != "1" {
		t.Skip("browser tests run with BROKERKIT_BROWSER=1 (make browser)")
	}
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		fixtures.Unavailable(t, "no chromium on PATH for the browser tests (apt-get install chromium)")
	}
	// Not t.TempDir: Chromium may still be writing its profile when the
	// test ends, and TempDir fails the test if removal does.
	profile, err := os.MkdirTemp("", "brokerkit-chromium-*")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(width, height), chromedp.UserDataDir(profile))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(profile)
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// waitText waits until the page's main content contains text: the live
// part arrives by Server-Sent Events, so no reload happens here.
func waitText(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	js := fmt.Sprintf(`document.getElementById("main") !== null && document.getElementById("main").innerText.includes(%q)`, text)
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		// A form submission navigates, which ends a poll early: poll again.
		if err = chromedp.Run(ctx, chromedp.Poll(js, nil, chromedp.WithPollingTimeout(time.Until(deadline)))); err == nil {
			return
		}
		if ctx.Err() != nil {
			break
		}
	}
	var body string
	chromedp.Run(ctx, chromedp.Text("main", &body, chromedp.ByQuery))
	t.Fatalf("page never showed %q: %v\npage text:\n%s", text, err, body)
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(screenshotDirVar)
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

type allFakes struct {
	kafka  *kafkafake.Server
	pulsar *pulsarfake.Server
	mqtt   *mqttfake.Server
	nacos  *nacosfake.Server
	c      *console.Server
}

func startAll(t *testing.T) allFakes {
	t.Helper()
	var f allFakes
	var err error
	if f.kafka, err = kafkafake.New(kafkafake.WithTopic("orders", 1)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.kafka.Close() })
	if f.pulsar, err = pulsarfake.New(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.pulsar.Close() })
	if f.mqtt, err = mqttfake.New(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.mqtt.Close() })
	if f.nacos, err = nacosfake.New(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.nacos.Close() })
	f.c = consoletest.Serve(t, console.WithKafka(f.kafka), console.WithPulsar(f.pulsar), console.WithMQTT(f.mqtt),
		console.WithNacos(f.nacos), console.WithRefresh(100*time.Millisecond))
	return f
}

func TestBrowserKafka(t *testing.T) {
	ctx := browser(t, 1280, 900)
	f := startAll(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.kafka.Brokers()...), kgo.RecordRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	if err := chromedp.Run(ctx, chromedp.Navigate(f.c.URL()+"kafka?topic=orders&partition=0&format=json")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "No records.")
	// Produced after the page loaded: it must arrive live.
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Key: []byte("order-42"), Value: []byte(`{"total":99}`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `"total": 99`)
	waitText(t, ctx, "order-42")

	// A consumer group with lag.
	grp, err := kgo.NewClient(kgo.SeedBrokers(f.kafka.Brokers()...), kgo.ConsumerGroup("billing"), kgo.ConsumeTopics("orders"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer grp.Close()
	if fs := grp.PollFetches(ctx); fs.Err() != nil {
		t.Fatal(fs.Err())
	}
	if err := grp.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "billing")

	// A fault from the page's form reaches the real client.
	err = chromedp.Run(ctx,
		chromedp.SetValue("#f-op", "Produce", chromedp.ByQuery),
		chromedp.SetValue("#f-target", "orders", chromedp.ByQuery),
		chromedp.SetValue("#f-n", "2", chromedp.ByQuery),
		chromedp.SetValue("#f-code", "INVALID_RECORD", chromedp.ByQuery),
		chromedp.Click(`#addfault-h ~ form button[type=submit]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "added: fail Produce on orders: next 2")
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("refused")}).FirstErr()
	if !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("produce after the page's fault: %v, want INVALID_RECORD", err)
	}
	waitText(t, ctx, "— 1 hits")
	screenshot(t, ctx, "kafka")
}

func TestBrowserPulsar(t *testing.T) {
	ctx := browser(t, 1280, 900)
	f := startAll(t)
	cl, err := pulsar.NewClient(pulsar.ClientOptions{URL: f.pulsar.ServiceURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const topic = "persistent://public/default/payments"
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "audit", Type: pulsar.Shared})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	if err := chromedp.Run(ctx, chromedp.Navigate(f.c.URL()+"pulsar?topic="+topic)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "audit")
	prod, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, Name: "checkout"})
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	if _, err := prod.Send(ctx, &pulsar.ProducerMessage{Key: "p-1", Payload: []byte("paid 12.50")}); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "paid 12.50")
	waitText(t, ctx, "backlog 1")
	screenshot(t, ctx, "pulsar")
}

func TestBrowserMQTT(t *testing.T) {
	ctx := browser(t, 1280, 900)
	f := startAll(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(f.c.URL()+"mqtt?filter=home/%23")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "No clients.")
	cl, err := mqttclient.New(mqttclient.Endpoint{URLs: []string{f.mqtt.URL()}, ClientID: "thermostat-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.SubscribeChan(ctx, "home/cmd/#", 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := cl.Publish(ctx, "home/kitchen/temp", []byte("21.5"), 1, true); err != nil {
		t.Fatal(err)
	}
	if err := cl.Publish(ctx, "office/temp", []byte("not-tailed"), 0, false); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "thermostat-1")
	waitText(t, ctx, "home/cmd/#")
	waitText(t, ctx, "21.5")
	var tail string
	if err := chromedp.Run(ctx, chromedp.Text("#tail-h + div", &tail, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tail, "not-tailed") {
		t.Errorf("the tail of home/# shows office/temp:\n%s", tail)
	}
	screenshot(t, ctx, "mqtt")
}

func TestBrowserNacos(t *testing.T) {
	ctx := browser(t, 1280, 900)
	f := startAll(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(f.c.URL()+"nacos")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "No configs.")
	ep := nacosclient.Endpoint{Host: f.nacos.Host(), Port: f.nacos.HTTPPort(), GRPCPort: f.nacos.GRPCPort()}
	cfg, err := nacosclient.NewConfig(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer cfg.Close()
	if err := cfg.Publish(ctx, "", "checkout.json", `{"currency":"EUR"}`); err != nil {
		t.Fatal(err)
	}
	naming, err := nacosclient.NewNaming(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer naming.Close()
	if err := naming.Register(ctx, nacosclient.Service{Name: "checkout"}, nacosclient.Instance{IP: "10.1.2.3", Port: 8080, Weight: 3}); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "checkout.json")
	waitText(t, ctx, "10.1.2.3:8080")

	// Register an instance from the page's form, with the keyboard.
	err = chromedp.Run(ctx,
		chromedp.Focus("#i-svc", chromedp.ByQuery), chromedp.SendKeys("#i-svc", "inventory", chromedp.ByQuery),
		chromedp.SendKeys("#i-port", "9090", chromedp.ByQuery),
		chromedp.Focus("#i-md", chromedp.ByQuery),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "registered 127.0.0.1:9090 in inventory")
	if in := f.nacos.Instances("", "", "inventory"); len(in) != 1 || in[0].Port != 9090 {
		t.Fatalf("instances of inventory: %+v", in)
	}
	screenshot(t, ctx, "nacos")
}

func TestBrowserOverviewNarrowAndKeyboard(t *testing.T) {
	ctx := browser(t, 400, 800)
	f := startAll(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(f.c.URL())); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Kafka")
	var fits bool
	var first string
	err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits),
		chromedp.KeyEvent(kb.Tab),
		chromedp.Evaluate(`document.activeElement.textContent`, &first),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !fits {
		t.Error("the overview scrolls sideways at 400 px")
	}
	if first != "Skip to content" {
		t.Errorf("first Tab stop is %q, want the skip link", first)
	}
	for _, page := range []string{"kafka", "pulsar", "mqtt", "nacos"} {
		if err := chromedp.Run(ctx, chromedp.Navigate(f.c.URL()+page)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits)); err != nil {
			t.Fatal(err)
		}
		if !fits {
			t.Errorf("/%s scrolls sideways at 400 px", page)
		}
		// Every form field has a label.
		var unlabeled []string
		js := `Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea")).filter(e => e.labels.length === 0).map(e => e.name)`
		if err := chromedp.Run(ctx, chromedp.Evaluate(js, &unlabeled)); err != nil {
			t.Fatal(err)
		}
		if len(unlabeled) > 0 {
			t.Errorf("/%s: fields without a label: %v", page, unlabeled)
		}
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(f.c.URL())); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "Kafka")
	screenshot(t, ctx, "overview-narrow")
}

package conformance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/conformance"
	"github.com/brokerkit/brokerkit/fixtures/nacostest"
)

// The naming scenarios through plain /nacos/v2/ns/instance calls. v2 HTTP
// instances are ephemeral ip:port clients kept alive by beats; this client
// sends none, so an instance lives 15 s healthy, then 15 s unhealthy, then
// goes: longer than a scenario, and closing a client removes nothing
// (no EphemeralOnDisconnect). The API has no push: Subscribe polls.

func TestNacosNamingHTTPv2(t *testing.T) {
	t.Parallel()
	conformance.RunNaming(t, func(t *testing.T) conformance.NamingHarness {
		return &v2HTTPNamingHarness{t: t, env: nacostest.New(t)}
	})
}

type v2HTTPNamingHarness struct {
	t   *testing.T
	env *nacostest.Env
}

func (h *v2HTTPNamingHarness) Name() string {
	return "nacos Open API v2 HTTP (" + string(h.env.Mode()) + ")"
}

// Without beats an instance registered unhealthy stays so.
func (h *v2HTTPNamingHarness) Capabilities() conformance.Capabilities {
	return withAuth(h.env, conformance.UnhealthyRegistration)
}

func (h *v2HTTPNamingHarness) Service() conformance.NamingService {
	return conformance.NamingService{Group: h.env.Group(h.t), Name: h.env.Service(h.t)}
}

func (h *v2HTTPNamingHarness) Client(ctx context.Context) (conformance.NamingClient, error) {
	return newV2HTTPNaming(newV2HTTPConfig(ctx, h.env, h.env.Endpoint(), ""))
}

func (h *v2HTTPNamingHarness) BadCredentialsClient(ctx context.Context) (conformance.NamingClient, error) {
	return newV2HTTPNaming(badV2HTTPClient(ctx, h.t))
}

// newV2HTTPNaming wraps a logged-in v2 HTTP client (the config harness's).
func newV2HTTPNaming(c *v2HTTPConfig, err error) (conformance.NamingClient, error) {
	if err != nil {
		return nil, err
	}
	return &v2HTTPNaming{c: c, stop: make(chan struct{})}, nil
}

func (h *v2HTTPNamingHarness) ClientGone(context.Context)      {}
func (h *v2HTTPNamingHarness) Code(err error) conformance.Code { return nacosCode(err) }

type v2HTTPNaming struct {
	c        *v2HTTPConfig
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup // pollers
}

func v2InstanceForm(svc conformance.NamingService, in conformance.NamingInstance) url.Values {
	form := url.Values{"serviceName": {svc.Name}, "groupName": {svc.Group}, "ip": {in.IP},
		"port": {strconv.Itoa(in.Port)}, "ephemeral": {"true"}}
	if in.Cluster != "" {
		form.Set("clusterName", in.Cluster)
	}
	return form
}

func (n *v2HTTPNaming) Register(ctx context.Context, svc conformance.NamingService, in conformance.NamingInstance) error {
	form := v2InstanceForm(svc, in)
	w := in.Weight
	if w == 0 {
		w = 1
	}
	form.Set("weight", strconv.FormatFloat(w, 'f', -1, 64))
	form.Set("healthy", strconv.FormatBool(!in.Unhealthy))
	if len(in.Metadata) > 0 {
		md, err := json.Marshal(in.Metadata)
		if err != nil {
			return err
		}
		form.Set("metadata", string(md))
	}
	var ok string
	return n.c.v2(ctx, http.MethodPost, "/v2/ns/instance", form, &ok)
}

func (n *v2HTTPNaming) Deregister(ctx context.Context, svc conformance.NamingService, in conformance.NamingInstance) error {
	var ok string
	return n.c.v2(ctx, http.MethodDelete, "/v2/ns/instance", v2InstanceForm(svc, in), &ok)
}

func (n *v2HTTPNaming) List(ctx context.Context, svc conformance.NamingService, healthyOnly bool, clusters []string) ([]conformance.NamingInstance, error) {
	form := url.Values{"serviceName": {svc.Name}, "groupName": {svc.Group}, "healthyOnly": {strconv.FormatBool(healthyOnly)}}
	if len(clusters) > 0 {
		form.Set("clusterName", strings.Join(clusters, ","))
	}
	var info struct {
		Hosts []struct {
			IP          string            `json:"ip"`
			Port        int               `json:"port"`
			Weight      float64           `json:"weight"`
			Healthy     bool              `json:"healthy"`
			Enabled     bool              `json:"enabled"`
			ClusterName string            `json:"clusterName"`
			Metadata    map[string]string `json:"metadata"`
		} `json:"hosts"`
	}
	if err := n.c.v2(ctx, http.MethodGet, "/v2/ns/instance/list", form, &info); err != nil {
		return nil, err
	}
	out := make([]conformance.NamingInstance, 0, len(info.Hosts))
	for _, h := range info.Hosts {
		if h.Enabled {
			out = append(out, conformance.NamingInstance{IP: h.IP, Port: h.Port, Weight: h.Weight, Cluster: h.ClusterName,
				Metadata: h.Metadata, Unhealthy: !h.Healthy})
		}
	}
	return out, nil
}

// Subscribe polls the list every 100 ms and sends it when it changed.
func (n *v2HTTPNaming) Subscribe(ctx context.Context, svc conformance.NamingService) (<-chan []conformance.NamingInstance, error) {
	first, err := n.List(ctx, svc, false, nil)
	if err != nil {
		return nil, err
	}
	out := make(chan []conformance.NamingInstance, 1)
	sendLatest(out, first)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		last := v2ListKey(first)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-n.stop:
				return
			case <-tick.C:
			}
			list, err := n.List(ctx, svc, false, nil)
			if err != nil {
				continue
			}
			if k := v2ListKey(list); k != last {
				last = k
				sendLatest(out, list)
			}
		}
	}()
	return out, nil
}

// v2ListKey identifies a list's addresses and health, to send changes only.
func v2ListKey(list []conformance.NamingInstance) string {
	keys := make([]string, 0, len(list))
	for _, in := range list {
		keys = append(keys, in.IP+":"+strconv.Itoa(in.Port)+":"+strconv.FormatBool(in.Unhealthy))
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

func (n *v2HTTPNaming) Close() error {
	n.stopOnce.Do(func() { close(n.stop) })
	n.wg.Wait()
	return nil
}

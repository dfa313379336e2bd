package conformance_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1clients "github.com/nacos-group/nacos-sdk-go/clients"
	v1config "github.com/nacos-group/nacos-sdk-go/clients/config_client"
	v1naming "github.com/nacos-group/nacos-sdk-go/clients/naming_client"
	v1constant "github.com/nacos-group/nacos-sdk-go/common/constant"
	v1model "github.com/nacos-group/nacos-sdk-go/model"
	v1vo "github.com/nacos-group/nacos-sdk-go/vo"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/conformance"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fixtures"
	"github.com/brokerkit/brokerkit/fixtures/nacostest"
)

// Both of Nacos's front ends are measured: gRPC through the v2 Go SDK
// (via nacosclient) and the HTTP v1 Open API through the v1 Go SDK, which
// speaks HTTP only.

func TestNacosConfigGRPC(t *testing.T) {
	t.Parallel()
	conformance.RunConfig(t, func(t *testing.T) conformance.ConfigHarness {
		return &v2ConfigHarness{t: t, env: nacostest.New(t)}
	})
}

func TestNacosNamingGRPC(t *testing.T) {
	t.Parallel()
	conformance.RunNaming(t, func(t *testing.T) conformance.NamingHarness {
		return &v2NamingHarness{t: t, env: nacostest.New(t)}
	})
}

func TestNacosConfigHTTPv1(t *testing.T) {
	t.Parallel()
	conformance.RunConfig(t, func(t *testing.T) conformance.ConfigHarness {
		return &v1ConfigHarness{v1Base{t: t, env: nacostest.New(t)}}
	})
}

func TestNacosNamingHTTPv1(t *testing.T) {
	t.Parallel()
	conformance.RunNaming(t, func(t *testing.T) conformance.NamingHarness {
		// The fake's beat expiry runs on this clock, so ClientGone need
		// not wait 30 s; moving it also ends the reader's UDP push
		// subscription, so the reader polls every second, not every 10.
		// The jump expires the staying client's instance too, which its
		// next beat brings back: beats every 200 ms, not 5 s.
		clk := clock.NewManual(time.Now())
		env := nacostest.New(t, nacostest.WithFakeOptions(nacosfake.WithClock(clk), nacosfake.WithCacheMillis(time.Second),
			nacosfake.WithClientBeatInterval(200*time.Millisecond)))
		return &v1NamingHarness{v1Base: v1Base{t: t, env: env}, clk: clk}
	})
}

func nacosCode(err error) conformance.Code {
	switch {
	case err == nil:
		return conformance.OK
	case errors.Is(err, nacosclient.ErrNotFound):
		return conformance.NotFound
	case errors.Is(err, nacosclient.ErrConflict):
		return conformance.Conflict
	case errors.Is(err, nacosclient.ErrUnauthenticated):
		return conformance.Unauthenticated
	case errors.Is(err, context.DeadlineExceeded):
		return conformance.Unavailable
	}
	return conformance.Unknown
}

// ---- v2 SDK (gRPC) through nacosclient ----

type v2ConfigHarness struct {
	t   *testing.T
	env *nacostest.Env
}

func (h *v2ConfigHarness) Name() string { return "nacos/sdk-go-v2 gRPC (" + string(h.env.Mode()) + ")" }
func (h *v2ConfigHarness) Capabilities() conformance.Capabilities {
	return withAuth(h.env, conformance.CAS, conformance.Watch)
}

// withAuth adds Auth unless the server is external without credentials:
// then there is nothing to get wrong.
func withAuth(env *nacostest.Env, caps ...conformance.Capability) conformance.Capabilities {
	if env.Mode() != fixtures.External || os.Getenv("BROKERKIT_NACOS_USER") != "" {
		caps = append(caps, conformance.Auth)
	}
	return caps
}

// badEndpoint is an endpoint of a server with auth on, with a wrong password.
func badEndpoint(t *testing.T) nacosclient.Endpoint {
	ep := nacostest.New(t, nacostest.WithUser("conformance", "secret")).Endpoint()
	ep.Password = "not-" + ep.Password
	return ep
}

func (h *v2ConfigHarness) BadCredentialsClient(context.Context) (conformance.ConfigClient, error) {
	c, err := nacosclient.NewConfig(badEndpoint(h.t))
	if err != nil {
		return nil, err
	}
	return v2Config{c}, nil
}
func (h *v2ConfigHarness) Namespace(context.Context) (string, error) {
	return h.env.Namespace(h.t), nil
}
func (h *v2ConfigHarness) Group() string                   { return h.env.Group(h.t) }
func (h *v2ConfigHarness) DataID() string                  { return h.env.DataID(h.t) }
func (h *v2ConfigHarness) Code(err error) conformance.Code { return nacosCode(err) }

func (h *v2ConfigHarness) Client(_ context.Context, ns string) (conformance.ConfigClient, error) {
	c, err := nacosclient.NewConfig(h.env.Endpoint().WithNamespace(ns))
	if err != nil {
		return nil, err
	}
	return v2Config{c}, nil
}

type v2Config struct{ *nacosclient.Config }

func (c v2Config) Watch(ctx context.Context, group, id string) (<-chan conformance.ConfigEvent, error) {
	out := make(chan conformance.ConfigEvent, 64)
	err := c.WatchFunc(ctx, group, id, func(ch nacosclient.Change) {
		select {
		case out <- conformance.ConfigEvent{Content: ch.Content, Deleted: ch.Deleted}:
		default: // the scenario stopped reading
		}
	})
	return out, err
}

type v2NamingHarness struct {
	t   *testing.T
	env *nacostest.Env
}

func (h *v2NamingHarness) Name() string { return "nacos/sdk-go-v2 gRPC (" + string(h.env.Mode()) + ")" }
func (h *v2NamingHarness) Capabilities() conformance.Capabilities {
	return withAuth(h.env, conformance.EphemeralOnDisconnect, conformance.UnhealthyRegistration)
}

func (h *v2NamingHarness) BadCredentialsClient(context.Context) (conformance.NamingClient, error) {
	n, err := nacosclient.NewNaming(badEndpoint(h.t))
	if err != nil {
		return nil, err
	}
	return v2Naming{n}, nil
}
func (h *v2NamingHarness) Service() conformance.NamingService {
	return conformance.NamingService{Group: h.env.Group(h.t), Name: h.env.Service(h.t)}
}

// ClientGone: gRPC instances belong to their connection and go with it.
func (h *v2NamingHarness) ClientGone(context.Context)      {}
func (h *v2NamingHarness) Code(err error) conformance.Code { return nacosCode(err) }

func (h *v2NamingHarness) Client(context.Context) (conformance.NamingClient, error) {
	n, err := nacosclient.NewNaming(h.env.Endpoint())
	if err != nil {
		return nil, err
	}
	return v2Naming{n}, nil
}

type v2Naming struct{ n *nacosclient.Naming }

func toSvc(s conformance.NamingService) nacosclient.Service {
	return nacosclient.Service{Group: s.Group, Name: s.Name}
}

func toInst(in conformance.NamingInstance) nacosclient.Instance {
	return nacosclient.Instance{IP: in.IP, Port: in.Port, Weight: in.Weight, Cluster: in.Cluster, Metadata: in.Metadata, Unhealthy: in.Unhealthy}
}

func fromInsts(list []nacosclient.Instance) []conformance.NamingInstance {
	out := make([]conformance.NamingInstance, 0, len(list))
	for _, in := range list {
		out = append(out, conformance.NamingInstance{IP: in.IP, Port: in.Port, Weight: in.Weight, Cluster: in.Cluster,
			Metadata: in.Metadata, Unhealthy: in.Unhealthy})
	}
	return out
}

func (c v2Naming) Register(ctx context.Context, svc conformance.NamingService, in conformance.NamingInstance) error {
	return c.n.Register(ctx, toSvc(svc), toInst(in))
}

func (c v2Naming) Deregister(ctx context.Context, svc conformance.NamingService, in conformance.NamingInstance) error {
	return c.n.Deregister(ctx, toSvc(svc), toInst(in))
}

func (c v2Naming) List(ctx context.Context, svc conformance.NamingService, healthyOnly bool, clusters []string) ([]conformance.NamingInstance, error) {
	list, err := c.n.List(ctx, toSvc(svc), nacosclient.ListOptions{HealthyOnly: healthyOnly, Clusters: clusters})
	return fromInsts(list), err
}

func (c v2Naming) Subscribe(ctx context.Context, svc conformance.NamingService) (<-chan []conformance.NamingInstance, error) {
	out := make(chan []conformance.NamingInstance, 1)
	err := c.n.SubscribeFunc(ctx, toSvc(svc), func(list []nacosclient.Instance) { sendLatest(out, fromInsts(list)) })
	return out, err
}

func (c v2Naming) Close() error { return c.n.Close() }

// sendLatest keeps only the newest list in a one-slot channel.
func sendLatest(ch chan []conformance.NamingInstance, list []conformance.NamingInstance) {
	for {
		select {
		case ch <- list:
			return
		default:
			select {
			case <-ch:
			default:
			}
		}
	}
}

// ---- v1 SDK (HTTP v1 Open API) ----
//
// nacos-sdk-go v1.0.8 cannot be stopped: its long-poll, beat and update
// goroutines run until the process exits. Each v1 client therefore talks
// through its own TCP relay, and Close shuts the relay, which is what a
// crashed process looks like to the server: beats stop arriving.

type v1Base struct {
	t   *testing.T
	env *nacostest.Env
}

func (b v1Base) Code(err error) conformance.Code {
	switch {
	case err == nil:
		return conformance.OK
	case errors.Is(err, nacosclient.ErrNotFound):
		return conformance.NotFound
	case errors.Is(err, nacosclient.ErrUnauthenticated),
		strings.Contains(err.Error(), "403"): // the v1 SDK's config calls report the HTTP status
		return conformance.Unauthenticated
	}
	return conformance.Unknown
}

func (b v1Base) mode() string { return string(b.env.Mode()) }

// param returns SDK parameters for a client reaching the server through a
// new relay, and the relay.
func (b v1Base) param(ns string) (v1vo.NacosClientParam, *relay, error) {
	return v1Param(b.env.Endpoint().WithNamespace(ns))
}

func v1Param(ep nacosclient.Endpoint) (v1vo.NacosClientParam, *relay, error) {
	r, err := newRelay(ep.Addr())
	if err != nil {
		return v1vo.NacosClientParam{}, nil, err
	}
	host, port := r.hostPort()
	ns := ep.Namespace
	dir, err := os.MkdirTemp("", "conformance-nacos-v1-")
	if err != nil {
		r.Close()
		return v1vo.NacosClientParam{}, nil, err
	}
	r.onClose = func() { os.RemoveAll(dir) }
	return v1vo.NacosClientParam{
		ClientConfig: &v1constant.ClientConfig{
			TimeoutMs: 5000, NamespaceId: ns, NotLoadCacheAtStart: true, UpdateCacheWhenEmpty: true,
			CacheDir: filepath.Join(dir, "cache"), LogDir: filepath.Join(os.TempDir(), "brokerkit-nacos-sdk-v1-logs"), LogLevel: "error",
			Username: ep.Username, Password: ep.Password,
		},
		ServerConfigs: []v1constant.ServerConfig{{IpAddr: host, Port: uint64(port), ContextPath: "/nacos"}},
	}, r, nil
}

type v1ConfigHarness struct{ v1Base }

func (h *v1ConfigHarness) Name() string { return "nacos/sdk-go-v1 HTTP (" + h.mode() + ")" }

// No CAS: the v1 SDK has no casMd5 parameter.
func (h *v1ConfigHarness) Capabilities() conformance.Capabilities {
	return withAuth(h.env, conformance.Watch)
}

func (h *v1ConfigHarness) BadCredentialsClient(context.Context) (conformance.ConfigClient, error) {
	return v1NewConfig(v1Param(badEndpoint(h.t)))
}

func v1NewConfig(p v1vo.NacosClientParam, r *relay, err error) (conformance.ConfigClient, error) {
	if err != nil {
		return nil, err
	}
	c, err := v1clients.NewConfigClient(p)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &v1Config{c: c, r: r}, nil
}
func (h *v1ConfigHarness) Namespace(context.Context) (string, error) {
	return h.env.Namespace(h.t), nil
}
func (h *v1ConfigHarness) Group() string  { return h.env.Group(h.t) }
func (h *v1ConfigHarness) DataID() string { return h.env.DataID(h.t) }

func (h *v1ConfigHarness) Client(_ context.Context, ns string) (conformance.ConfigClient, error) {
	return v1NewConfig(h.param(ns))
}

type v1Config struct {
	c v1config.IConfigClient
	r *relay
}

func (c *v1Config) Get(_ context.Context, group, id string) (string, error) {
	s, err := c.c.GetConfig(v1vo.ConfigParam{DataId: id, Group: group})
	if err == nil && s == "" { // 404 comes back as "" and no error
		err = nacosclient.ErrNotFound
	}
	return s, err
}

func (c *v1Config) Publish(_ context.Context, group, id, content string) error {
	ok, err := c.c.PublishConfig(v1vo.ConfigParam{DataId: id, Group: group, Content: content})
	if err == nil && !ok {
		err = errors.New("publish not accepted")
	}
	return err
}

func (c *v1Config) PublishCAS(context.Context, string, string, string, string) error {
	return errors.New("the v1 SDK has no CAS publish")
}

func (c *v1Config) Delete(_ context.Context, group, id string) error {
	ok, err := c.c.DeleteConfig(v1vo.ConfigParam{DataId: id, Group: group})
	if err == nil && !ok {
		err = errors.New("delete not accepted")
	}
	return err
}

func (c *v1Config) Watch(_ context.Context, group, id string) (<-chan conformance.ConfigEvent, error) {
	out := make(chan conformance.ConfigEvent, 64)
	err := c.c.ListenConfig(v1vo.ConfigParam{DataId: id, Group: group, OnChange: func(_, _, _, data string) {
		select {
		case out <- conformance.ConfigEvent{Content: data, Deleted: data == ""}:
		default:
		}
	}})
	return out, err
}

func (c *v1Config) Close() error { return c.r.Close() }

type v1NamingHarness struct {
	v1Base
	clk *clock.Manual // the fake's clock (unused outside fake mode)
}

func (h *v1NamingHarness) Name() string { return "nacos/sdk-go-v1 HTTP (" + h.mode() + ")" }

// No UnhealthyRegistration: v1 instances are kept alive by beats, and the
// next beat (every 5 s) marks an instance healthy again.
func (h *v1NamingHarness) Capabilities() conformance.Capabilities {
	return withAuth(h.env, conformance.EphemeralOnDisconnect)
}

// The v1 SDK's naming calls hide the server's 403 behind "retry 3 times
// request failed!", so the rejection is read from a login probe, as a
// caller of that SDK would have to.
func (h *v1NamingHarness) BadCredentialsClient(ctx context.Context) (conformance.NamingClient, error) {
	ep := badEndpoint(h.t)
	if err := nacosclient.CheckLogin(ctx, ep); err != nil {
		return nil, err
	}
	return v1NewNaming(v1Param(ep))
}

func v1NewNaming(p v1vo.NacosClientParam, r *relay, err error) (conformance.NamingClient, error) {
	if err != nil {
		return nil, err
	}
	c, err := v1clients.NewNamingClient(p)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &v1Naming{c: c, r: r}, nil
}

func (h *v1NamingHarness) Service() conformance.NamingService {
	return conformance.NamingService{Group: h.env.Group(h.t), Name: h.env.Service(h.t)}
}

// ClientGone: an HTTP instance outlives its client until its beats are
// overdue (deleted after 30 s without one). The fake's clock is moved past
// that; a real server is simply waited for (up to conformance.Timeout).
func (h *v1NamingHarness) ClientGone(context.Context) {
	if h.env.Fake() != nil {
		h.clk.Advance(31 * time.Second)
	}
}

func (h *v1NamingHarness) Client(context.Context) (conformance.NamingClient, error) {
	return v1NewNaming(h.param(""))
}

type v1Naming struct {
	c v1naming.INamingClient
	r *relay
}

func (c *v1Naming) Register(_ context.Context, svc conformance.NamingService, in conformance.NamingInstance) error {
	w := in.Weight
	if w == 0 {
		w = 1
	}
	ok, err := c.c.RegisterInstance(v1vo.RegisterInstanceParam{Ip: in.IP, Port: uint64(in.Port), Weight: w, Enable: true,
		Healthy: !in.Unhealthy, Metadata: in.Metadata, ClusterName: in.Cluster, ServiceName: svc.Name, GroupName: svc.Group, Ephemeral: true})
	if err == nil && !ok {
		err = errors.New("register not accepted")
	}
	return err
}

func (c *v1Naming) Deregister(_ context.Context, svc conformance.NamingService, in conformance.NamingInstance) error {
	ok, err := c.c.DeregisterInstance(v1vo.DeregisterInstanceParam{Ip: in.IP, Port: uint64(in.Port), Cluster: in.Cluster,
		ServiceName: svc.Name, GroupName: svc.Group, Ephemeral: true})
	if err == nil && !ok {
		err = errors.New("deregister not accepted")
	}
	return err
}

func fromV1(ms []v1model.Instance) []conformance.NamingInstance {
	out := make([]conformance.NamingInstance, 0, len(ms))
	for _, m := range ms {
		if !m.Enable {
			continue
		}
		out = append(out, conformance.NamingInstance{IP: m.Ip, Port: int(m.Port), Weight: m.Weight, Cluster: m.ClusterName,
			Metadata: m.Metadata, Unhealthy: !m.Healthy})
	}
	return out
}

func (c *v1Naming) List(_ context.Context, svc conformance.NamingService, healthyOnly bool, clusters []string) ([]conformance.NamingInstance, error) {
	var ms []v1model.Instance
	var err error
	if healthyOnly {
		ms, err = c.c.SelectInstances(v1vo.SelectInstancesParam{ServiceName: svc.Name, GroupName: svc.Group, Clusters: clusters, HealthyOnly: true})
	} else {
		ms, err = c.c.SelectAllInstances(v1vo.SelectAllInstancesParam{ServiceName: svc.Name, GroupName: svc.Group, Clusters: clusters})
	}
	if err != nil && strings.Contains(err.Error(), "instance list is empty") {
		return nil, nil
	}
	return fromV1(ms), err
}

func (c *v1Naming) Subscribe(_ context.Context, svc conformance.NamingService) (<-chan []conformance.NamingInstance, error) {
	out := make(chan []conformance.NamingInstance, 1)
	err := c.c.Subscribe(&v1vo.SubscribeParam{ServiceName: svc.Name, GroupName: svc.Group,
		SubscribeCallback: func(s []v1model.SubscribeService, err error) {
			if err != nil {
				return
			}
			list := make([]conformance.NamingInstance, 0, len(s))
			for _, m := range s {
				if m.Enable {
					// SubscribeService has no health flag; Valid is the
					// v1 name for it.
					list = append(list, conformance.NamingInstance{IP: m.Ip, Port: int(m.Port), Weight: m.Weight,
						Cluster: m.ClusterName, Metadata: m.Metadata, Unhealthy: !m.Valid})
				}
			}
			sendLatest(out, list)
		}})
	return out, err
}

func (c *v1Naming) Close() error { return c.r.Close() }

// relay forwards TCP connections to a server until closed; closing it cuts
// every connection, like the death of the client's process.
type relay struct {
	ln      net.Listener
	target  string
	onClose func()

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func newRelay(target string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

func (r *relay) hostPort() (string, int) {
	a := r.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (r *relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		c.Close()
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.DialTimeout("tcp", r.target, 5*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		if !r.track(in) || !r.track(out) {
			in.Close()
			out.Close()
			return
		}
		r.wg.Add(2)
		go r.pipe(in, out)
		go r.pipe(out, in)
	}
}

func (r *relay) pipe(dst, src net.Conn) {
	defer r.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

func (r *relay) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	err := r.ln.Close()
	r.wg.Wait()
	if r.onClose != nil {
		r.onClose()
	}
	return err
}

package nacosclient

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// Service names a service: Group "" is DEFAULT_GROUP.
type Service struct {
	Group, Name string
}

func (s Service) group() string { return group(s.Group) }

// Instance is one instance of a service. The zero value of every field is
// the usual choice, so the flags are negative: an Instance{IP, Port}
// registers as healthy, enabled, ephemeral, weight 1.
type Instance struct {
	IP        string
	Port      int
	Weight    float64 // 0 means 1
	Cluster   string  // "" means DEFAULT
	Metadata  map[string]string
	Unhealthy bool
	Disabled  bool
	// Persistent instances outlive the client and are registered over
	// HTTP; ephemeral ones (the default) vanish when the client closes.
	Persistent bool
	// InstanceID is set by the server; ignored on registration.
	InstanceID string
}

type instKey struct {
	ip      string
	port    int
	cluster string
}

func (in Instance) key() instKey { return instKey{in.IP, in.Port, in.Cluster} }

func (in Instance) param(svc Service) vo.RegisterInstanceParam {
	w := in.Weight
	if w == 0 {
		w = 1
	}
	return vo.RegisterInstanceParam{
		Ip: in.IP, Port: uint64(in.Port), Weight: w, Enable: !in.Disabled, Healthy: !in.Unhealthy,
		Metadata: in.Metadata, ClusterName: in.Cluster, ServiceName: svc.Name, GroupName: svc.group(),
		Ephemeral: !in.Persistent,
	}
}

func fromModel(m model.Instance) Instance {
	return Instance{
		IP: m.Ip, Port: int(m.Port), Weight: m.Weight, Cluster: m.ClusterName, Metadata: m.Metadata,
		Unhealthy: !m.Healthy, Disabled: !m.Enable, Persistent: !m.Ephemeral, InstanceID: m.InstanceId,
	}
}

func fromModels(ms []model.Instance) []Instance {
	out := make([]Instance, 0, len(ms))
	for _, m := range ms {
		out = append(out, fromModel(m))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IP != out[j].IP {
			return out[i].IP < out[j].IP
		}
		return out[i].Port < out[j].Port
	})
	return out
}

// Naming is a service-registry client (nacos-sdk-go v2: gRPC, HTTP for
// persistent instances) bound to one namespace. Safe for concurrent use.
type Naming struct {
	raw   naming_client.INamingClient
	where string // the server, for errors
	dir   string

	mu     sync.Mutex
	closed bool
	// Nacos keeps one ephemeral instance set per (connection, service): a
	// second register replaces the first. Registered instances are kept
	// here so several can be sent together as a batch.
	regs map[Service]map[instKey]Instance
	subs map[subKey]*subscription
}

type subKey struct {
	svc      Service
	clusters string
}

type subscription struct {
	param *vo.SubscribeParam // Unsubscribe finds the callback by its address in here
	w     *instWatch
}

func (n *Naming) fail(op string, err error) error { return mapErrAt(n.where, op, err) }

// NewNaming connects a naming client.
func NewNaming(ep Endpoint, opts ...Option) (*Naming, error) {
	if err := CheckLogin(context.Background(), ep); err != nil {
		return nil, err
	}
	param, dir, err := sdkParam(ep, opts)
	if err != nil {
		return nil, err
	}
	raw, err := clients.NewNamingClient(param)
	if err != nil {
		removeDir(dir)
		return nil, mapErrAt(ep.where(), "connect", err)
	}
	// The SDK announces its first connection on a goroutine whose listener
	// re-sends ("redoes") cached registrations. If that redo snapshots a
	// register made right after creation and sends it after a later one,
	// the stale registration wins. One round trip first lets that redo,
	// still with nothing cached, finish before anything is registered.
	_, _ = raw.GetAllServicesInfo(vo.GetAllServiceInfoParam{PageNo: 1, PageSize: 1})
	return &Naming{raw: raw, where: ep.where(), dir: dir, regs: map[Service]map[instKey]Instance{}, subs: map[subKey]*subscription{}}, nil
}

// Raw returns the SDK client.
func (n *Naming) Raw() naming_client.INamingClient { return n.raw }

func (n *Naming) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrClosed
	}
	return nil
}

// Register adds an instance, or replaces the one with the same IP, port
// and cluster (an update). Several ephemeral instances of one service
// registered through one client are all kept.
func (n *Naming) Register(ctx context.Context, svc Service, in Instance) error {
	if err := n.check(ctx); err != nil {
		return err
	}
	if in.Persistent {
		ok, err := n.raw.RegisterInstance(in.param(svc))
		return n.accepted("register", ok, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	set := n.regs[svc]
	next := map[instKey]Instance{in.key(): in}
	for k, v := range set {
		if k != in.key() {
			next[k] = v
		}
	}
	if err := n.sendLocked(svc, next); err != nil {
		return err
	}
	n.regs[svc] = next
	return nil
}

// Update changes an instance's weight, metadata or flags: with Nacos 2.x
// an update is a re-registration.
func (n *Naming) Update(ctx context.Context, svc Service, in Instance) error {
	return n.Register(ctx, svc, in)
}

// sendLocked makes the server's set of this connection's instances of svc
// equal to set.
func (n *Naming) sendLocked(svc Service, set map[instKey]Instance) error {
	if len(set) == 1 {
		for _, in := range set {
			ok, err := n.raw.RegisterInstance(in.param(svc))
			return n.accepted("register", ok, err)
		}
	}
	params := make([]vo.RegisterInstanceParam, 0, len(set))
	for _, in := range set {
		params = append(params, in.param(svc))
	}
	ok, err := n.raw.BatchRegisterInstance(vo.BatchRegisterInstanceParam{ServiceName: svc.Name, GroupName: svc.group(), Instances: params})
	return n.accepted("register", ok, err)
}

// Deregister removes an instance (matched by IP, port and cluster).
func (n *Naming) Deregister(ctx context.Context, svc Service, in Instance) error {
	if err := n.check(ctx); err != nil {
		return err
	}
	if in.Persistent {
		ok, err := n.raw.DeregisterInstance(vo.DeregisterInstanceParam{Ip: in.IP, Port: uint64(in.Port), Cluster: in.Cluster,
			ServiceName: svc.Name, GroupName: svc.group(), Ephemeral: false})
		return n.accepted("deregister", ok, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	rest := map[instKey]Instance{}
	for k, v := range n.regs[svc] {
		if k != in.key() {
			rest[k] = v
		}
	}
	if len(rest) > 0 {
		if err := n.sendLocked(svc, rest); err != nil {
			return err
		}
		n.regs[svc] = rest
		return nil
	}
	ok, err := n.raw.DeregisterInstance(vo.DeregisterInstanceParam{Ip: in.IP, Port: uint64(in.Port), Cluster: in.Cluster,
		ServiceName: svc.Name, GroupName: svc.group(), Ephemeral: true})
	if err := n.accepted("deregister", ok, err); err != nil {
		return err
	}
	delete(n.regs, svc)
	return nil
}

func (n *Naming) accepted(op string, ok bool, err error) error {
	if err == nil && !ok {
		err = ErrRejected
	}
	return n.fail(op, err)
}

// ListOptions filters List.
type ListOptions struct {
	HealthyOnly bool
	Clusters    []string
}

// List returns a service's enabled instances, sorted by IP and port; a
// service without instances gives an empty list. The SDK answers from a
// cache that server pushes keep current once a service was looked at, so
// a change made elsewhere shows up after a short delay.
func (n *Naming) List(ctx context.Context, svc Service, o ListOptions) ([]Instance, error) {
	if err := n.check(ctx); err != nil {
		return nil, err
	}
	var ms []model.Instance
	var err error
	if o.HealthyOnly {
		ms, err = n.raw.SelectInstances(vo.SelectInstancesParam{ServiceName: svc.Name, GroupName: svc.group(), Clusters: o.Clusters, HealthyOnly: true})
	} else {
		ms, err = n.raw.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: svc.Name, GroupName: svc.group(), Clusters: o.Clusters})
	}
	if err != nil && strings.Contains(err.Error(), "instance list is empty") {
		return []Instance{}, nil
	}
	if err != nil {
		return nil, n.fail("list "+svc.Name, err)
	}
	all := fromModels(ms)
	out := all[:0]
	for _, in := range all {
		if !in.Disabled {
			out = append(out, in)
		}
	}
	return out, nil
}

// SelectHealthy picks one healthy instance, weighted by weight, or
// returns ErrNotFound.
func (n *Naming) SelectHealthy(ctx context.Context, svc Service, clusters ...string) (Instance, error) {
	if err := n.check(ctx); err != nil {
		return Instance{}, err
	}
	m, err := n.raw.SelectOneHealthyInstance(vo.SelectOneHealthInstanceParam{ServiceName: svc.Name, GroupName: svc.group(), Clusters: clusters})
	if err != nil {
		return Instance{}, n.fail("select "+svc.Name, err)
	}
	if m == nil {
		return Instance{}, n.fail("select "+svc.Name, ErrNotFound)
	}
	return fromModel(*m), nil
}

// Close deregisters nothing explicitly: closing the connection is what
// removes this client's ephemeral instances on the server. It stops
// subscriptions, closes the SDK client and removes its temporary
// directory. Idempotent.
func (n *Naming) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	subs := n.subs
	n.subs = nil
	n.mu.Unlock()
	for _, s := range subs {
		s.w.stop()
	}
	n.raw.CloseClient()
	removeDir(n.dir)
	return nil
}

var errAlreadySubscribed = errors.New("nacosclient: service already subscribed by this client with these clusters")

package nacosclient

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"sync"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// DefaultGroup is the group used when a call passes "".
const DefaultGroup = constant.DEFAULT_GROUP

// Config is a config-centre client (nacos-sdk-go v2 over gRPC) bound to
// one namespace. It is safe for concurrent use.
type Config struct {
	raw   config_client.IConfigClient
	where string // the server, for errors
	dir   string
	ns    string

	mu      sync.Mutex
	closed  bool
	watches map[configKey]*watch
}

type configKey struct{ group, dataID string }

// Change is one observed state of a watched config.
type Change struct {
	Namespace, Group, DataID string
	Content                  string
	// Deleted is true when the config no longer exists (Nacos reports a
	// deletion as empty content, which a publish can never set).
	Deleted bool
}

// NewConfig connects a config client. The SDK retries a server it cannot
// reach in the background, so an unreachable server shows up as errors
// from the calls, not here.
func NewConfig(ep Endpoint, opts ...Option) (*Config, error) {
	if err := CheckLogin(context.Background(), ep); err != nil {
		return nil, err
	}
	param, dir, err := sdkParam(ep, opts)
	if err != nil {
		return nil, err
	}
	raw, err := clients.NewConfigClient(param)
	if err != nil {
		removeDir(dir)
		return nil, mapErrAt(ep.where(), "connect", err)
	}
	return &Config{raw: raw, where: ep.where(), dir: dir, ns: ep.Namespace, watches: map[configKey]*watch{}}, nil
}

func (c *Config) fail(op string, err error) error { return mapErrAt(c.where, op, err) }

// Raw returns the SDK client.
func (c *Config) Raw() config_client.IConfigClient { return c.raw }

func group(g string) string {
	if g == "" {
		return DefaultGroup
	}
	return g
}

func (c *Config) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return nil
}

// Get returns a config's content, or ErrNotFound. The SDK cannot be
// cancelled: ctx is checked before the call and the client's timeout
// bounds it.
func (c *Config) Get(ctx context.Context, grp, dataID string) (string, error) {
	if err := c.check(ctx); err != nil {
		return "", err
	}
	s, err := c.raw.GetConfig(vo.ConfigParam{DataId: dataID, Group: group(grp)})
	if err != nil {
		return "", c.fail("get "+dataID, err)
	}
	// Nacos answers a missing config with errorCode 300, which the SDK
	// turns into "" and no error; published content is never empty.
	if s == "" {
		return "", c.fail("get "+dataID, ErrNotFound)
	}
	return s, nil
}

// Publish creates or replaces a config. Content must not be empty.
func (c *Config) Publish(ctx context.Context, grp, dataID, content string) error {
	return c.publish(ctx, vo.ConfigParam{DataId: dataID, Group: group(grp), Content: content})
}

// PublishCAS replaces a config only if its current content has md5 casMD5
// (see MD5); otherwise it fails with ErrConflict. An empty casMD5 is a
// plain publish, as in Nacos.
func (c *Config) PublishCAS(ctx context.Context, grp, dataID, content, casMD5 string) error {
	return c.publish(ctx, vo.ConfigParam{DataId: dataID, Group: group(grp), Content: content, CasMd5: casMD5})
}

func (c *Config) publish(ctx context.Context, p vo.ConfigParam) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	ok, err := c.raw.PublishConfig(p)
	if err == nil && !ok {
		err = ErrRejected
	}
	return c.fail("publish "+p.DataId, err)
}

// Delete removes a config; deleting a missing config succeeds, as in Nacos.
func (c *Config) Delete(ctx context.Context, grp, dataID string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	ok, err := c.raw.DeleteConfig(vo.ConfigParam{DataId: dataID, Group: group(grp)})
	if err == nil && !ok {
		err = ErrRejected
	}
	return c.fail("delete "+dataID, err)
}

// MD5 is the md5 Nacos keeps for content, the value PublishCAS compares.
func MD5(content string) string {
	if content == "" {
		return ""
	}
	sum := md5.Sum([]byte(content))
	return hex.EncodeToString(sum[:])
}

// Close stops watches and the SDK client and removes its temporary
// directory. It is idempotent.
func (c *Config) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ws := c.watches
	c.watches = nil
	c.mu.Unlock()
	for _, w := range ws {
		w.stop()
	}
	c.raw.CloseClient()
	removeDir(c.dir)
	return nil
}

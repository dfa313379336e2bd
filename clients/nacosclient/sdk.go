package nacosclient

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/util"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// SharedLogDir is where the SDK logs by default. The SDK's logger is
// process-global (each new client replaces it), so logs cannot be kept per
// client: they go to one directory per user in the system temp dir, which
// is never removed while clients may still write to it.
func SharedLogDir() string {
	return filepath.Join(os.TempDir(), "brokerkit-nacos-sdk-"+strconv.Itoa(os.Getuid()))
}

// removeDir removes a client's cache directory. The SDK may still write a
// snapshot just after CloseClient, so retry briefly; a leftover temporary
// directory is not worth failing Close for.
func removeDir(dir string) {
	for i := 0; i < 10; i++ {
		if os.RemoveAll(dir) == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sdkParam builds the SDK's parameters with test-friendly defaults: cache
// and logs in a fresh temporary directory, no cache loaded at start, no
// disk fallback, quiet logs. The caller removes dir on Close.
func sdkParam(ep Endpoint, opts []Option) (param vo.NacosClientParam, dir string, err error) {
	cacheLocalIP()
	o := defaultOptions()
	for _, fn := range opts {
		fn(&o)
	}
	if o.logDir == "" {
		o.logDir = SharedLogDir()
	}
	sc, err := ep.serverConfig()
	if err != nil {
		return param, "", err
	}
	// Not t.TempDir: the SDK keeps writing after CloseClient, and a
	// directory the test framework removes strictly would fail the test.
	dir, err = os.MkdirTemp("", "nacosclient-")
	if err != nil {
		return param, "", err
	}
	cc := &constant.ClientConfig{
		TimeoutMs:            uint64(o.timeout.Milliseconds()),
		NamespaceId:          ep.Namespace,
		AppName:              o.appName,
		CacheDir:             dir + "/cache",
		LogDir:               o.logDir,
		LogLevel:             o.logLevel,
		NotLoadCacheAtStart:  true,
		DisableUseSnapShot:   !o.snapshot,
		UpdateCacheWhenEmpty: true, // else "last instance gone" is never seen
		Username:             ep.Username,
		Password:             ep.Password,
		AccessKey:            ep.AccessKey,
		SecretKey:            ep.SecretKey,
	}
	if ep.TLS != nil {
		cc.TLSCfg = constant.TLSConfig{
			Appointed: true, Enable: true, TrustAll: ep.TLS.TrustAll,
			CaFile: ep.TLS.CAFile, ServerNameOverride: ep.TLS.ServerName,
		}
	}
	for _, fn := range o.tweak {
		fn(cc)
	}
	return vo.NacosClientParam{ClientConfig: cc, ServerConfigs: []constant.ServerConfig{sc}}, dir, nil
}

// cacheLocalIP has nacos-sdk-go v2 find the machine's address once, before
// any client starts: its util.LocalIP fills a package variable without a
// lock, a data race (seen under -race) when two clients start at once.
var cacheLocalIP = sync.OnceFunc(func() { util.LocalIP() })

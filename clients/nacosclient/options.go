package nacosclient

import (
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
)

// Option configures NewConfig and NewNaming.
type Option func(*options)

type options struct {
	timeout  time.Duration
	logLevel string
	snapshot bool
	appName  string
	logDir   string
	tweak    []func(*constant.ClientConfig)
}

func defaultOptions() options {
	return options{timeout: 5 * time.Second, logLevel: "error"}
}

// WithTimeout bounds each request to the server (default 5 s). Note the
// SDK uses a fixed 3 s for config publish and delete.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLogLevel sets the SDK's log level: debug, info, warn or error
// (default).
func WithLogLevel(level string) Option { return func(o *options) { o.logLevel = level } }

// WithLogDir sets where the SDK writes its log (default SharedLogDir). The
// SDK's logger is process-global: the last client created decides.
func WithLogDir(dir string) Option { return func(o *options) { o.logDir = dir } }

// WithSnapshot turns on the SDK's disk-cache fallback: a Get that cannot
// reach the server answers from the last value written to disk. It is off
// by default because it hides outages in tests.
func WithSnapshot() Option { return func(o *options) { o.snapshot = true } }

// WithAppName sets the application name the SDK reports to the server.
func WithAppName(name string) Option { return func(o *options) { o.appName = name } }

// WithClientConfig edits the SDK's ClientConfig after brokerkit's defaults,
// for settings this package does not wrap.
func WithClientConfig(fn func(*constant.ClientConfig)) Option {
	return func(o *options) { o.tweak = append(o.tweak, fn) }
}

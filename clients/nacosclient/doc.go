// Package nacosclient is a thin typed wrapper over the official Nacos Go
// SDK (github.com/nacos-group/nacos-sdk-go/v2): a Config client (Get,
// Publish, PublishCAS, Delete, Watch) and a Naming client (Register,
// Deregister, Update, List, SelectHealthy, Subscribe), each exposing the
// SDK client through Raw.
//
//	cfg, err := nacosclient.NewConfig(nacosclient.Endpoint{Host: "127.0.0.1", Port: 8848})
//	defer cfg.Close()
//	err = cfg.Publish(ctx, "", "app.yaml", "port: 8080")
//	content, err := cfg.Get(ctx, "", "app.yaml")
//
// It sets the SDK up for tests and services that must see outages: cache
// files go to a temporary directory removed on Close, logs to SharedLogDir
// (the SDK's logger is process-global), the disk cache is not loaded at
// start, the disk-cache fallback is off (a Get that
// cannot reach the server fails instead of answering stale content; see
// WithSnapshot), and the log level is error.
//
// Endpoint carries the gRPC port explicitly (GRPCPort), because the SDK's
// default of HTTP port + 1000 does not hold for containers with random host
// ports.
//
// Credentials are checked up front (CheckLogin): the SDK only logs a
// failed login, and afterwards its naming calls fail without a reason.
//
// Errors (test with errors.Is): a missing config or an empty selection is
// ErrNotFound, a lost compare-and-swap ErrConflict, rejected credentials
// ErrUnauthenticated, a Get refused by the SDK's own limit (about 5 per
// second per config per process) ErrRateLimited, and a naming write the
// server refused ErrRejected (the SDK drops the reason).
package nacosclient

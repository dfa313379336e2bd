// Package nacosfake is an in-process Nacos 2.x server for tests: the gRPC
// API used by the v2 SDKs (nacos-sdk-go/v2, Java 2.x) and the HTTP v1 Open
// API used by v1 and HTTP-only clients, over one in-memory store.
//
//	srv, _ := nacosfake.New()
//	defer srv.Close()
//	srv.SetConfig("", "DEFAULT_GROUP", "app.yaml", "port: 8080")
//	// point an SDK at srv.Host(), srv.HTTPPort() (gRPC is srv.GRPCPort(),
//	// HTTPPort()+1000 by default, as Nacos clients assume)
//
// Ports: by default the HTTP port is random and the gRPC port is HTTP+1000
// like Nacos; WithAddr and WithGRPCAddr choose them explicitly.
//
// Semantics follow Nacos 2.5: a missing config is errorCode 300 over gRPC and
// 404 over HTTP; CAS publishes compare casMd5; config listeners are pushed
// ConfigChangeNotifyRequest asynchronously; ephemeral gRPC instances belong
// to their connection and vanish with it; HTTP ephemeral instances need
// beats (unhealthy after 15 s, removed after 30 s of server clock, see
// Advance); subscribers get debounced NotifySubscriberRequest pushes.
// Unknown request types are answered with ErrorResponse 302 and malformed
// bodies with ErrorResponse 502, as Nacos does.
//
// Not modelled: gray (beta/tag) publishing (accepted and ignored), the
// protection threshold, service metadata, UDP push, TCP health checks of
// persistent instances, cluster mode, ak/sk signatures.
//
// Test hooks: SetConfig/RegisterInstance seed; Configs, Instances,
// Subscribers, Listeners and Connections inspect; FailNext, Delay,
// DropConnections and Restart inject faults; Advance drives the clock.
package nacosfake

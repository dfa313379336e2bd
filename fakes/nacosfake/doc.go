// Package nacosfake is an in-process Nacos 2.x server for tests: the gRPC
// API used by the v2 SDKs (nacos-sdk-go/v2, Java 2.x) and the HTTP v1 Open
// API used by v1 and HTTP-only clients, over one in-memory store. The
// official clients work against it unchanged (see Example).
//
//	srv, _ := nacosfake.New()
//	defer srv.Close()
//	srv.SetConfig("", "DEFAULT_GROUP", "app.yaml", "port: 8080")
//	// SDK: constant.NewServerConfig(srv.Host(), uint64(srv.HTTPPort()))
//	// HTTP: srv.URL() (http://127.0.0.1:P/nacos); srv.Addr() is host:P,
//	// srv.GRPCAddr() the gRPC host:port.
//
// # Ports
//
// By default the HTTP port is random and the gRPC port is HTTP+1000, as
// Nacos clients assume; WithAddr and WithGRPCAddr choose them explicitly
// (e.g. WithAddr("127.0.0.1:8848") serves gRPC on 9848).
//
// # Semantics (Nacos 2.5)
//
//   - Config: a missing config is errorCode 300 over gRPC and 404 over HTTP;
//     tenant "", "public" and "null" are the same namespace; CAS publishes
//     compare casMd5; content over the limit (10 MiB) is rejected with 400;
//     listeners get ConfigChangeNotifyRequest asynchronously (20 ms after
//     the change, so the publish reply arrives first), as do the namespace's
//     config connections that have not listened yet (WithListenHints);
//     a beta release is served to the client IPs it lists (get, listen MD5,
//     pushes) and a tag release to clients asking with its tag (Grays lists
//     them); HTTP long polls follow the
//     Listening-Configs / Long-Pulling-Timeout rules. The v2 config Open API
//     (/nacos/v2/cs/config) answers in Nacos's Result envelope. Every
//     change leaves a history row, served by /nacos/v2/cs/history.
//   - Naming: gRPC instances are ephemeral, one set per (connection,
//     service), and vanish with their connection; HTTP ephemeral instances
//     need beats (unhealthy after 15 s, removed after 30 s of server clock,
//     see WithClock); persistent instances never expire. Subscribers get
//     debounced NotifySubscriberRequest pushes (WithPushDelay) with a
//     strictly increasing lastRefTime; disabled instances are never listed.
//     HTTP clients listing with udpPort+clientIP get UDP "dom" pushes.
//   - Errors: unknown request types get ErrorResponse 302, unparsable bodies
//     ErrorResponse 502, business failures the request's own typed response
//     with resultCode 500 (an ErrorResponse would make SDKs redo everything).
//   - Auth (WithUser, repeatable): login at /nacos/v1/auth/login or /v1/auth/users/login;
//     missing or bad tokens get HTTP 403 or a typed gRPC errorCode 403.
//     WithAccessKey checks ak/sk signatures on gRPC and HTTP requests.
//     HTTP refusals, unknown paths and other methods answer with Spring
//     Boot's and Nacos's error bodies (see http_errors.go).
//   - Console: /v1/console/namespaces and /v2/console/namespace create,
//     list and delete namespaces so fixture code written for a real server
//     works; any namespace id is usable without creating it, as in Nacos
//     2.x. The cluster endpoints show one standalone member, this server;
//     /v1/ns/operator/switches shows and sets the naming switches.
//
// Pushes not acknowledged within 3 s are re-sent, up to 3 attempts (Nacos
// retries longer, then drops the connection).
//
// Services created through /v1/ns/service keep their metadata and
// protection threshold (applied to listings); others are dropped as soon as
// they have no instances and no subscribers.
//
// Not modelled: gray releases in HTTP long polls and in WithDataDir, tag
// rules matched by connection labels, idle ClientDetectionRequest, service
// selectors, TCP health checks of persistent instances, cluster mode, the
// history of gray releases.
//
// # Test hooks
//
// Seed with SetConfig, RegisterInstance and LoadSeedDir; inspect with
// Configs, GetConfig, Instances, Services, Subscribers, UDPSubscribers,
// Listeners, Pollers, Namespaces and Connections; start over with Reset.
//
// Faults use the typed operations Op (gRPC request types such as
// OpConfigQuery, HTTP endpoints such as OpHTTPGetConfig; Ops lists them):
// FailNext and Delay return a fault.Handle (Hits, Wait, Remove) and reject
// an unknown op; Faults lists the rules and ResetFaults removes them.
// DropConnections cuts every gRPC and HTTP connection, ResetConnections
// asks gRPC clients to reconnect, Restart drops connections and listeners
// but keeps data and faults. Drive beat expiry and token lifetimes with
// WithClock(clock.Manual). WithDataDir persists configs, persistent
// instances, created services and namespaces.
//
// TLS: WithTLS makes a throw-away CA (ClientTLSConfig, CACertPEM);
// WithTLSConfig takes the caller's.
package nacosfake

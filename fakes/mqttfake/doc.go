// Package mqttfake is an in-process MQTT broker for tests: mochi-mqtt
// (MQTT 3.1, 3.1.1 and 5) behind loopback listeners on free ports, with the
// defaults a test needs and the hooks a test wants.
//
//	srv, err := mqttfake.New()
//	...
//	defer srv.Close()
//	// connect any MQTT client to srv.URL() ("mqtt://127.0.0.1:port")
//
// Compared with a stock mochi server it
//   - accepts anonymous clients, or real username/password (WithUser) with
//     per-user topic ACLs (WithACL), answering bad credentials with
//     Mosquitto's codes;
//   - raises mochi's per-client queue and inflight limits so bursts are
//     never dropped silently;
//   - offers TLS with a throw-away CA (WithTLS) and WebSocket, plain and
//     secure (WithWebSocket, WithSecureWebSocket), on ports known before the
//     first client connects and kept across Restart;
//   - closes safely while clients are still connecting (mochi #541);
//   - answers protocol errors like Mosquitto: an unsupported protocol level
//     gets CONNACK 0x01, a 3.1.1 empty client ID without clean session 0x02,
//     an empty password 0x05/0x87 (as a wrong one), an oversized packet
//     (WithMaxPacketSize, 16 MiB by default) DISCONNECT 0x95 in v5, a
//     PUBLISH topic that is not valid UTF-8 DISCONNECT 0x81;
//   - never allocates more than a client sent: a packet reaches mochi only
//     once its bytes have arrived, a CONNECT over 1 MiB is closed, and a
//     connection must complete its TLS handshake and CONNECT within
//     WithConnectTimeout (90 s, as Mosquitto);
//   - starts on a data dir whatever it holds: a bad item is skipped with a
//     logged error;
//   - records what was published (Published), shows retained messages and
//     sessions (Retained, Clients), injects faults and restarts keeping
//     durable state (Restart, WithDataDir).
//
// Faults follow the brokerkit model (package fault): FailNext(op, target,
// n, code) and Delay(op, d) on OpConnect, OpPublish and OpSubscribe return
// a *fault.Handle (Hits, Wait, Remove); an unknown op is an error.
// DropConnections cuts every connection; ResetFaults removes every rule and
// Faults lists them. MQTT-specific: DropDeliveries and DelayDeliveries act
// on topic filters, DisconnectClient on one client.
//
// There is no WithClock: mochi runs its own timers (will delay, session and
// message expiry, keepalive) on the system clock.
//
// Known differences from Mosquitto 2.0.11 are listed in the brokerkit MQTT
// note: mochi closes the socket right after a server DISCONNECT, echoes user
// properties in PUBACK, and refuses SUBSCRIBE to a filter the ACL denies
// with 0x87 (Mosquitto 2.0.11's acl_file grants it and only filters
// delivery). A publish the ACL denies gets PUBACK 0x87 in v5 and is
// acknowledged and dropped in 3.1.1, as with Mosquitto.
package mqttfake

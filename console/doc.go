// Package console is brokerkit's web console: one page per fake (Kafka,
// Pulsar, MQTT, Nacos) showing what it holds, live, with forms to inject
// faults and to produce, publish or seed data.
//
// It is server-rendered (html/template), with a small stylesheet and script
// embedded in the binary and Server-Sent Events for live updates, so it
// works offline. It reads the fakes only through their public inspection
// and fault APIs. `brokerkit up` serves it; in a test, fixtures.Console
// serves it for the fakes of that test.
//
// State-changing requests are POSTs refused when cross-origin (CSRF); with
// WithUser the console asks for HTTP Basic credentials.
package console

// Package v1compat holds the tests that drive nacosfake's HTTP v1 Open API
// through the pure-HTTP v1 SDK (github.com/nacos-group/nacos-sdk-go
// v1.0.8). They live apart because that SDK's background goroutines never
// stop; keeping them in their own test binary keeps the main package's
// goroutine-leak checks strict.
package v1compat

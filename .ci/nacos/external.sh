#!/usr/bin/env bash
# Nacos in external mode against `brokerkit up --only nacos --user`, STRICT:
# the conformance suite, nacostest's own tests and the example service, all
# through BROKERKIT_NACOS_ADDR / _GRPC_PORT / _USER only. Each package's
# fixtures.Main leak check must pass too (issue 9.4: nacos-sdk-go leaves
# idle keep-alive connections of http.DefaultTransport behind when auth is on).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKEND=nacos
. .ci/lib.sh
http=$(free_port)
grpc=$(free_port)
start_up --nacos-port "$http" --nacos-grpc-port "$grpc" --user ci:ci-secret

echo "--- Nacos external mode with auth against brokerkit up (127.0.0.1:$http, gRPC $grpc)"
export BROKERKIT_NACOS=external BROKERKIT_NACOS_ADDR="127.0.0.1:$http" BROKERKIT_NACOS_GRPC_PORT="$grpc" \
  BROKERKIT_NACOS_USER=ci:ci-secret BROKERKIT_STRICT=1
go test -count=1 -run 'TestNacos' ./conformance/
# Examples use RequireFake (fake-only by design), so only the tests run here.
go test -count=1 -run '^Test' ./fixtures/nacostest/ ./examples/nacosconfig/
stop_up
echo "Nacos external-with-auth leg passed"

#!/usr/bin/env bash
# Kafka conformance outside fake mode.
#  - external: the suite against `brokerkit up` (SASL on), reached only
#    through BROKERKIT_KAFKA_ADDR / BROKERKIT_KAFKA_SASL, STRICT so nothing
#    can skip its way to green.
#  - container: the suite against apache/kafka via testcontainers, STRICT,
#    when the image is present (it cannot be pulled on machines without a
#    registry; there the leg says so and is not run).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKEND=kafka
. .ci/lib.sh
port=$(free_port)
start_up --kafka-port "$port" --kafka-auto-create=false --user ci:ci-secret

echo "--- Kafka conformance, external mode against brokerkit up (127.0.0.1:$port, SASL)"
BROKERKIT_KAFKA=external BROKERKIT_KAFKA_ADDR="127.0.0.1:$port" BROKERKIT_KAFKA_SASL="SCRAM-SHA-512:ci:ci-secret" \
  BROKERKIT_STRICT=1 go test -count=1 -run 'TestKafka' -v ./conformance/ 2>&1 | grep -E '^(\s*--- |ok|FAIL|PASS)'
test "${PIPESTATUS[0]}" -eq 0

image=${BROKERKIT_KAFKA_IMAGE:-apache/kafka:3.9.1}
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "--- Kafka conformance, container mode ($image)"
  BROKERKIT_KAFKA=container BROKERKIT_KAFKA_IMAGE="$image" BROKERKIT_STRICT=1 TESTCONTAINERS_RYUK_DISABLED=true \
    go test -count=1 -run 'TestKafka' -v ./conformance/ 2>&1 | grep -E '^(\s*--- |ok|FAIL|PASS)'
  test "${PIPESTATUS[0]}" -eq 0
else
  echo "--- Kafka container mode not run: image $image is not present and cannot be pulled here"
fi

#!/usr/bin/env bash
# The dev-stack image: build brokerkit:local from the repository's Dockerfile
# (a static binary FROM scratch, nothing pulled), start it on a private Docker
# network under the name "brokerkit", and run the example applications' own
# tests (examples/kafkaorders, examples/mqtttelemetry) from a second container
# on that network in external mode. Kafka advertises the service name, so this
# checks the advertised-host path a compose user depends on.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=brokerkit:local
app=brokerkit-ci-app:local
net=brokerkit-ci-$$
work=$(mktemp -d)
cleanup() {
  docker rm -f "$net-stack" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  docker rmi -f "$app" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

make -s image >/dev/null
# The app: the examples' test binaries, static, in an image of their own.
for ex in kafkaorders mqtttelemetry; do
  CGO_ENABLED=0 go test -c -o "$work/$ex.test" "./examples/$ex"
done
printf 'FROM scratch\nCOPY *.test /\n' >"$work/Dockerfile"
docker build -q -t "$app" "$work" >/dev/null

docker network create "$net" >/dev/null
docker run -d --name "$net-stack" --network "$net" --network-alias brokerkit "$tag" \
  --only kafka,mqtt --kafka-advertised-host brokerkit >/dev/null
for _ in $(seq 100); do
  docker logs "$net-stack" 2>&1 | grep -q BROKERKIT_MQTT_ADDR && break
  sleep 0.1
done
docker logs "$net-stack"

rc=0
for ex in kafkaorders mqtttelemetry; do
  echo "--- $ex tests in a container, external mode against the brokerkit container"
  docker run --rm --network "$net" --tmpfs /tmp -e TMPDIR=/tmp \
    -e BROKERKIT_STRICT=1 \
    -e BROKERKIT_KAFKA=external -e BROKERKIT_KAFKA_ADDR=brokerkit:9092 \
    -e BROKERKIT_MQTT=external -e BROKERKIT_MQTT_ADDR=brokerkit:1883 \
    "$app" "/$ex.test" -test.v -test.count=1 -test.run "^Test" || rc=1
done
[ $rc -eq 0 ] && echo "dev-stack image: ok" || echo "dev-stack image: FAILED"
exit $rc

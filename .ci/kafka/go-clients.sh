#!/usr/bin/env bash
# Go Kafka clients other than franz-go against `brokerkit up --only kafka`:
# IBM/sarama, segmentio/kafka-go and confluent-kafka-go v2 (cgo, linked
# against Debian's librdkafka with -tags dynamic). Each one creates and
# deletes a topic, produces, consumes in a group with commits and resumes
# after them with a new member, and goes through a rebalance from two to
# three members; in plaintext, then SASL_SSL with each mechanism.
# The tests are a module of their own (.ci/kafka/clients) so these
# libraries stay out of brokerkit's go.mod.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
dpkg -s librdkafka-dev >/dev/null 2>&1 || need+=(librdkafka-dev)
command -v pkg-config >/dev/null || need+=(pkg-config) # cgo finds librdkafka with it
command -v gcc >/dev/null || need+=(gcc)
BACKEND=kafka
. .ci/lib.sh
install_missing "${need[@]}"

tests="$work/clients.test"
(cd .ci/kafka/clients && go test -c -tags dynamic -o "$tests" .)

run() { # label: the clients against the running up, env from its JSON
  echo "--- $1"
  local exports
  exports=$(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.loads(open(sys.argv[1]).readline())["exports"]))' "$work/up.json")
  if ! (eval "$exports"; export BROKERKIT_KAFKA_SASL="${2:-${BROKERKIT_KAFKA_SASL:-}}"
        cd .ci/kafka/clients && "$tests" -test.count=1 -test.v -test.timeout=2m 2>&1 | tee "$work/out" | grep -E -- '--- |broker |librdkafka '); then
    echo "FAIL $1; full output:"; cat "$work/out"; exit 1
  fi
  grep -q '^PASS$' "$work/out" || { echo "FAIL $1: no PASS line"; cat "$work/out"; exit 1; }
  if grep -q -- '--- SKIP' "$work/out"; then echo "FAIL $1: a test skipped"; exit 1; fi
  passed=$((passed + $(grep -c -- '--- PASS' "$work/out")))
}

port=$(free_port)
start_up --kafka-port "$port"
run plaintext
stop_up

port=$(free_port)
start_up --kafka-port "$port" --user alice:alice-secret --tls --data-dir "$work/data"
for mech in SCRAM-SHA-256 SCRAM-SHA-512 PLAIN; do
  run "SASL_SSL $mech" "$mech:alice:alice-secret"
done
stop_up

echo "$passed passed, 0 failed"

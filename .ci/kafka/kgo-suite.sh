#!/usr/bin/env bash
# franz-go's own pkg/kgo integration suite (at the franz-go version in
# go.mod) against `brokerkit up --only kafka`, with the environment of
# franz-go's CI jobs (KGO_SEEDS, KGO_TEST_RF=1; as in its job against real
# Kafka, a second broker on 9094 requires SCRAM for KGO_TEST_SCRAM_SEEDS).
# The suite dials 127.0.0.1:9092, so it runs in a private network namespace
# when it can.
# Results are compared with .ci/kafka/kgo-expected-pass.txt: a listed test
# that does not pass fails the leg; tests that pass but are not listed are
# printed so the list can grow. SUITE_SHARDS (default 1: the suite runs its
# tests with t.Parallel itself) test processes run side by side;
# SUITE_TIMEOUT (default 4m) caps the run; KGO_TEST_RECORDS (default 100000,
# franz-go's is 500000) sizes the group and transaction ETL tests;
# SUITE_REPORT names a file that keeps the report.
set -euo pipefail
cd "$(dirname "$0")/../.."
mod=github.com/twmb/franz-go@$(go list -m -f '{{.Version}}' github.com/twmb/franz-go)
BACKEND=kafka
. .ci/gosuite.sh

start_up --kafka-port 9092
cat "$work/up.json"
# The SCRAM broker: a second `brokerkit up`, stopped with the script.
"$bin" up --only kafka --kafka-port 9094 --user testuser:testpass --no-console --schema-registry-port -1 \
  --json >"$work/scram.json" 2>"$work/scram.err" &
scram=$!
trap 'kill $scram 2>/dev/null; wait $scram 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -s "$work/scram.json" ] && break; sleep 0.1; done
[ -s "$work/scram.json" ] || { echo "the SCRAM broker did not start:"; cat "$work/scram.err"; exit 1; }

t0=$(date +%s)
(cd "$suite/pkg/kgo" && go test -c -o "$work/kgo.test" .)
status=0
KGO_SEEDS=127.0.0.1:9092 KGO_TEST_RF=1 KGO_TEST_SCRAM_SEEDS=127.0.0.1:9094 KGO_TEST_SCRAM=testuser:testpass \
  KGO_TEST_RECORDS="${KGO_TEST_RECORDS:-100000}" \
  /usr/bin/python3 .ci/gosuite.py "franz-go ${mod#*@} pkg/kgo" .ci/kafka/kgo-expected-pass.txt \
  "${SUITE_SHARDS:-1}" "${SUITE_TIMEOUT:-4m}" "kgo:$suite/pkg/kgo:$work/kgo.test" | tee "${SUITE_REPORT:-/dev/null}" || status=$?
echo "--- suite built and ran in $(( $(date +%s) - t0 ))s"
stop_up
exit $status

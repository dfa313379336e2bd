#!/usr/bin/env bash
# apache/pulsar-client-go v0.19.0's own integration suite (the pulsar and
# pulsaradmin/pkg/admin packages) against `brokerkit up --only pulsar`,
# prepared the way the suite's scripts/pulsar-test-service-start.sh prepares
# a standalone broker. The suite dials the well-known ports (6650/6651,
# 8080/8443), so it runs in a private network namespace when it can.
# Results are compared with .ci/pulsar/expected-pass.txt: a listed test that
# does not pass fails the leg; tests that pass but are not listed are
# printed so the list can grow. SUITE_SHARDS (default 4) test processes run
# side by side; SUITE_TIMEOUT (default 7m) caps each.
set -euo pipefail
cd "$(dirname "$0")/../.."
mod=github.com/apache/pulsar-client-go@v0.19.0
if [ -z "${BROKERKIT_NETNS:-}" ]; then # the network is needed for this part only
  command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
  src=$(go mod download -json "$mod" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  (cd "$src" && go mod download)
fi
if [ -z "${BROKERKIT_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  exec env BROKERKIT_NETNS=1 unshare -n sh -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
BACKEND=pulsar
. .ci/lib.sh
src=$(go mod download -json "$mod" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
suite="$work/suite"
cp -r "$src" "$suite"
chmod -R u+w "$suite"
it="$suite/integration-tests"

# The standalone's settings (integration-tests/conf/standalone.conf): 1 MiB
# messages, TLS with the suite's certificates, anonymous role next to
# TLS/token/basic authentication, tokens signed with tokens/secret.key.
start_up --pulsar-max-message-size 1048576
cat "$work/up.json"

admin() { # method path [body]: the pulsar-admin calls of pulsar-test-service-start.sh
  local code
  code=$(curl -s -o "$work/admin.out" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "http://localhost:8080/admin/v2/$2")
  echo "$1 $2 -> $code $(head -c 200 "$work/admin.out")"
}
admin POST tenants/public '{"adminRoles":["anonymous"],"allowedClusters":["standalone"]}'
admin POST namespaces/public/default/permissions/anonymous '["produce","consume"]'
admin PUT tenants/private '{"adminRoles":[],"allowedClusters":["standalone"]}'
admin PUT namespaces/private/auth
admin POST namespaces/private/auth/permissions/token-principal '["produce","consume"]'

shards=${SUITE_SHARDS:-4}
timeout=${SUITE_TIMEOUT:-7m}
out="$work/results"
mkdir -p "$out"
run_pkg() { # package dir (relative to the suite), short name
  local dir="$suite/$1" name=$2
  (cd "$dir" && go test -c -o "$work/$name.test" . )
  (cd "$dir" && "$work/$name.test" -test.list '^Test' ) | grep '^Test' | sort >"$work/$name.list"
  local i
  for i in $(seq 0 $((shards - 1))); do
    local re
    re=$(awk -v n="$shards" -v i="$i" 'NR % n == i' "$work/$name.list" | paste -sd'|')
    [ -z "$re" ] && continue
    (cd "$dir" && go tool test2json -t -p "$name" "$work/$name.test" -test.v=test2json -test.count=1 \
      -test.timeout="$timeout" -test.run "^($re)\$" >"$out/$name.$i.json" 2>&1 || true) &
  done
}
t0=$(date +%s)
run_pkg pulsar pulsar
run_pkg pulsaradmin/pkg/admin admin
wait
echo "--- suite ran in $(( $(date +%s) - t0 ))s ($shards shards per package)"

/usr/bin/python3 - "$out" .ci/pulsar/expected-pass.txt "$work/pulsar.list" "$work/admin.list" <<'PY'
import glob, json, os, sys
out, expected_file, *lists = sys.argv[1:]
total = []
for l in lists:
    pkg = os.path.basename(l).split(".")[0]
    total += [pkg + "." + n.strip() for n in open(l) if n.strip()]
result = {}
for f in sorted(glob.glob(out + "/*.json")):
    for line in open(f, errors="replace"):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        t = ev.get("Test", "")
        if not t or "/" in t or ev.get("Action") not in ("pass", "fail", "skip"):
            continue
        result[ev["Package"] + "." + t] = ev["Action"]
expected = {l.strip() for l in open(expected_file) if l.strip() and not l.startswith("#")}
passed = {t for t, a in result.items() if a == "pass"}
failed = sorted(t for t in total if result.get(t) == "fail")
skipped = sorted(t for t in total if result.get(t) == "skip")
notrun = sorted(t for t in total if t not in result)
print(f"pulsar-client-go v0.19.0 suite: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped, {len(notrun)} not run (timeout) of {len(total)}")
for name, group in (("FAILED", failed), ("SKIPPED", skipped), ("NOT RUN", notrun)):
    for t in group:
        print(f"  {name:8} {t}")
new = sorted(passed - expected)
if new:
    print(f"{len(new)} tests pass that .ci/pulsar/expected-pass.txt does not list (add them once they pass twice):")
    for t in new:
        print("  NEW     ", t)
lost = sorted(expected - passed)
if lost:
    print(f"{len(lost)} tests on .ci/pulsar/expected-pass.txt did not pass:")
    for t in lost:
        print("  LOST    ", t, result.get(t, "not run"))
    sys.exit(1)
print(f"all {len(expected)} expected tests passed")
PY
stop_up

#!/usr/bin/env bash
# apache/pulsar-client-go v0.19.0's own integration suite (the pulsar and
# pulsaradmin/pkg/admin packages) against `brokerkit up --only pulsar`,
# prepared the way the suite's scripts/pulsar-test-service-start.sh prepares
# a standalone broker. The suite dials the well-known ports (6650/6651,
# 8080/8443), so it runs in a private network namespace when it can.
# Results are compared with .ci/pulsar/expected-pass.txt: a listed test that
# does not pass fails the leg; tests that pass but are not listed are
# printed so the list can grow. SUITE_SHARDS (default 4) test processes run
# side by side; SUITE_TIMEOUT (default 7m) caps the run; SUITE_REPORT
# names a file that keeps the report.
set -euo pipefail
cd "$(dirname "$0")/../.."
mod=github.com/apache/pulsar-client-go@v0.19.0
if [ -z "${BROKERKIT_NETNS:-}" ]; then # the network is needed for this part only
  command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
fi
BACKEND=pulsar
. .ci/gosuite.sh
it="$suite/integration-tests"

# The standalone's settings (integration-tests/conf/standalone.conf): 1 MiB
# messages, TLS with the suite's certificates, anonymous role next to
# TLS/token/basic authentication, tokens signed with tokens/secret.key,
# authorization with its superuser roles.
start_up --pulsar-max-message-size 1048576 --pulsar-advertised-host localhost \
  --pulsar-tls-cert "$it/certs/broker-cert.pem" --pulsar-tls-key "$it/certs/broker-key.pem" \
  --pulsar-tls-trust "$it/certs/cacert.pem" --pulsar-tls-auth \
  --pulsar-token-secret-key "$it/tokens/secret.key" --user admin:123456 --pulsar-anonymous-role anonymous \
  --pulsar-superuser localhost --pulsar-superuser superUser --pulsar-superuser admin
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

t0=$(date +%s)
(cd "$suite/pulsar" && go test -c -o "$work/pulsar.test" .)
(cd "$suite/pulsaradmin/pkg/admin" && go test -c -o "$work/admin.test" .)
status=0
/usr/bin/python3 .ci/gosuite.py "pulsar-client-go v0.19.0" .ci/pulsar/expected-pass.txt "${SUITE_SHARDS:-4}" "${SUITE_TIMEOUT:-7m}" \
  "pulsar:$suite/pulsar:$work/pulsar.test" "admin:$suite/pulsaradmin/pkg/admin:$work/admin.test" | tee "${SUITE_REPORT:-/dev/null}" || status=$?
echo "--- suite built and ran in $(( $(date +%s) - t0 ))s"
stop_up
exit $status

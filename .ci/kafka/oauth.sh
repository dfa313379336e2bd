#!/usr/bin/env bash
# SASL/OAUTHBEARER against `brokerkit up --kafka-oauth-client`: librdkafka
# (confluent-kafka-python) logs in with a token from the printed token
# endpoint, produces and reads back in a group; a forged token is refused.
# Debian's librdkafka is built without libcurl, so its own OIDC fetcher
# (sasl.oauthbearer.method=oidc) is missing; the client's oauth_cb runs the
# same client-credentials grant instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKEND=kafka
. .ci/lib.sh
install_missing $(dpkg -s python3-confluent-kafka >/dev/null 2>&1 || echo python3-confluent-kafka)
port=$(free_port)
start_up --kafka-port "$port" --kafka-oauth-client ci-app:ci-secret
token_url=$(/usr/bin/python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print([b for b in d["backends"] if b["name"]=="kafka"][0]["addresses"]["oauth-token"])' "$work/up.json")
echo "--- token endpoint $token_url"

/usr/bin/python3 - "127.0.0.1:$port" "$token_url" <<'PY'
import json, sys, time, urllib.parse, urllib.request, uuid
from confluent_kafka import Producer, Consumer, KafkaException
from confluent_kafka.admin import AdminClient
addr, token_url = sys.argv[1], sys.argv[2]
def fetch(_config):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "ci-app", "client_secret": "ci-secret"}).encode()
    body = json.load(urllib.request.urlopen(token_url, form, timeout=10))
    return body["access_token"], time.time() + body["expires_in"]
def conf(cb):
    return {"bootstrap.servers": addr, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER", "oauth_cb": cb}
topic = "oauth-" + uuid.uuid4().hex[:8]
p = Producer(conf(fetch))
p.produce(topic, b"via-oidc")
assert p.flush(15) == 0, "produce not delivered"
c = Consumer(dict(conf(fetch), **{"group.id": "oauth-ci", "auto.offset.reset": "earliest"}))
c.subscribe([topic])
msg = None
for _ in range(60):
    msg = c.poll(0.5)
    if msg is not None and msg.error() is None:
        break
assert msg is not None and msg.value() == b"via-oidc", msg
c.close()
print("ok   librdkafka OAUTHBEARER produce + group consume")
errors = []
# The client asks oauth_cb for its token on poll; errors arrive on poll too.
bad = Producer(dict(conf(lambda _c: ("forged.token.value", time.time() + 3600)), error_cb=errors.append))
deadline = time.time() + 15
while time.time() < deadline and not any("invalid_token" in e.str() for e in errors):
    bad.poll(0.2)
auth = [e.str() for e in errors if "invalid_token" in e.str()]
assert auth, ["FAIL no invalid_token refusal"] + [e.str() for e in errors]
print("ok   forged token refused:", auth[0][:120])
PY
stop_up

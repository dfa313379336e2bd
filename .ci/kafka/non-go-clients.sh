#!/usr/bin/env bash
# Non-Go Kafka clients against `brokerkit up`: Debian's kcat (librdkafka
# 2.0.2, which refuses SASL unless the broker advertises SaslHandshake v0)
# and kafka-python 2.0.2 (SaslHandshake v0 + raw tokens; Metadata v0-v3
# auto-create). Each produces and consumes with a consumer group, in
# plaintext and with SASL over TLS.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v kcat >/dev/null || need+=(kcat)
/usr/bin/python3 -c 'import kafka' 2>/dev/null || need+=(python3-kafka)
BACKEND=kafka
. .ci/lib.sh
install_missing "${need[@]}"

kcat_round() { # label topic group kcat-args...
  local label=$1 topic=$2 group=$3; shift 3
  printf 'a\nb\nc\n' | kcat "$@" -P -t "$topic"
  got=$(timeout 60 kcat "$@" -G "$group" -X auto.offset.reset=earliest -c 3 -q "$topic" -f '%s\n' | sort | tr '\n' ' ')
  check "kcat $label: produce + group consume" "a b c " "$got"
}

py_round() { # label topic group json-kwargs
  local got
  got=$(/usr/bin/python3 - "$2" "$3" "$4" <<'PY'
import json, sys
from kafka import KafkaProducer, KafkaConsumer
topic, group, kw = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
p = KafkaProducer(**kw)
for v in (b"x", b"y"):
    p.send(topic, v).get(timeout=30)
p.close()
c = KafkaConsumer(topic, group_id=group, auto_offset_reset="earliest", consumer_timeout_ms=20000, **kw)
vals = sorted(m.value.decode() for _, m in zip(range(2), c))
c.commit()
c.close()
print(" ".join(vals))
PY
)
  check "kafka-python $1: produce (auto-create) + group consume" "x y" "$got"
}

# 1. plaintext
port=$(free_port)
start_up --kafka-port "$port"
kcat_round plaintext plain-kcat g1 -b "127.0.0.1:$port"
py_round plaintext plain-py g2 "{\"bootstrap_servers\": \"127.0.0.1:$port\"}"
stop_up

# 2. SASL over TLS
port=$(free_port)
start_up --kafka-port "$port" --user alice:alice-secret --tls --data-dir "$work/data"
ca="$work/data/ca.pem"
for mech in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
  kcat_round "SASL_SSL $mech" "tls-kcat-$mech" "g-$mech" -b "127.0.0.1:$port" -X security.protocol=SASL_SSL \
    -X sasl.mechanisms=$mech -X sasl.username=alice -X sasl.password=alice-secret -X ssl.ca.location="$ca"
done
py_round "SASL_SSL PLAIN" tls-py g3 "{\"bootstrap_servers\": \"127.0.0.1:$port\", \"security_protocol\": \"SASL_SSL\", \"sasl_mechanism\": \"PLAIN\", \"sasl_plain_username\": \"alice\", \"sasl_plain_password\": \"alice-secret\", \"ssl_cafile\": \"$ca\"}"

# wrong password is refused, not hung
if timeout 30 kcat -b "127.0.0.1:$port" -X security.protocol=SASL_SSL -X sasl.mechanisms=PLAIN \
    -X sasl.username=alice -X sasl.password=wrong -X ssl.ca.location="$ca" -L -m 5 >/dev/null 2>&1; then
  echo "FAIL kcat with a wrong password listed metadata"; exit 1
fi
echo "ok   kcat SASL_SSL wrong password is refused"; passed=$((passed+1))
stop_up

echo "$passed passed, 0 failed"

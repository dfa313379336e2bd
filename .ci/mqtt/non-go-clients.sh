#!/usr/bin/env bash
# Non-Go MQTT clients against `brokerkit up --only mqtt`: Debian's
# mosquitto_pub / mosquitto_sub (libmosquitto 2.0.11) in MQTT 5 and 3.1.1,
# and python3-paho-mqtt 1.6.1 (3.1.1). Anonymous on the plain port; then
# with --user (right, wrong and missing password) on the plain port and
# over TLS (--tls, CA from the ca_file in --json output).
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
/usr/bin/python3 -c 'import paho.mqtt.client' 2>/dev/null || need+=(python3-paho-mqtt)
BACKEND=mqtt
. .ci/lib.sh
install_missing "${need[@]}"

# round LABEL TOPIC CLIENT-ARGS...: a retained message, then a live one.
# mosquitto_sub gets the retained one on subscribing, which shows it is
# subscribed before the live one is published (no sleeps).
round() {
  local label=$1 topic=$2; shift 2
  local out="$work/sub.out"
  : >"$out"
  mosquitto_pub "$@" -q 1 -r -t "$topic" -m retained
  timeout 30 mosquitto_sub "$@" -q 1 -C 2 -t "$topic" >"$out" &
  local sub=$!
  for _ in $(seq 300); do grep -q retained "$out" && break; sleep 0.1; done
  mosquitto_pub "$@" -q 1 -t "$topic" -m live
  wait "$sub" || true
  check "mosquitto_sub/pub $label: retained + live" "retained live" "$(tr '\n' ' ' <"$out" | sed 's/ $//')"
  mosquitto_pub "$@" -q 1 -r -t "$topic" -n # clear the retained message
}

refused() { # LABEL CLIENT-ARGS...: a publish must be refused at CONNECT
  local label=$1; shift
  if timeout 30 mosquitto_pub "$@" -q 1 -t refused -m x >"$work/err" 2>&1; then
    echo "FAIL $label: publish succeeded"; exit 1
  fi
  grep -qi 'not authori[sz]ed\|refused' "$work/err" || { echo "FAIL $label: unexpected error: $(cat "$work/err")"; exit 1; }
  echo "ok   $label: refused ($(head -n1 "$work/err"))"
  passed=$((passed+1))
}

py_round() { # LABEL PORT USER PASS CAFILE (empty for none)
  local got
  got=$(timeout 60 /usr/bin/python3 - "$2" "$3" "$4" "$5" <<'PY'
import sys, threading
import paho.mqtt.client as mqtt
port, user, pw, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
got, subscribed, done = [], threading.Event(), threading.Event()
def client(cid):
    c = mqtt.Client(client_id=cid)
    if user:
        c.username_pw_set(user, pw)
    if ca:
        c.tls_set(ca_certs=ca)
    return c
sub = client("py-sub")
sub.on_subscribe = lambda *a: subscribed.set()
def on_message(c, u, m):
    got.append(m.payload.decode())
    if len(got) == 2:
        done.set()
sub.on_message = on_message
sub.connect("127.0.0.1", port)
sub.subscribe("py/+/reading", qos=1)
sub.loop_start()
subscribed.wait(20)
pub = client("py-pub")
pub.connect("127.0.0.1", port)
pub.loop_start()
for t, v in (("py/a/reading", "1.5"), ("py/b/reading", "2.5")):
    pub.publish(t, v, qos=1).wait_for_publish()
done.wait(20)
pub.loop_stop(); pub.disconnect()
sub.loop_stop(); sub.disconnect()
print(" ".join(got))
PY
)
  check "python paho-mqtt $1: wildcard subscribe + publish" "1.5 2.5" "$got"
}

# 1. plaintext, anonymous
port=$(free_port)
start_up --mqtt-port "$port"
round "v5 anonymous" plain/v5 -h 127.0.0.1 -p "$port" -V mqttv5
round "v3.1.1 anonymous" plain/v311 -h 127.0.0.1 -p "$port" -V mqttv311
py_round anonymous "$port" "" "" ""
stop_up

# 2. users, plaintext and TLS
port=$(free_port)
tls_port=$(free_port)
start_up --mqtt-port "$port" --user alice:alice-secret --tls --mqtt-tls-port "$tls_port" --data-dir "$work/data"
ca=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_file"])' "$work/up.json")
auth=(-u alice -P alice-secret)
round "v5 user/password" auth/v5 -h 127.0.0.1 -p "$port" -V mqttv5 "${auth[@]}"
round "v3.1.1 user/password" auth/v311 -h 127.0.0.1 -p "$port" -V mqttv311 "${auth[@]}"
refused "mosquitto_pub v5 wrong password" -h 127.0.0.1 -p "$port" -V mqttv5 -u alice -P wrong
refused "mosquitto_pub v3.1.1 wrong password" -h 127.0.0.1 -p "$port" -V mqttv311 -u alice -P wrong
refused "mosquitto_pub anonymous on a broker with users" -h 127.0.0.1 -p "$port" -V mqttv5
round "v5 TLS user/password" tls/v5 -h 127.0.0.1 -p "$tls_port" -V mqttv5 --cafile "$ca" "${auth[@]}"
round "v3.1.1 TLS user/password" tls/v311 -h localhost -p "$tls_port" -V mqttv311 --cafile "$ca" "${auth[@]}"
py_round "TLS user/password" "$tls_port" alice alice-secret "$ca"
stop_up

echo "$passed passed, 0 failed"

#!/usr/bin/env bash
# legs.sh: the MQTT CI legs. Runs the MQTT conformance suites (RunStream and
# RunMQTT over paho.golang v5 and paho.mqtt.golang 3.1.1, and RunMQTT5, the
# MQTT 5 broker-behaviour scenarios over raw connections) with
# BROKERKIT_STRICT=1 against
#   1. Mosquitto in a container (brokerkit/mosquitto:local, built from
#      Debian's package by build-mosquitto-image.sh; no registry needed);
#   2. Debian's mosquitto as an external broker, anonymous;
#   3. the same with users and topic ACLs (the auth scenarios).
# Exits non-zero if any leg fails. Run from anywhere in the repository.
set -uo pipefail

cd "$(dirname "$0")/../.."
here=.ci/mqtt
GO_TEST=${GO_TEST:-go test -count=1 -race}
PORT=${MQTT_LEG_PORT:-18883}
failed=()
pid=

header() { printf '\n==== MQTT leg: %s ====\n' "$*"; }
stop() {
	if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fi
	pid=
}
trap stop EXIT

run() { # name, then env assignments
	local name=$1
	shift
	if ! env "$@" BROKERKIT_STRICT=1 $GO_TEST -run 'MQTT' ./conformance/; then
		failed+=("$name")
	fi
}

header "container (brokerkit/mosquitto:local)"
if bash "$here/build-mosquitto-image.sh"; then
	run container BROKERKIT_MQTT=container BROKERKIT_MQTT_IMAGE=brokerkit/mosquitto:local TESTCONTAINERS_RYUK_DISABLED=true
else
	failed+=("container (image build)")
fi

header "external mosquitto, anonymous"
if pid=$(bash "$here/start-mosquitto.sh" "$PORT"); then
	run external-anonymous BROKERKIT_MQTT=external BROKERKIT_MQTT_ADDR="127.0.0.1:$PORT"
else
	failed+=("external-anonymous (start)")
fi
stop

header "external mosquitto, users and ACLs"
# The conformance harness asks for brokerkit-limited (readwrite
# brokerkit-allowed/# only); admin is the full-access login. start-mosquitto.sh
# gives every user "readwrite #", so its acl_file is replaced and mosquitto
# told to reload it (SIGHUP).
dir=$(mktemp -d -t brokerkit-mqtt-leg.XXXXXX)
users="admin:admin-pw,brokerkit-limited:brokerkit-limited-pw:rw=brokerkit-allowed/#"
if pid=$(MOSQUITTO_DIR="$dir" bash "$here/start-mosquitto.sh" "$PORT" admin:admin-pw brokerkit-limited:brokerkit-limited-pw); then
	cat >"$dir/acl" <<'ACL'
user admin
topic readwrite #
topic readwrite $brokerkit/#

user brokerkit-limited
topic readwrite brokerkit-allowed/#
ACL
	kill -HUP "$pid"
	# The reload is done once a publish outside brokerkit-allowed/ is
	# refused (PUBACK reason code 135, not authorized).
	reloaded=
	for _ in $(seq 1 50); do
		if mosquitto_pub -h 127.0.0.1 -p "$PORT" -u brokerkit-limited -P brokerkit-limited-pw -V mqttv5 -q 1 \
			-t brokerkit-denied/probe -m probe -d 2>&1 | grep -q 'RC:135'; then
			reloaded=1
			break
		fi
		sleep 0.1
	done
	[[ -n "$reloaded" ]] || echo "legs.sh: mosquitto did not apply the new acl_file" >&2
	run external-users BROKERKIT_MQTT=external BROKERKIT_MQTT_ADDR="127.0.0.1:$PORT" BROKERKIT_MQTT_USERS="$users"
else
	failed+=("external-users (start)")
fi
stop
rm -rf "$dir"

echo
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "MQTT legs FAILED: ${failed[*]}"
	exit 1
fi
echo "MQTT legs passed: container, external-anonymous, external-users"

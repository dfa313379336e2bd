#!/usr/bin/env bash
# build-mosquitto-image.sh [TAG]
#
# Builds a local Docker image (default brokerkit/mosquitto:local) holding
# Debian bookworm's mosquitto, without pulling anything from a container
# registry: debootstrap a minbase root file system from the Debian mirror apt
# already uses, then `docker import` it. The image runs
# `mosquitto -c /mosquitto/config/mosquitto.conf`, like eclipse-mosquitto, so
# the same mounted config works for both. Idempotent: an existing tag is kept
# (set FORCE=1 to rebuild).
#
# Environment: MIRROR overrides the Debian mirror URL, SUITE the suite
# (bookworm).
set -euo pipefail

TAG=${1:-brokerkit/mosquitto:local}
SUITE=${SUITE:-bookworm}
start=$(date +%s)

log() { printf '%s build-mosquitto-image: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ "${FORCE:-0}" != 1 ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
	log "image $TAG already exists; skipping (FORCE=1 rebuilds)"
	exit 0
fi

SUDO=
if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi

if ! command -v debootstrap >/dev/null 2>&1 && [[ ! -x /usr/sbin/debootstrap ]]; then
	log "installing debootstrap"
	$SUDO apt-get update
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap
fi
DEBOOTSTRAP=$(command -v debootstrap || echo /usr/sbin/debootstrap)

# The mirror this machine's apt uses: deb822 "URIs:" lines first, then
# one-line "deb URL suite" entries; security and third-party repositories are
# skipped.
find_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r "$f" ]] || continue
		awk '
			/^[[:space:]]*#/ { next }
			/^URIs:/ { for (i = 2; i <= NF; i++) print $i }
			/^deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
		' "$f"
	done | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1
}
MIRROR=${MIRROR:-$(find_mirror || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
log "mirror $MIRROR, suite $SUITE, tag $TAG"

work=$(mktemp -d)
cleanup() { $SUDO rm -rf "$work"; }
trap cleanup EXIT
root="$work/rootfs"

log "debootstrap --variant=minbase --include=mosquitto"
$SUDO "$DEBOOTSTRAP" --variant=minbase --include=mosquitto "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
	tail -n 40 "$work/debootstrap.log" >&2
	exit 1
}

# Same layout as eclipse-mosquitto: config, data and log under /mosquitto.
$SUDO mkdir -p "$root/mosquitto/config" "$root/mosquitto/data" "$root/mosquitto/log"
$SUDO tee "$root/mosquitto/config/mosquitto.conf" >/dev/null <<'CONF'
# brokerkit default: one plain listener, anonymous clients, no persistence,
# burst limits raised so fast publishers are not silently dropped (the
# defaults are max_queued_messages 1000, max_inflight_messages 20).
listener 1883
allow_anonymous true
persistence false
max_queued_messages 1000000
max_inflight_messages 0
# stderr, not stdout: stdout is block-buffered without a TTY, so "docker
# logs" (and log-based readiness waits) would see nothing for a long time.
log_dest stderr
CONF
$SUDO chroot "$root" chown -R mosquitto:mosquitto /mosquitto/data /mosquitto/log

# Trim what a broker image never needs.
$SUDO rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
	"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*

log "docker import"
$SUDO tar -C "$root" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
	docker import \
		--change 'CMD ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]' \
		--change 'EXPOSE 1883' \
		--change 'WORKDIR /mosquitto' \
		--message "brokerkit: Debian $SUITE mosquitto via debootstrap" \
		- "$TAG" >/dev/null

version=$(docker run --rm --entrypoint /usr/bin/dpkg-query "$TAG" -W -f '${Version}' mosquitto 2>/dev/null || echo '?')
log "built $TAG (mosquitto $version) in $(($(date +%s) - start)) s"

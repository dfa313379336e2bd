# Shared by the legs that run an upstream Go client's own suite
# (.ci/gosuite.py) against `brokerkit up`. Source it from the repository
# root with mod (module@version) and BACKEND set: with the network it
# downloads the module and its dependencies, then re-runs the calling script
# in a private network namespace when it can (the suites dial well-known
# ports), sources .ci/lib.sh and leaves a writable copy of the module in
# $suite.
mod_dir() { go mod download -json "$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }
if [ -z "${BROKERKIT_NETNS:-}" ]; then # the network is needed for this part only
  (cd "$(mod_dir "$mod")" && go mod download)
  go mod download # brokerkit's own modules: the build below runs without network
fi
if [ -z "${BROKERKIT_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  exec env BROKERKIT_NETNS=1 unshare -n sh -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
. .ci/lib.sh
suite="$work/suite"
cp -r "$(mod_dir "$mod")" "$suite"
chmod -R u+w "$suite"

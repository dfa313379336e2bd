# Shared by the CI scripts that drive `brokerkit up` with outside clients.
# Source it from the repository root with BACKEND set to the --only value:
# it builds brokerkit into a temporary directory (removed on exit) and
# defines install_missing, free_port, start_up, stop_up and check ($passed
# counts the checks).

install_missing() { # apt packages, installed only when some are given
  [ $# -eq 0 ] && return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
}

work=$(mktemp -d)
bin="$work/brokerkit"
go build -o "$bin" ./cmd/brokerkit
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_up() { # more flags for brokerkit up; connection details land in $work/up.json
  "$bin" up --only "$BACKEND" --json "$@" >"$work/up.json" 2>"$work/up.err" &
  pid=$!
  for _ in $(seq 100); do [ -s "$work/up.json" ] && return 0; sleep 0.1; done
  echo "brokerkit up did not start:"; cat "$work/up.err"; exit 1
}
stop_up() { kill "$pid"; wait "$pid" || { echo "brokerkit up exited non-zero"; exit 1; }; pid=""; }

passed=0
check() { # name expected actual
  if [ "$2" != "$3" ]; then echo "FAIL $1: want [$2] got [$3]"; exit 1; fi
  echo "ok   $1"
  passed=$((passed+1))
}

#!/usr/bin/env bash
# fuzz.sh FUZZTIME JOBS: every Fuzz target in the module for FUZZTIME, JOBS
# targets at a time (one fuzz worker each). Every target runs; a failing one
# prints its output and the crasher file that reproduces it, and the script
# fails at the end. Used by `make fuzz`.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-3s}
jobs=${2:-2}
GO=${GO:-go}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

one() { # dir target logs fuzztime
  local dir=$1 f=$2 log="$3/$(echo "$1-$2" | tr '/.' '__').log"
  # A short run that ends while the engine minimizes a new input fails with
  # "context deadline exceeded" (a flake seen on FuzzReadFrame and
  # FuzzPacketReader); bounding minimization keeps it inside the run.
  if ${GO:-go} test -run '^$' -fuzz "^$f\$" -fuzztime "$4" -fuzzminimizetime "${FUZZMINIMIZETIME:-500ms}" -parallel 1 "$dir" >"$log" 2>&1; then
    echo "ok   fuzz $dir $f ($4)"
    rm -f "$log"
  else
    echo "FAIL fuzz $dir $f"
    sed 's/^/    /' "$log"
    crash=$(sed -n -e 's/.*\(testdata\/fuzz\/[^ ]*\).*/\1/p' \
      -e 's/.*seed corpus entry: \([^ ]*\).*/testdata\/fuzz\/\1/p' "$log" | head -1)
    [ -n "$crash" ] && echo "    crasher: $dir/$crash (rerun: go test -run '$f/' $dir)"
    return 1
  fi
}
export -f one
export GO FUZZMINIMIZETIME

grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
  grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/' | while read -r f; do
    echo "$dir $f"
  done
done | xargs -P "$jobs" -L 1 bash -c 'one "$0" "$1" "'"$logs"'" "'"$fuzztime"'"'
rc=$?
if [ $rc -ne 0 ]; then echo "fuzz targets FAILED (see above)"; exit 1; fi

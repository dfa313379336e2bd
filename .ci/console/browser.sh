#!/usr/bin/env bash
# The web console in a real browser: Debian's chromium, driven headless by the
# console package's browser tests (chromedp). BROKERKIT_STRICT=1 makes a
# missing chromium a failure, not a skip. Screenshots go to
# $BROKERKIT_SCREENSHOTS (default .ci-artifacts/console) for CI to keep.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends chromium >/dev/null
fi
chromium --version

export BROKERKIT_SCREENSHOTS="${BROKERKIT_SCREENSHOTS:-$PWD/.ci-artifacts/console}"
mkdir -p "$BROKERKIT_SCREENSHOTS"
set +e
BROKERKIT_BROWSER=1 BROKERKIT_STRICT=1 go test -race -count=1 -run '^TestBrowser' -v ./console/ 2>&1 |
  grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test\.go:'
status=${PIPESTATUS[0]}
set -e
ls -l "$BROKERKIT_SCREENSHOTS"
exit "$status"

#!/usr/bin/env bash
# Nothing a test creates may outlive it (issue 9.8): run the packages that
# drive nacos-sdk-go (which keeps writing after CloseClient) with a private
# TMPDIR and fail if anything but the SDK's shared, reused log folders is left.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TMPDIR=$tmp go test -count=1 ./fakes/nacosfake/... ./clients/nacosclient/ ./fixtures/nacostest/ ./examples/nacosconfig/
TMPDIR=$tmp go test -count=1 -run Nacos ./conformance/
left=$(cd "$tmp" && ls -A | grep -Ev '^(brokerkit-nacos-sdk-.*|nacos-example-logs|go-build.*)$' || true)
if [ -n "$left" ]; then
  echo "tests left these in TMPDIR:"; echo "$left"; exit 1
fi
echo "temp folders: nothing left behind"

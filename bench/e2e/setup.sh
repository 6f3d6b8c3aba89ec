#!/usr/bin/env bash
# Prepares Brook's end-to-end benchmark (bench/e2e/run.ts). Idempotent; everything it writes lives
# under bench/results/ (git-ignored):
#   bench/results/vendor/shared-bench/   a copy of ../shared/bench (its C sources, scripts; may be
#                                        read-only where it is laid out), with mock/build/ built:
#                                        mockcluster, rdkafka_performance (librdkafka's mock + perf tool)
#   bench/results/payload/msgs-<n>x<size>.txt   1,000,000 x 100 B and 1,000,000 x 1,000 B lines
#                                        (cpu/payload.js; input for kcat -P -l), plus 100,000-line
#                                        warm-up files
# usage: bench/e2e/setup.sh [--shared DIR]     (default DIR: /work/shared/bench)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=/work/shared/bench
if [ "${1:-}" = "--shared" ]; then SHARED=$2; fi
RESULTS="$ROOT/bench/results"
VENDOR="$RESULTS/vendor/shared-bench"
PAYLOAD="$RESULTS/payload"

need() { command -v "$1" > /dev/null 2>&1; }
if ! need kcat || ! need cc || [ ! -f /usr/include/librdkafka/rdkafka_mock.h ]; then
  echo "# installing kcat librdkafka-dev build-essential (as root)"
  apt-get install -y kcat librdkafka-dev build-essential || { apt-get update && apt-get install -y kcat librdkafka-dev build-essential; }
fi

mkdir -p "$VENDOR" "$PAYLOAD"
# Copy only what the benchmark uses; never the shared results or node_modules.
for part in README.md LIMITS.md package.json cpu disk lib mock net; do
  rm -rf "${VENDOR:?}/$part"
  cp -r "$SHARED/$part" "$VENDOR/$part"
done
chmod -R u+w "$VENDOR"
rm -rf "$VENDOR/mock/build"
"$VENDOR/mock/build.sh"

make_payload() { # n size
  local f="$PAYLOAD/msgs-$1x$2.txt"
  if [ ! -s "$f" ] || [ "$(wc -l < "$f")" -ne "$1" ]; then
    node "$VENDOR/cpu/payload.js" "$1" "$2" > "$f.tmp" && mv "$f.tmp" "$f"
  fi
  echo "payload: $f ($(wc -l < "$f") lines, $(stat -c %s "$f") bytes)"
}
make_payload 1000000 100
make_payload 1000000 1000
make_payload 100000 100
make_payload 100000 1000
echo "setup done: vendor $VENDOR, payload $PAYLOAD"

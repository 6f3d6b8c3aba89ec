#!/usr/bin/env bash
# Builds a current librdkafka for the interop tests that need what Debian's librdkafka 2.0.2 lacks:
# reading Produce v8's RecordErrors (KIP-467, librdkafka 2.4), so that a batch refused for some of
# its records fails those with INVALID_RECORD and the others with _INVALID_DIFFERENT_RECORD.
# Debian's python3-confluent-kafka runs on it through LD_LIBRARY_PATH (librdkafka keeps its ABI
# within soname 1). The source is the librdkafka node-rdkafka ships on npm (pinned, with its
# integrity, in this folder's package-lock.json); only the C library is built, without TLS, SASL
# or HTTP, which these tests do not use, and with its bundled LZ4, so that it needs nothing beyond
# gcc, make and libc6-dev (zlib and zstd are used when their -dev packages are there). Called by
# tools/test-prerequisites.sh; prints the library's folder. Built once, kept in .cache/ (about
# 40 s with two cores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=2.12.0
out="$here/../../.cache/librdkafka-$version"
if [ -f "$out/librdkafka.so.1" ]; then
  echo "$out"
  exit 0
fi
cd "$here"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
source_dir="$here/node_modules/node-rdkafka/deps/librdkafka"
grep -q "RD_KAFKA_VERSION  *0x020c00ff" "$source_dir/src/rdkafka.h" ||
  { echo "build.sh: $source_dir is not librdkafka $version" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$source_dir/." "$work"
(
  cd "$work"
  ./configure --no-download --disable-ssl --disable-gssapi --disable-curl --disable-lz4-ext --disable-debug-symbols
  make -j"$(nproc)" -C src librdkafka.so.1
) >"$work.log" 2>&1 || { cat "$work.log" >&2; rm -f "$work.log"; exit 1; }
rm -f "$work.log"
mkdir -p "$out.tmp"
cp "$work/src/librdkafka.so.1" "$out.tmp/"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"

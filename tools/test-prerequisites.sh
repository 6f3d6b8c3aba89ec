#!/usr/bin/env bash
# What `npm test` needs beyond npm's packages, checked first thing by `npm test` (and by .ci/run
# before `npm ci`). The one list of the Debian packages the project needs:
#   - g++, make, python3: node-gyp builds the native modules `npm ci` installs (sse4_crc32, and
#     zstd-napi where its prebuilt binary cannot be downloaded);
#   - the clients the interop tests drive: kcat, confluent-kafka and kafka-python for Python (with
#     python3-avro and python3-requests, python3-protobuf and python3-jsonschema for the Protobuf and
#     JSON Schema serdes), sarama
#     (Go, built with cgo from Debian's sources), and a
#     small C program against librdkafka (librdkafka-dev, gcc, libc6-dev);
#   - etcd-server, etcd-client: a local etcd for the cluster tests;
#   - curl: the README's REST Proxy commands, run as written by test/interop/rest-proxy.test.ts.
# Installed packages are looked up with dpkg-query; when some are missing they are installed with
# apt-get, as root or through passwordless sudo; otherwise the script names them, prints the
# apt-get command and fails. Nothing is missing: nothing is done (no apt-get, no network).
# Then, unless --packages-only (what .ci/run uses before `npm ci`), it checks that `npm ci` ran and
# builds a current librdkafka for the tests that need it (tools/librdkafka-current/build.sh).
# BROOK_SKIP_PACKAGE_CHECK=1 skips the package check (a machine without dpkg whose equivalents are
# installed by hand).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ make python3
  kcat python3-confluent-kafka python3-kafka python3-avro python3-requests python3-protobuf python3-jsonschema
  librdkafka-dev gcc libc6-dev golang-go golang-github-shopify-sarama-dev
  etcd-server etcd-client
  curl
)

if [ "${BROOK_SKIP_PACKAGE_CHECK:-}" != 1 ]; then
  if ! command -v dpkg-query >/dev/null; then
    echo "test-prerequisites: no dpkg-query, so this is not Debian: install the equivalents of these" >&2
    echo "Debian packages, then run again with BROOK_SKIP_PACKAGE_CHECK=1: ${PACKAGES[*]}" >&2
    exit 1
  fi
  missing=()
  for package in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)"
    [ "$status" = installed ] || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    install="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
      sudo=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    else
      echo "test-prerequisites: missing Debian packages: ${missing[*]}" >&2
      echo "Install them as root, then run npm test again:" >&2
      echo "  sudo sh -c '$install'" >&2
      exit 1
    fi
    echo "test-prerequisites: installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

if [ "${1:-}" != --packages-only ] && [ ! -d node_modules/typescript ]; then
  echo "test-prerequisites: node_modules is missing or incomplete: run \`npm ci\` first (the README's first command)" >&2
  exit 1
fi

# A current librdkafka (built once from npm's source, kept in .cache/) for the interop tests that
# need more than Debian's 2.0.2: tools/librdkafka-current/build.sh says why and how.
if [ "${1:-}" != --packages-only ]; then
  bash tools/librdkafka-current/build.sh >/dev/null
fi

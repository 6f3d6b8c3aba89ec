#!/usr/bin/env bash
# Manual check, not part of `npm test`: do the README's commands work on a fresh Debian 12 that
# has only Node.js and git? Builds a bookworm chroot with debootstrap, copies this machine's node
# and npm into it, installs git, clones the committed HEAD of this repository's current branch,
# and runs as root, with a minimal environment:
#   apt-get install -y g++ make python3   (what the README says `npm ci` needs)
#   npm ci && npm start   (in the background until its `brook ready` line, checked by ApiVersions)
#   npm test              (which installs the Debian packages the tests need, then runs them all)
# Needs root on a Debian or Ubuntu host (debootstrap, chroot, mounts). The chroot shares the host's
# network: ports 9092, 8081 and 8080 must be free for `npm start`.
#
# usage: sudo tools/fresh-debian-check.sh [ROOT_DIR]   (default /var/tmp/brook-fresh-debian/root)
# An existing ROOT_DIR is reused (quicker, but no longer fresh: its packages are installed); for a
# fresh run give a new directory, or delete the old one once `findmnt | grep ROOT_DIR` shows
# nothing mounted in it. The output also goes to ROOT_DIR.log.
#
# Sandboxes whose egress goes through an intercepting proxy: set CHECK_CA_FILE to its CA bundle
# (it becomes NODE_EXTRA_CA_CERTS inside). Where nodejs.org is unreachable, set CHECK_NODEDIR=1:
# node's headers are copied and npm_config_nodedir points at them (node-gyp otherwise downloads
# them for the native modules npm ci builds).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(realpath -m "${1:-/var/tmp/brook-fresh-debian/root}")"
BRANCH="$(git -C "$REPO" rev-parse --abbrev-ref HEAD)"
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, chroot and mount need it)" >&2; exit 1; }
if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
  echo "something is still mounted under $ROOT (an interrupted run?): unmount it first" >&2
  exit 1
fi
mkdir -p "$(dirname "$ROOT")"
exec > >(tee -a "$ROOT.log") 2>&1

command -v debootstrap >/dev/null || apt-get install -y debootstrap
[ -x "$ROOT/bin/bash" ] || debootstrap bookworm "$ROOT" http://deb.debian.org/debian

# Node and npm as this machine has them, laid out as the nodejs.org tarball would be in /usr/local.
NODE="$(readlink -f "$(command -v node)")"
NPM_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
mkdir -p "$ROOT/usr/local/bin" "$ROOT/usr/local/lib/node_modules" "$ROOT/usr/local/include"
cp "$NODE" "$ROOT/usr/local/bin/node"
rm -rf "$ROOT/usr/local/lib/node_modules/npm"
cp -r "$NPM_DIR" "$ROOT/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
EXTRA_ENV=()
if [ -n "${CHECK_CA_FILE:-}" ]; then
  cp "$CHECK_CA_FILE" "$ROOT/etc/check-extra-ca.crt"
  EXTRA_ENV+=(NODE_EXTRA_CA_CERTS=/etc/check-extra-ca.crt)
fi
if [ -n "${CHECK_NODEDIR:-}" ]; then
  HEADERS="$(dirname "$(dirname "$NODE")")/include/node"
  rm -rf "$ROOT/usr/local/include/node"
  cp -r "$HEADERS" "$ROOT/usr/local/include/node"
  EXTRA_ENV+=(npm_config_nodedir=/usr/local)
fi

# The committed branch, as a bare repository the chroot can clone from.
rm -rf "$ROOT/srv/brook.git" "$ROOT/root/brook"
git clone --quiet --bare --single-branch --branch "$BRANCH" "$REPO" "$ROOT/srv/brook.git"

MOUNTS=(proc dev dev/pts sys)
cleanup() {
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "$ROOT/${MOUNTS[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t sysfs sysfs "$ROOT/sys"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"

in_chroot() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${EXTRA_ENV[@]}" /bin/bash -c "$1"
}

in_chroot 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends git >/dev/null'
in_chroot "cd /root && git clone --quiet --branch $BRANCH /srv/brook.git brook && git -C brook log --oneline -1"
in_chroot 'node --version && npm --version && dpkg-query -W -f="\${binary:Package}\n" | wc -l'

# What the README says `npm ci` needs, then its first command, stopped once it is ready.
in_chroot 'set -euo pipefail
cd /root/brook
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ make python3 >/dev/null
npm ci
setsid npm start > /tmp/start.log 2>&1 &
START_PID=$!
for i in $(seq 1 300); do
  grep -q "^brook ready" /tmp/start.log || ! kill -0 $START_PID 2>/dev/null && break
  sleep 1
done
grep "^brook ready" /tmp/start.log || { cat /tmp/start.log; exit 1; }
node -e "
const s = require(\"net\").connect(9092, \"localhost\", () => {
  const id = Buffer.from(\"check\");
  const body = Buffer.alloc(10 + id.length);
  body.writeInt16BE(18, 0); body.writeInt16BE(0, 2); body.writeInt32BE(1, 4);
  body.writeInt16BE(id.length, 8); id.copy(body, 10);
  const size = Buffer.alloc(4); size.writeInt32BE(body.length);
  s.write(Buffer.concat([size, body]));
});
s.once(\"data\", (d) => {
  const apis = d.readInt32BE(10);
  console.log(\"ApiVersions: error \" + d.readInt16BE(8) + \", \" + apis + \" APIs\");
  process.exit(d.readInt16BE(8) === 0 && apis > 10 ? 0 : 1);
});
"
kill -TERM -- -$START_PID
wait $START_PID || true
tail -3 /tmp/start.log'

# The README's test command.
START=$(date +%s)
in_chroot 'cd /root/brook && npm test 2>&1 | tee /tmp/test.log; exit ${PIPESTATUS[0]}' && STATUS=0 || STATUS=$?
echo "npm test exited with $STATUS after $(($(date +%s) - START)) s"
in_chroot 'grep -E "^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)" /tmp/test.log || true'
exit "$STATUS"

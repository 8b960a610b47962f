#!/usr/bin/env bash
# Makes a Debian/Ubuntu machine ready to run git-annex-xmpp's demo, benchmarks
# and (with --test) its test suite: installs the neighbours it drives from
# apt, then the npm dependencies if node_modules is missing.
#
#   bash scripts/setup.sh            demo and benchmarks
#   bash scripts/setup.sh --test     also what the integration tests need
#   bash scripts/setup.sh --no-npm   apt packages only (.ci/run runs npm ci itself)
#
# apt runs only when a package is missing, through sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=""
with_npm=1
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=1 ;;
    --no-npm) with_npm="" ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

# What the demo, the benchmarks and the tests need from Debian:
#   git, git-annex      real repositories (test/support/annex.ts)
#   prosody             a private server per run (test/support/prosody.ts)
#   openssl             private CA and server certificate (test/support/certs.ts)
#   ca-certificates     system CA bundle (the "untrusted CA" harness test)
# and the tests only:
#   python3-slixmpp     second client, run with /usr/bin/python3 (test/support/slixmpp.ts)
#   iproute2            ss, to check the servers listen on loopback only
#   ejabberd            a second server, private per run (test/support/ejabberd.ts)
#   procps              pgrep, to find a system ejabberd that the install started
#   openssh-server      a private sshd on a loopback port: hubs reached over ssh
#   openssh-client      ssh and ssh-keygen for those hubs
#   systemd, cron       `service install` (systemd-analyze verify; crontab)
PACKAGES=(git git-annex prosody openssl ca-certificates)
if [ -n "$with_tests" ]; then PACKAGES+=(python3-slixmpp iproute2 ejabberd procps openssh-server openssh-client systemd cron); fi

missing_packages() {
  if command -v dpkg-query >/dev/null 2>&1; then
    local package
    for package in "${PACKAGES[@]}"; do
      [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" = installed ] || echo "$package"
    done
    return
  fi
  # No dpkg (not Debian): look for the programs themselves.
  command -v git >/dev/null 2>&1 || echo git
  command -v git-annex >/dev/null 2>&1 || echo git-annex
  command -v prosodyctl >/dev/null 2>&1 || echo prosody
  command -v openssl >/dev/null 2>&1 || echo openssl
  if [ -n "$with_tests" ]; then
    /usr/bin/python3 -c 'import slixmpp' >/dev/null 2>&1 || echo python3-slixmpp
    command -v ss >/dev/null 2>&1 || echo iproute2
    command -v ejabberdctl >/dev/null 2>&1 || echo ejabberd
    command -v pgrep >/dev/null 2>&1 || echo procps
    [ -x /usr/sbin/sshd ] || echo openssh-server
    command -v ssh-keygen >/dev/null 2>&1 || echo openssh-client
    command -v systemd-analyze >/dev/null 2>&1 || echo systemd
    command -v crontab >/dev/null 2>&1 || echo cron
  fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "setup.sh: need root to run: $*" >&2
    echo "hint: install sudo, or run this script as root" >&2
    exit 1
  fi
}

# Debian's ejabberd runs its VM as the ejabberd user; the tests' own run as
# the caller. Empty when pgrep or the user is missing.
system_ejabberd_pids() {
  pgrep -u ejabberd beam.smp 2>/dev/null || true
}

# A machine that has them all skips apt, so a slow or unreachable mirror
# does not fail an otherwise ready machine.
missing=$(missing_packages | tr '\n' ' ')
if [ -n "$missing" ]; then
  echo "setup.sh: installing from apt: ${PACKAGES[*]} (missing: ${missing% })"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: apt-get not found; install these by hand: ${missing% }" >&2
    exit 1
  fi
  # Debian's prosody and ejabberd packages start a system-wide server on
  # install (port 5222 and more, Debian's configs with rate limits). The demo
  # and the tests start their own, so forbid service starts during the install with a
  # policy-rc.d (exit 101 = "not allowed", see invoke-rc.d(8)), unless the
  # machine already has one; ours is removed again whatever happens.
  added_policy=""
  remove_policy() {
    if [ -n "$added_policy" ]; then as_root rm -f /usr/sbin/policy-rc.d; fi
  }
  trap remove_policy EXIT
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  ejabberd_before=$(system_ejabberd_pids)
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
  remove_policy
  added_policy=""
  trap - EXIT
  # A machine whose own policy-rc.d allows starts (or a real init that
  # ignores it) may still have started Debian's ejabberd, an Erlang VM that
  # keeps 5222 and the global epmd busy for nothing: stop the one this
  # install started, never one that was already running.
  if [ -n "$with_tests" ] && [ -z "$ejabberd_before" ] && [ -n "$(system_ejabberd_pids)" ]; then
    echo "setup.sh: stopping the system ejabberd the install started (the tests run their own)"
    as_root service ejabberd stop >/dev/null 2>&1 || as_root ejabberdctl stop >/dev/null 2>&1 || true
  fi
fi

if [ -n "$with_npm" ]; then
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "setup.sh: Node.js >= 20.19 with npm is needed (https://nodejs.org/en/download)" >&2
    exit 1
  fi
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    echo "setup.sh: Node.js $(node --version) is too old; git-annex-xmpp needs >= 20.19" >&2
    exit 1
  fi
  if [ ! -d node_modules ]; then
    if [ -f package-lock.json ]; then npm ci; else npm install; fi
  fi
fi

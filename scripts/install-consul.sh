#!/usr/bin/env bash
# Install the Consul binary the test suite, CI and the demo run against.
#
# Prints the path of a usable `consul` binary on stdout. In order:
#   1. $CONSUL_BIN, if set (it must be executable);
#   2. a `consul` already on PATH;
#   3. .consul/bin/consul in this checkout, installed earlier by this script;
#   4. otherwise Debian bullseye's `consul` package (Consul 1.8.7), fetched
#      with apt from the Debian mirror this machine's own apt configuration
#      names, verified against the Debian archive keyring, and unpacked with
#      `dpkg -x` into .consul/. The system's apt state is not touched: a
#      private sources list, state and cache directory are used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest="${CONSUL_INSTALL_DIR:-$here/.consul}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

if [ -n "${CONSUL_BIN:-}" ]; then
  [ -x "$CONSUL_BIN" ] || { echo "install-consul: CONSUL_BIN=$CONSUL_BIN is not executable" >&2; exit 1; }
  echo "$CONSUL_BIN"; exit 0
fi
if command -v consul >/dev/null 2>&1; then command -v consul; exit 0; fi
if [ -x "$dest/bin/consul" ]; then echo "$dest/bin/consul"; exit 0; fi

# The first Debian archive URI the machine's apt sources name (deb822 *.sources
# files first, then one-line *.list files); security and update suites are
# served from the same archive root, so any plain debian URI will do.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk 'tolower($1)=="uris:" {for (i=2;i<=NF;i++) print $i}' "$f" \
           | grep -E '/debian/?$' | head -n 1 || true)
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
           | awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' \
           | grep -E '/debian/?$' | head -n 1 || true)
fi
[ -n "$mirror" ] || { echo "install-consul: no Debian mirror found in /etc/apt sources; set CONSUL_BIN" >&2; exit 1; }
[ -r "$keyring" ] || { echo "install-consul: $keyring missing (apt-get install debian-archive-keyring); or set CONSUL_BIN" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/state/lists/partial" "$work/cache/archives/partial" "$work/etc/preferences.d" "$work/etc/apt.conf.d"
touch "$work/status"
echo "deb [signed-by=$keyring] ${mirror%/} bullseye main" > "$work/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list"
  -o "Dir::Etc::SourceParts=$work/etc/apt.conf.d"
  -o "Dir::Etc::Preferences=$work/etc/preferences"
  -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
  -o "Dir::State=$work/state"
  -o "Dir::State::status=$work/status"
  -o "Dir::Cache=$work/cache"
  -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
  -q
)
echo "install-consul: fetching Debian bullseye's consul package with apt" >&2
apt-get "${apt_opts[@]}" update >&2
(cd "$work" && apt-get "${apt_opts[@]}" download consul >&2)
deb=$(ls "$work"/consul_*.deb)
dpkg -x "$deb" "$work/root"
mkdir -p "$dest/bin"
install -m 0755 "$work/root/usr/bin/consul" "$dest/bin/consul"
echo "install-consul: installed $("$dest/bin/consul" version | head -n 1) at $dest/bin/consul" >&2
echo "$dest/bin/consul"

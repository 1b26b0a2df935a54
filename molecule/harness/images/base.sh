#!/usr/bin/env bash
# Debootstrap a minimal Debian root filesystem and write it as a tar stream on stdout.
# Usage: base.sh SUITE   (bookworm, trixie); apt traffic goes through the host's apt cache.
set -euo pipefail
suite="$1"
port="${APT_CACHE_PORT:-3142}"
root="$(mktemp -d /var/tmp/pdezzy-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
mirror="http://deb.debian.org/debian"
if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
  mirror="http://127.0.0.1:$port/deb.debian.org/debian"
fi
debootstrap --variant=minbase --include=python3,ca-certificates "$suite" "$root" "$mirror" >&2
# As the release's own images write them: Debian 13 in deb822 form (debian.sources), 12 one-line.
if [ "$suite" = bookworm ]; then
  cat >"$root/etc/apt/sources.list" <<SRC
deb http://deb.debian.org/debian $suite main
deb http://deb.debian.org/debian $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SRC
else
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
# Containers use the host's apt cache when it answers on their default gateway.
cat >"$root/usr/local/bin/apt-proxy-detect" <<'DETECT'
#!/bin/bash
gw=$(awk '$2 == "00000000" { h=$3; printf "%d.%d.%d.%d", "0x" substr(h,7,2), "0x" substr(h,5,2), "0x" substr(h,3,2), "0x" substr(h,1,2); exit }' /proc/net/route)
if [ -n "$gw" ] && timeout 1 bash -c "exec 3<>/dev/tcp/$gw/3142" 2>/dev/null; then
  echo "http://$gw:3142"
else
  echo DIRECT
fi
DETECT
chmod 0755 "$root/usr/local/bin/apt-proxy-detect"
echo 'Acquire::http::Proxy-Auto-Detect "/usr/local/bin/apt-proxy-detect";' \
  >"$root/etc/apt/apt.conf.d/01pdezzy-harness-proxy"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
tar -C "$root" --numeric-owner -c .

#!/usr/bin/env bash
# shellcheck shell=bash
# Harness services: the Docker engine, the apt cache, the registry of image stand-ins and
# pebble (ACME). Sourced by scripts/harness.

docker_ok() { timeout 5 docker info >/dev/null 2>&1; }

cmd_engine() {
  if docker_ok; then return 0; fi
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io iptables
  command -v docker >/dev/null 2>&1 || apt_install docker.io
  if ! docker_ok; then
    if [ -S /var/run/docker.sock ] && pgrep -x dockerd >/dev/null; then
      log "engine: a dockerd is running but not answering yet; waiting for it"
    else
      need_root
      log "engine: starting dockerd"
      mkdir -p "$LOGDIR"
      setsid nohup dockerd >"$LOGDIR/dockerd.log" 2>&1 </dev/null &
    fi
    for _ in $(seq 1 60); do docker_ok && break; sleep 1; done
    docker_ok || die "dockerd did not answer in 60 s (see $LOGDIR/dockerd.log)"
  fi
}

cmd_aptcache() {
  port_open "$APT_CACHE_PORT" && return 0
  apt_install apt-cacher-ng
  log "apt cache: starting apt-cacher-ng on :$APT_CACHE_PORT"
  # Its stock Debian backend list names mirrors this network cannot resolve: use deb.debian.org.
  mkdir -p /var/cache/apt-cacher-ng /var/log/apt-cacher-ng /run/apt-cacher-ng
  chown -R apt-cacher-ng: /var/cache/apt-cacher-ng /var/log/apt-cacher-ng /run/apt-cacher-ng 2>/dev/null || true
  setsid nohup /usr/sbin/apt-cacher-ng -c /etc/apt-cacher-ng ForeGround=1 \
    "Port=$APT_CACHE_PORT" "BindAddress=0.0.0.0" \
    "Remap-debrep=file:deb_mirror*.gz /debian ; http://deb.debian.org/debian/" >"$LOGDIR/apt-cacher-ng.log" 2>&1 </dev/null &
  for _ in $(seq 1 30); do port_open "$APT_CACHE_PORT" && return 0; sleep 0.5; done
  die "apt-cacher-ng did not listen on :$APT_CACHE_PORT"
}

# A local registry that test VPS engines use as their Docker Hub mirror.
cmd_registry() {
  port_open "$REGISTRY_PORT" && return 0
  apt_install docker-registry
  log "registry: starting docker-registry on :$REGISTRY_PORT"
  mkdir -p "$CACHE/registry"
  cat >"$CACHE/registry/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $CACHE/registry/data
  delete:
    enabled: true
http:
  addr: 0.0.0.0:$REGISTRY_PORT
CONF
  setsid nohup docker-registry serve "$CACHE/registry/config.yml" \
    >"$LOGDIR/docker-registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 30); do port_open "$REGISTRY_PORT" && return 0; sleep 0.5; done
  die "docker-registry did not listen on :$REGISTRY_PORT"
}

# Pebble, a real ACME server, with pebble-challtestsrv as its DNS: every name resolves to the
# address set through the management API (a scenario sets its VPS's). Certbot in a test VPS
# reaches it at https://<its network gateway>:$PEBBLE_PORT/dir, so the listener's certificate names
# every gateway Docker's default address pools can give.
PEBBLE_DIR="$CACHE/pebble"
cmd_pebble() {
  apt_install pebble openssl
  mkdir -p "$PEBBLE_DIR"
  # Docker's default pools, and the sandbox network's gateway.
  local sans="DNS:localhost,IP:127.0.0.1,IP:$SANDBOX_GATEWAY" i
  for i in $(seq 17 31); do sans="$sans,IP:172.$i.0.1"; done
  for i in $(seq 0 16 240); do sans="$sans,IP:192.168.$i.1"; done
  if [ ! -f "$PEBBLE_DIR/cert.pem" ] || [ "$(cat "$PEBBLE_DIR/sans" 2>/dev/null)" != "$sans" ]; then
    pkill -x pebble 2>/dev/null || true
    sleep 0.5
    openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 3650 \
      -subj "/CN=pdezzy harness pebble CA" -keyout "$PEBBLE_DIR/ca.key" -out "$PEBBLE_DIR/ca.pem" 2>/dev/null
    openssl req -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=pebble" \
      -keyout "$PEBBLE_DIR/key.pem" -out "$PEBBLE_DIR/cert.csr" 2>/dev/null
    printf 'subjectAltName=%s\n' "$sans" >"$PEBBLE_DIR/san.ext"
    openssl x509 -req -in "$PEBBLE_DIR/cert.csr" -CA "$PEBBLE_DIR/ca.pem" -CAkey "$PEBBLE_DIR/ca.key" \
      -CAcreateserial -days 3650 -extfile "$PEBBLE_DIR/san.ext" -out "$PEBBLE_DIR/cert.pem" 2>/dev/null
    echo "$sans" >"$PEBBLE_DIR/sans"
  fi
  cat >"$PEBBLE_DIR/config.json" <<CONF
{"pebble": {"listenAddress": "0.0.0.0:$PEBBLE_PORT", "managementListenAddress": "127.0.0.1:$PEBBLE_MANAGEMENT_PORT",
  "certificate": "$PEBBLE_DIR/cert.pem", "privateKey": "$PEBBLE_DIR/key.pem",
  "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
CONF
  if ! port_open "$CHALLTESTSRV_MANAGEMENT_PORT"; then
    setsid nohup pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$CHALLTESTSRV_DNS_PORT" \
      -http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$CHALLTESTSRV_MANAGEMENT_PORT" \
      >"$LOGDIR/pebble-challtestsrv.log" 2>&1 </dev/null &
  fi
  # Pebble rejects 5 % of valid nonces by default to exercise client retries; certbot retries
  # once and a renewal can still fail, which would make the tests flaky. Real CAs do not.
  local settings="nosleep=1 noncereject=0 $(sha256sum "$PEBBLE_DIR/config.json" | cut -c1-16)"
  if [ "$(cat "$PEBBLE_DIR/settings" 2>/dev/null)" != "$settings" ]; then
    pkill -x pebble 2>/dev/null || true
    for _ in $(seq 1 20); do port_open "$PEBBLE_PORT" || break; sleep 0.25; done
  fi
  if ! port_open "$PEBBLE_PORT"; then
    PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 setsid nohup pebble -config "$PEBBLE_DIR/config.json" \
      -dnsserver "127.0.0.1:$CHALLTESTSRV_DNS_PORT" >"$LOGDIR/pebble.log" 2>&1 </dev/null &
    echo "$settings" >"$PEBBLE_DIR/settings"
  fi
  for _ in $(seq 1 30); do port_open "$PEBBLE_PORT" && port_open "$CHALLTESTSRV_MANAGEMENT_PORT" && return 0; sleep 0.5; done
  die "pebble did not start (see $LOGDIR/pebble.log)"
}

cmd_bootstrap() {
  mkdir -p "$CACHE" "$LOGDIR"
  cmd_venv
  cmd_engine
  cmd_aptcache
  cmd_images
  cmd_registry
  cmd_standins
  cmd_pebble
}

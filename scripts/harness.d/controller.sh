#!/usr/bin/env bash
# shellcheck shell=bash
# Harness controller job: the playbooks run from a second controller, as a user of a current
# distribution runs them (molecule/harness/controller/run.sh), against a VPS of its own on the
# sandbox network. Sourced by scripts/harness.

CONTROLLER_SUITE=trixie
CONTROLLER_IMAGE="pdezzy/controller:$CONTROLLER_SUITE"
CONTROLLER_DOMAIN=controller.test

controller_test() {
  local vps="$CONTROLLER_VPS_NAME" ip="$CONTROLLER_VPS_IP" rc=0
  docker rm -f -v "$vps" >/dev/null 2>&1 || true
  SANDBOX_SUITE="$CONTROLLER_SUITE" sandbox_vps "$vps" "$ip"
  python "$HARNESS/acme_dns.py" "$ip" "$CONTROLLER_DOMAIN" "www.$CONTROLLER_DOMAIN"
  mkdir -p "$CACHE/controller-pip" "$CACHE/controller-venv"
  # The host's network: the VPS, pebble's management port and the registry are reached as from
  # this machine's own controller (the VPS sees the sandbox network's gateway, its allow-list).
  docker run --rm --network host -v "$REPO:/src:ro" -v "$CACHE/pebble:$CACHE/pebble:ro" \
    -v "$CACHE/controller-pip:/root/.cache/pip" -v "$CACHE/controller-venv:/opt/ansible" \
    -e PDEZZY_CACHE="$CACHE" \
    -e CONTROLLER_VPS_IP="$ip" -e CONTROLLER_DOMAIN="$CONTROLLER_DOMAIN" \
    "$CONTROLLER_IMAGE" bash /src/molecule/harness/controller/run.sh || rc=$?
  docker rm -f -v "$vps" >/dev/null 2>&1 || true
  [ "$rc" -eq 0 ] || die "controller job failed"
}

cmd_controller_test() {
  cmd_bootstrap
  activate
  controller_test
}

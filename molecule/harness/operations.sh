#!/usr/bin/env bash
# The operations a user runs, in order, from the controller this runs on, against a fresh VPS
# through the sandbox inventory over SSH: site.yml as root, a re-run and a `--check --diff` run
# as the deploy user that change nothing, a backup and a restore, a deploy of a new release (its
# replicas' healthcheck intervals checked against the engine), a rollback to the one before,
# and the health check. Run from the repository's root by the
# sandbox test (the pinned controller, Mitogen) and inside the second controller (controller.sh:
# the newest ansible, the stock strategy).
#   OPS_VPS_IP      the VPS's address
#   OPS_EXTRA_VARS  a JSON object of extra variables for every run (the VPS's address and names
#                   where they are not the sandbox's), default {}
set -euo pipefail
: "${OPS_VPS_IP:?}"
over="${OPS_EXTRA_VARS:-}"
[ -n "$over" ] || over='{}'

log() { printf '==> operations: %s\n' "$*" >&2; }
die() { printf 'ERROR: operations: %s\n' "$*" >&2; exit 1; }

# play PLAYBOOK ARGS...: a run whose output is kept in $out and printed at its end.
out=""
play() {
  local rc=0 start=$SECONDS
  log "ansible-playbook $*"
  out="$(ansible-playbook -i inventory/sandbox "$@" -e "$over" 2>&1)" || rc=$?
  printf '%s\n' "$out" | grep -E '^(PLAY RECAP|pdezzy-sandbox +:|\[DEPRECATION WARNING\]|\[WARNING\])' || true
  log "$1: $((SECONDS - start)) s"
  [ "$rc" -eq 0 ] || { printf '%s\n' "$out" | tail -n 60; die "$1 failed"; }
}
unchanged() {
  printf '%s\n' "$out" | grep -Eq '^pdezzy-sandbox +: ok=[0-9]+ +changed=0 ' ||
    { printf '%s\n' "$out" | grep -E -B3 -A12 '^changed:' | tail -n 60; die "$1 changed something"; }
}
vps() { ssh -i .cache/sandbox/id_ed25519 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o LogLevel=ERROR "deploy@$OPS_VPS_IP" "$@"; }
app_image() { vps docker inspect -f "'{{.Config.Image}}'" app-1; }
# A replica's healthcheck intervals follow the engine (the app role's defaults): Docker 25 and
# newer check a serving replica every 30 s and a starting one every 5 s; older engines (Debian
# 12's docker.io 20.10) have one interval, 5 s.
check_intervals() {
  local engine check interval start want
  engine="$(vps docker version -f "'{{.Server.Version}}'")"
  check="$(vps docker inspect -f "'{{json .Config.Healthcheck}}'" app-1)"
  interval="$(grep -o '"Interval":[0-9]*' <<<"$check" | cut -d: -f2 || true)"
  # Absent on an engine without a start interval.
  start="$(grep -o '"StartInterval":[0-9]*' <<<"$check" | cut -d: -f2 || true)"
  start="${start:-0}"
  if [ "${engine%%.*}" -ge 25 ]; then want="30000000000 5000000000"; else want="5000000000 0"; fi
  [ "$interval $start" = "$want" ] ||
    die "app-1's healthcheck: interval $interval ns, start interval $start ns on Docker $engine; expected $want"
  log "app-1's healthcheck on Docker $engine: every $((interval / 1000000000)) s, starting: $((start / 1000000000)) s"
}

play site.yml -e ansible_user=root
play site.yml
unchanged "site.yml re-run"
play site.yml --check --diff
unchanged "site.yml --check --diff"
play playbooks/backup.yml
play playbooks/restore.yml
before="$(app_image)"
play playbooks/deploy-app.yml -e app_version=demo-3
after="$(app_image)"
[ "$after" != "$before" ] && [[ "$after" == *demo-3* ]] || die "the deploy left app-1 on $after"
check_intervals
play playbooks/rollback.yml
[ "$(app_image)" = "$before" ] || die "the rollback left app-1 on $(app_image), not $before"
play playbooks/health-check.yml
log "site, re-run, dry run, backup, restore, deploy ($before -> $after), rollback and health check passed"

#!/usr/bin/env bash
# Inside the second controller (a Debian 13 container with its own Python, on the host's
# network): the newest `ansible` from PyPI, Ansible's stock strategy (linear) over SSH with sudo,
# against the controller job's VPS through the sandbox inventory. site.yml as root on the fresh
# VPS, then a re-run and a `--check --diff` run as the deploy user that change nothing, a deploy
# of a new release, a rollback to the one before, and the health check. The repository is
# mounted read-only at /src.
set -euo pipefail
: "${CONTROLLER_VPS_IP:?}" "${CONTROLLER_DOMAIN:?}"

log() { printf '==> controller: %s\n' "$*" >&2; }
die() { printf 'ERROR: controller: %s\n' "$*" >&2; exit 1; }

log "installing the newest ansible from the package index"
python3 -m venv /opt/ansible
for attempt in 1 2 3; do
  /opt/ansible/bin/pip install -q --upgrade pip ansible && break
  [ "$attempt" -lt 3 ] || die "pip failed three times"
  sleep 10
done
export PATH="/opt/ansible/bin:$PATH" ANSIBLE_CONFIG=/src/ansible.cfg ANSIBLE_STRATEGY=linear \
  ANSIBLE_CACHE_PLUGIN_CONNECTION=/tmp/ansible-facts ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
python3 --version
ansible --version | head -n 1
pip show ansible | sed -n 's/^Version: /ansible (package) /p'
cd /src

# The job's VPS and names instead of the sandbox's; everything else is the sandbox inventory's.
over="$(printf '{"ansible_host": "%s", "pdezzy_domain": "%s", "pdezzy_domain_aliases": ["www.%s"]}' \
  "$CONTROLLER_VPS_IP" "$CONTROLLER_DOMAIN" "$CONTROLLER_DOMAIN")"
# play PLAYBOOK ARGS...: a run whose output is kept in $out and printed at its end.
out=""
play() {
  local rc=0
  log "ansible-playbook $*"
  out="$(ansible-playbook -i inventory/sandbox "$@" -e "$over" 2>&1)" || rc=$?
  printf '%s\n' "$out" | grep -E '^(PLAY RECAP|pdezzy-sandbox +:|\[DEPRECATION WARNING\]|\[WARNING\])' || true
  [ "$rc" -eq 0 ] || { printf '%s\n' "$out" | tail -n 60; die "$1 failed"; }
}
unchanged() {
  printf '%s\n' "$out" | grep -Eq '^pdezzy-sandbox +: ok=[0-9]+ +changed=0 ' ||
    { printf '%s\n' "$out" | grep -E -B3 -A12 '^changed:' | tail -n 60; die "$1 changed something"; }
}
app_image() { ssh -i .cache/sandbox/id_ed25519 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o LogLevel=ERROR "deploy@$CONTROLLER_VPS_IP" docker inspect -f '{{.Config.Image}}' app-1; }

play site.yml -e ansible_user=root
play site.yml
unchanged "site.yml re-run"
play site.yml --check --diff
unchanged "site.yml --check --diff"
play playbooks/backup.yml
before="$(app_image)"
play playbooks/deploy-app.yml -e app_version=demo-3
after="$(app_image)"
[ "$after" != "$before" ] && [[ "$after" == *demo-3* ]] || die "the deploy left app-1 on $after"
play playbooks/rollback.yml
[ "$(app_image)" = "$before" ] || die "the rollback left app-1 on $(app_image), not $before"
play playbooks/health-check.yml
log "site, re-run, dry run, deploy ($before -> $after), rollback and health check passed"

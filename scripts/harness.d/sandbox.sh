#!/usr/bin/env bash
# shellcheck shell=bash
# Harness sandbox: the local VPS container that `scripts/harness sandbox` deploys the site onto.
# Sourced by scripts/harness.

# The sandbox VPS's Debian release: Debian 13 (trixie) unless PDEZZY_VPS_SUITE=bookworm picks 12.
SANDBOX_SUITE="${PDEZZY_VPS_SUITE:-${VPS_SUITES[0]}}"

# ansible.cfg caches facts for an hour; a new sandbox VPS (perhaps of another release) must not
# inherit the last one's. The cache file is the host's name, after a schema prefix (s1_).
forget_sandbox_facts() {
  [ -d "$REPO/.cache/ansible-facts" ] || return 0
  find "$REPO/.cache/ansible-facts" -maxdepth 1 \( -name "$SANDBOX_NAME" -o -name "*_$SANDBOX_NAME" \) -delete
}

# A running sandbox VPS container (a fresh one when none runs), booted, root reachable by key:
# sandbox_vps [NAME IP] (default: the sandbox's), of release $SANDBOX_SUITE, on the sandbox network.
sandbox_vps() {
  local name="${1:-$SANDBOX_NAME}" ip="${2:-$SANDBOX_IP}"
  case " ${VPS_SUITES[*]} " in
    *" $SANDBOX_SUITE "*) ;;
    *) die "PDEZZY_VPS_SUITE=$SANDBOX_SUITE: the sandbox VPS runs one of: ${VPS_SUITES[*]}" ;;
  esac
  mkdir -p "$REPO/.cache/sandbox"
  [ -f "$REPO/.cache/sandbox/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C pdezzy-sandbox -f "$REPO/.cache/sandbox/id_ed25519"
  # A network made before its dynamic range was set goes, when no container is on it.
  if [ "$(docker network inspect -f '{{range .IPAM.Config}}{{.IPRange}}{{end}}' "$SANDBOX_NET" 2>/dev/null || echo "$SANDBOX_DYNAMIC_RANGE")" != "$SANDBOX_DYNAMIC_RANGE" ]; then
    docker network rm "$SANDBOX_NET" >/dev/null 2>&1 || true
  fi
  # Another job may make the network at the same moment: then it is there.
  docker network inspect "$SANDBOX_NET" >/dev/null 2>&1 ||
    docker network create --subnet "$SANDBOX_SUBNET" --gateway "$SANDBOX_GATEWAY" \
      --ip-range "$SANDBOX_DYNAMIC_RANGE" "$SANDBOX_NET" >/dev/null 2>&1 ||
    docker network inspect "$SANDBOX_NET" >/dev/null
  # A bridge left behind by a daemon that stopped uncleanly would shadow the sandbox's route.
  local bridge dev
  bridge="br-$(docker network inspect -f '{{.Id}}' "$SANDBOX_NET" | cut -c1-12)"
  for dev in $(ip -o -4 addr show | awk -v gw="$SANDBOX_GATEWAY/" 'index($4, gw) == 1 {print $2}'); do
    [ "$dev" = "$bridge" ] || { log "sandbox: removing stale bridge $dev"; ip link delete "$dev"; }
  done
  if [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != "true" ]; then
    docker rm -f -v "$name" >/dev/null 2>&1 || true
    [ "$name" != "$SANDBOX_NAME" ] || forget_sandbox_facts
    log "sandbox: starting the VPS container $name (Debian $SANDBOX_SUITE)"
    local args
    read -r -a args <<<"$(python "$HARNESS/platform.py")"
    docker run -d --name "$name" --hostname "$name" --network "$SANDBOX_NET" \
      --ip "$ip" "${args[@]}" "pdezzy/vps:$SANDBOX_SUITE" >/dev/null
    # What the VPS provider does at first boot: the operator's key for root.
    docker exec -i "$name" sh -c 'install -d -m 0700 /root/.ssh &&
      cat > /root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys' \
      <"$REPO/.cache/sandbox/id_ed25519.pub"
  fi
  # systemd's bus appears a moment after the container starts, so `is-system-running --wait`
  # can fail at once: poll until boot has finished, then until SSH answers.
  local i
  for i in $(seq 120); do
    case "$(docker exec "$name" systemctl is-system-running 2>/dev/null)" in running | degraded) break ;; esac
    sleep 0.5
  done
  for i in $(seq 30); do
    port_open 22 "$ip" && break
    sleep 1
  done
}

cmd_sandbox() {
  cmd_bootstrap
  activate
  sandbox_deploy
}

# The sandbox VPS running, and pebble's DNS answering the sandbox's names with its address, so
# HTTP-01 validation reaches its nginx.
sandbox_ready() {
  sandbox_vps
  python "$HARNESS/acme_dns.py" "$SANDBOX_IP" --inventory "$REPO/inventory/sandbox"
}

# site.yml onto the sandbox VPS (started when none runs), a first backup and the health check.
sandbox_deploy() {
  sandbox_ready
  local first_run=()
  if ! ssh -q -i "$REPO/.cache/sandbox/id_ed25519" -o BatchMode=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "deploy@$SANDBOX_IP" true; then
    log "sandbox: first run, connecting as root (the deploy user does not exist yet)"
    first_run=(-e ansible_user=root)
  fi
  log "sandbox: ansible-playbook -i inventory/sandbox site.yml ${first_run[*]}"
  ansible-playbook -i inventory/sandbox site.yml "${first_run[@]}"
  # The health check wants a backup younger than a day; a new stack has none until the night.
  log "sandbox: ansible-playbook -i inventory/sandbox playbooks/backup.yml"
  ansible-playbook -i inventory/sandbox playbooks/backup.yml
  log "sandbox: ansible-playbook -i inventory/sandbox playbooks/health-check.yml"
  ansible-playbook -i inventory/sandbox playbooks/health-check.yml
  log "sandbox: ready. The demo app answers over HTTPS from this machine at:"
  log "  https://pdezzy.test/api/health/  (curl --resolve pdezzy.test:443:$SANDBOX_IP -k https://pdezzy.test/api/health/)"
  log "The VPS is $SANDBOX_NAME at $SANDBOX_IP:"
  log "  ssh -i .cache/sandbox/id_ed25519 deploy@$SANDBOX_IP"
}

# The README's first command as a user runs it (SSH, the repo's ansible.cfg and its Mitogen
# strategy, root on the first run) onto a fresh sandbox VPS; then a re-run and a dry run that
# change nothing, a backup and a restore, a deploy and a rollback, and the health check
# (molecule/harness/operations.sh). Part of the test command (the job sandbox@SUITE, in a lane
# beside the scenarios, which reach their VPS through Docker).
cmd_sandbox_test() {
  cmd_bootstrap
  activate
  sandbox_test
}

sandbox_test() {
  cmd_sandbox_down
  sandbox_ready
  OPS_VPS_IP="$SANDBOX_IP" bash "$HARNESS/operations.sh"
  # A seeded sample of the fault-injection matrix (bench/chaos.py), different in every run: the
  # seed is printed, PDEZZY_CHAOS_SEED replays it.
  log "sandbox: ${PDEZZY_CHAOS_SAMPLE:-2} pairs of the fault-injection matrix"
  PDEZZY_VPS_SUITE="$SANDBOX_SUITE" python "$REPO/bench/chaos.py" --sample "${PDEZZY_CHAOS_SAMPLE:-2}" \
    ${PDEZZY_CHAOS_SEED:+--seed "$PDEZZY_CHAOS_SEED"}
  cmd_sandbox_down
}

cmd_sandbox_down() {
  docker rm -f -v "$SANDBOX_NAME" "$SANDBOX_BACKUP_NAME" >/dev/null 2>&1 || true
  forget_sandbox_facts
  docker network rm "$SANDBOX_NET" >/dev/null 2>&1 || true
  log "sandbox: removed"
}

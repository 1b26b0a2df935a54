#!/usr/bin/env bash
# shellcheck shell=bash
# Harness tests: lint, ansible-test sanity, unit tests and the Molecule scenarios in lanes.
# Sourced by scripts/harness.

cmd_lint() {
  activate
  log "lint: yamllint"
  yamllint --strict .
  log "lint: ruff"
  ruff check .
  ruff format --check .
  log "lint: ansible-lint (production profile)"
  ansible-lint --profile production
  log "lint: role defaults agree with their argument specs; README variable tables are generated"
  python scripts/role_docs.py --check
  log "lint: the collection's changelog fragments, and CHANGELOG.md generated from changelogs/"
  (cd "$COLLECTION" && antsibull-changelog lint &&
    antsibull-changelog generate --output "$LOGDIR/CHANGELOG.md" &&
    diff -u CHANGELOG.md "$LOGDIR/CHANGELOG.md") ||
    die "the collection's CHANGELOG.md is not what changelogs/ generates (antsibull-changelog generate)"
}

# ansible-test sanity on the collection, and a build of it. ansible-test fetches a pip bootstrap
# script from outside the package index; ours (pip from ensurepip) is seeded in its cache.
COLLECTION="$REPO/collections/ansible_collections/pdezzy/infra"
cmd_sanity() {
  activate
  local pip_version
  pip_version="$(python -c 'import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="%d.%d" % sys.version_info[:2]))["pip"])')"
  mkdir -p "$HOME/.ansible/test/cache"
  cp "$HARNESS/sanity/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  log "sanity: ansible-test sanity (collection pdezzy.infra)"
  (cd "$COLLECTION" && ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    >"$LOGDIR/sanity.log" 2>&1) || { grep -E '^(ERROR|FATAL)' "$LOGDIR/sanity.log"; die "ansible-test sanity failed ($LOGDIR/sanity.log)"; }
  grep -c '^Running sanity test' "$LOGDIR/sanity.log" | xargs -I{} echo "ansible-test ran {} sanity tests; none failed"
  log "sanity: ansible-galaxy collection build"
  ansible-galaxy collection build --force --output-path "$CACHE/collection-build" "$COLLECTION"
}

# A venv of the demo app's pinned requirements: its own tests run there, and the app role's
# release scripts run there against Django.
APP_VENV="$CACHE/app-venv"
app_venv() {
  local app="$REPO/examples/pdezzy-app" want
  want="$(recipe_hash "$app/requirements.txt")"
  if [ "$(cat "$APP_VENV/.requirements.sha" 2>/dev/null)" != "$want" ]; then
    log "unit: installing the demo app's requirements into $APP_VENV"
    rm -rf "$APP_VENV" && python3 -m venv "$APP_VENV"
    "$APP_VENV/bin/pip" install -q -r "$app/requirements.txt"
    echo "$want" >"$APP_VENV/.requirements.sha"
  fi
}

# The TLS scanner (sslyze) of the default scenario's outside view, in a venv of its own.
SCAN_VENV="$CACHE/scan-venv"
scan_venv() {
  local req="$HARNESS/requirements-scan.txt" want attempt
  want="$(recipe_hash "$req")"
  if [ "$(cat "$SCAN_VENV/.requirements.sha" 2>/dev/null)" != "$want" ]; then
    log "molecule: installing the TLS scanner into $SCAN_VENV"
    rm -rf "$SCAN_VENV" && python3 -m venv "$SCAN_VENV"
    for attempt in 1 2 3; do
      "$SCAN_VENV/bin/pip" install -q -r "$req" && break
      [ "$attempt" -lt 3 ] || die "scan venv: pip failed three times"
      sleep 10
    done
    echo "$want" >"$SCAN_VENV/.requirements.sha"
  fi
  export PDEZZY_SSLYZE="$SCAN_VENV/bin/sslyze"
}

cmd_unit() {
  activate
  app_venv
  log "unit: pytest (collection plugins, role unit tests)"
  PDEZZY_DJANGO_PYTHON="$APP_VENV/bin/python" \
    python -m pytest -q collections/ansible_collections/pdezzy/infra/tests/unit roles/*/tests scripts/tests
}

# The demo app's own Django tests (SQLite, in-memory channel layer; the health check's
# Redis-down case uses a real, closed port).
cmd_app_tests() {
  local app="$REPO/examples/pdezzy-app" venv="$APP_VENV"
  app_venv
  log "unit: the demo app's tests"
  (cd "$app" && DEBUG=true DB_ENGINE=sqlite \
    SECRET_KEY=test-only-secret-key-long-enough-for-hs256-signing-0123456789 \
    "$venv/bin/python" manage.py test tests)
}

# A job is SCENARIO or SCENARIO@SUITE: the scenario on that Debian release's VPS image
# (pdezzy/vps:SUITE); without one, on $PDEZZY_VPS_SUITE, default trixie (Debian 13). The job
# sandbox@SUITE is the sandbox test (sandbox.sh) on that release; controller@trixie the second
# controller's run (controller.sh).
job_scenario() { echo "${1%@*}"; }
job_suite() { [[ "$1" == *@* ]] && echo "${1#*@}" || echo "${PDEZZY_VPS_SUITE:-${VPS_SUITES[0]}}"; }
# Every scenario points pebble's DNS at its own names (molecule/harness/acme_dns.py), so any
# of them run at once. Lanes are balanced on measured wall times (scripts/lanes.py): a job's
# last passing run on this machine (recorded by run_job), else the bench's CI figures.
DURATIONS="$CACHE/logs/durations"

# CPU seconds of the finished children of the shell PID (ansible, pytest, Docker's client: the work
# a job does on the controller, not inside the VPS containers). PID is the caller's $BASHPID: a
# command substitution runs in a subshell of its own.
children_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($16 + $17) / hz }' "/proc/$1/stat"; }

# One job, its output kept in a log that is printed whole when it ends (lanes run at once).
run_job() {
  local s=$1 failed_file=$2 out="$CACHE/logs/molecule-$1.log" start rc=0 cpu shell=$BASHPID
  start=$(date +%s)
  cpu=$(children_cpu "$shell")
  if [ "$s" = static ]; then
    # In a subshell with `set -e`: the first failing check ends it.
    (cmd_lint; cmd_sanity; cmd_unit; cmd_app_tests) >"$out" 2>&1 &
    wait $! || rc=$?
  elif [ "$(job_scenario "$s")" = sandbox ]; then
    # A subshell of its own, started apart from `||` so that `set -e` and `die` act inside it.
    (SANDBOX_SUITE="$(job_suite "$s")"; sandbox_test) >"$out" 2>&1 &
    wait $! || rc=$?
  elif [ "$(job_scenario "$s")" = controller ]; then
    controller_test >"$out" 2>&1 &
    wait $! || rc=$?
  else
    PDEZZY_VPS_SUITE="$(job_suite "$s")" molecule test -s "$(job_scenario "$s")" >"$out" 2>&1 || rc=$?
  fi
  {
    flock 9
    log "job: $s"
    cat "$out" >&2
    local seconds=$(($(date +%s) - start))
    cpu=$(($(children_cpu "$shell") - cpu))
    if [ "$rc" -eq 0 ]; then
      log "job: $s passed in $seconds s (CPU on the controller: $cpu s)"
      mkdir -p "$DURATIONS" && echo "$seconds" >"$DURATIONS/$s"
    else
      log "job: $s FAILED after $seconds s"
      echo "$s" >>"$failed_file"
      # Failed static checks stop the run: no lane starts another job.
      [ "$s" != static ] || touch "$failed_file.abort"
    fi
  } 9>"$CACHE/logs/.print.lock"
}

# The static checks need nothing but the controller's venv: `test` starts them before the engine
# and the images (on a fresh machine they run beside the image builds), and cmd_molecule waits
# for them with its lanes. Their failure stops the lanes as when they run in one.
STATIC_PID=""
FAILED_FILE=""
start_static() {
  mkdir -p "$CACHE/logs"
  FAILED_FILE="$(mktemp)"
  run_job static "$FAILED_FILE" &
  STATIC_PID=$!
  trap '[ -z "$STATIC_PID" ] || kill "$STATIC_PID" 2>/dev/null || true' EXIT
}

# Jobs run in MOLECULE_JOBS lanes (default 4), each lane one job after another. The suite is
# CPU-bound on two cores: a fourth lane fills what three left idle while their jobs wait (health
# timeouts, the port scan, playbooks on the VPS).
cmd_molecule() {
  activate
  scan_venv
  local jobs=("$@") lanes_n="${MOLECULE_JOBS:-4}" failed_file lane
  [ "${#jobs[@]}" -gt 0 ] || jobs=("${ALL_SCENARIOS[@]}")
  mkdir -p "$CACHE/logs"
  failed_file="${FAILED_FILE:-$(mktemp)}"
  local -a lanes=()
  mapfile -t lanes < <(python "$REPO/scripts/lanes.py" "$lanes_n" "$DURATIONS" "$REPO/bench/results.json" "${jobs[@]}")
  [ "${#lanes[@]}" -gt 0 ] || die "no lanes planned for: ${jobs[*]}"
  log "molecule: ${#jobs[@]} jobs in ${#lanes[@]} lanes: $(printf '[%s] ' "${lanes[@]}")"
  local -a pids=()
  for lane in "${lanes[@]}"; do
    (for s in $lane; do
      if [ -e "$failed_file.abort" ]; then
        log "job: $s not started (the static checks failed)"
        echo "$s(not-started)" >>"$failed_file"
        continue
      fi
      run_job "$s" "$failed_file"
    done) &
    pids+=($!)
  done
  [ -z "$STATIC_PID" ] || pids+=("$STATIC_PID")
  trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
  wait "${pids[@]}"
  STATIC_PID=""
  trap - INT TERM
  local failed
  failed="$(tr '\n' ' ' <"$failed_file")"
  rm -f "$failed_file" "$failed_file.abort"
  [ -z "$failed" ] || die "failed jobs: $failed"
}

# CPU seconds a fixed Python workload takes now (scripts/machine_speed.py): the suite is CPU-bound,
# so its wall time follows this figure. Printed at a run's start and end.
machine_speed() { python "$REPO/scripts/machine_speed.py"; }

cmd_test() {
  local start
  start=$(date +%s)
  # The static checks (lint, sanity, unit and the demo app's tests) start as soon as the venv is
  # there, beside the rest of the bootstrap and then the lanes; if they fail, no lane starts
  # another job. Without jobs named: every scenario, the sandbox test on Debian 12 (the whole
  # site through SSH and Mitogen; default@trixie covers Debian 13) and the second controller
  # (the newest ansible, the stock strategy).
  cmd_venv
  activate
  local speed
  speed=$(machine_speed)
  log "machine: a fixed Python workload takes $speed CPU-s (the suite's time follows it)"
  start_static
  cmd_bootstrap
  if [ "$#" -gt 0 ]; then
    cmd_molecule "$@"
  else
    cmd_molecule "${ALL_SCENARIOS[@]}" sandbox@bookworm controller@trixie
  fi
  log "all tests passed in $(($(date +%s) - start)) s (the fixed workload: $speed CPU-s at the start, $(machine_speed) at the end)"
}

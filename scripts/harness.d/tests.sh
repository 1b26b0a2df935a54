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
# (pdezzy/vps:SUITE); without one, on $PDEZZY_VPS_SUITE, default trixie (Debian 13).
job_scenario() { echo "${1%@*}"; }
job_suite() { [[ "$1" == *@* ]] && echo "${1#*@}" || echo "${PDEZZY_VPS_SUITE:-${VPS_SUITES[0]}}"; }
# Scenarios that point pebble's DNS at their own VPS: never two of them at once.
PEBBLE_SCENARIOS=(certbot default)
uses_pebble() { [[ " ${PEBBLE_SCENARIOS[*]} " == *" $(job_scenario "$1") "* ]]; }
# Lanes are balanced by measured wall times, never by hand-kept ones: a scenario's last passing
# run on this machine (recorded by run_scenario), else its figure in the bench's tests section
# (bench/results.json, from a CI run), else the mean of the known ones.
DURATIONS="$CACHE/logs/durations"
# scenario_weights SCENARIO...: "<seconds> <scenario>" lines.
scenario_weights() {
  python3 - "$DURATIONS" "$REPO/bench/results.json" "$@" <<'PY'
import json, os, sys

durations, results, *names = sys.argv[1:]
measured = {}
try:
    for row in json.load(open(results))["tests"]["rows"]:
        if ": scenario " in row["figure"]:
            measured[row["figure"].rsplit(": scenario ", 1)[1]] = int(row["median"])
except (OSError, KeyError, TypeError, ValueError):
    pass
for name in sorted(os.listdir(durations)) if os.path.isdir(durations) else []:
    with open(os.path.join(durations, name)) as handle:
        measured[name] = int(handle.read().split()[0])
default = sum(measured.values()) // len(measured) if measured else 300
for name in names:
    # A job on another release weighs what the same scenario weighs on the known one.
    print(measured.get(name, measured.get(name.split("@")[0], default)), name)
PY
}

# One job, its output kept in a log that is printed whole when it ends (lanes run at once).
run_scenario() {
  local s=$1 failed_file=$2 out="$CACHE/logs/molecule-$1.log" start rc=0
  start=$(date +%s)
  PDEZZY_VPS_SUITE="$(job_suite "$s")" molecule test -s "$(job_scenario "$s")" >"$out" 2>&1 || rc=$?
  {
    flock 9
    log "molecule: scenario $s"
    cat "$out" >&2
    if [ "$rc" -eq 0 ]; then
      log "molecule: $s passed in $(($(date +%s) - start)) s"
      mkdir -p "$DURATIONS" && echo "$(($(date +%s) - start))" >"$DURATIONS/$s"
    else
      log "molecule: $s FAILED after $(($(date +%s) - start)) s"
      echo "$s" >>"$failed_file"
    fi
  } 9>"$CACHE/logs/.print.lock"
}

# Jobs run in MOLECULE_JOBS lanes (default 3), each lane one job after another; the jobs that
# use pebble's DNS share the first lane, and the jobs of one scenario (its instances and
# Molecule state are named after it) share a lane.
cmd_molecule() {
  activate
  scan_venv
  local scenarios=("$@") jobs="${MOLECULE_JOBS:-3}" failed_file s i n best
  [ "${#scenarios[@]}" -gt 0 ] || scenarios=("${ALL_SCENARIOS[@]}")
  mkdir -p "$CACHE/logs"
  failed_file="$(mktemp)"
  [ "$jobs" -ge 1 ] || jobs=1
  [ "${#scenarios[@]}" -ge "$jobs" ] || jobs=${#scenarios[@]}
  local -a lanes=() load=()
  for ((i = 0; i < jobs; i++)); do lanes[i]=""; load[i]=0; done
  # The pebble scenarios first, in the first lane; then the others, longest first, each to the
  # lane with the least work so far.
  local -a ordered=()
  for s in "${scenarios[@]}"; do
    uses_pebble "$s" && ordered+=("$s")
  done
  local npebble=${#ordered[@]}
  local -A weight=()
  local w
  while read -r w s; do weight[$s]=$w; done < <(scenario_weights "${scenarios[@]}")
  while read -r _ s; do ordered+=("$s"); done < <(
    for s in "${scenarios[@]}"; do
      uses_pebble "$s" || echo "${weight[$s]} $s"
    done | sort -rn
  )
  local -A lane_of=()
  for ((n = 0; n < ${#ordered[@]}; n++)); do
    s=${ordered[n]}
    best=0
    if [ -n "${lane_of[$(job_scenario "$s")]:-}" ]; then
      best=${lane_of[$(job_scenario "$s")]}
    elif [ "$n" -ge "$npebble" ]; then
      for ((i = 1; i < jobs; i++)); do [ "${load[i]}" -lt "${load[best]}" ] && best=$i; done
    fi
    lane_of[$(job_scenario "$s")]=$best
    lanes[best]+="$s "
    load[best]=$((load[best] + ${weight[$s]}))
  done
  log "molecule: ${#scenarios[@]} scenarios in $jobs lanes: $(printf '[%s] ' "${lanes[@]}")"
  local -a pids=()
  for ((i = 0; i < jobs; i++)); do
    (for s in ${lanes[i]}; do run_scenario "$s" "$failed_file"; done) &
    pids+=($!)
  done
  trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
  wait "${pids[@]}"
  trap - INT TERM
  local failed
  failed="$(tr '\n' ' ' <"$failed_file")"
  rm -f "$failed_file"
  [ -z "$failed" ] || die "failed scenarios: $failed"
}

cmd_test() {
  local start
  start=$(date +%s)
  cmd_bootstrap
  cmd_lint
  cmd_sanity
  cmd_unit
  cmd_app_tests
  cmd_molecule "$@"
  # The whole site on Debian 12 through SSH and Mitogen (default@trixie covers Debian 13).
  [ "$#" -gt 0 ] || SANDBOX_SUITE=bookworm cmd_sandbox_test
  log "all tests passed in $(($(date +%s) - start)) s"
}

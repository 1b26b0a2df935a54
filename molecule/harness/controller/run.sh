#!/usr/bin/env bash
# Inside the second controller (a Debian 13 container with its own Python, on the host's
# network, the repository mounted read-only at /src): the newest `ansible` from PyPI, Ansible's
# stock strategy (linear) over SSH with sudo, then the operations of operations.sh against the
# controller job's VPS, under its own names.
set -euo pipefail
: "${CONTROLLER_VPS_IP:?}" "${CONTROLLER_DOMAIN:?}"

# /opt/ansible is the host's cache (controller.sh), kept between jobs: pip upgrades it to the newest
# release on the index (when it already is, pip only asks the index). A venv made by another Python
# (the image rebuilt), or whose last install did not finish, is made again from nothing.
venv=/opt/ansible
made="$venv/.made-by"
python="$(python3 -c 'import sys; print(sys.version)')"
if [ ! -f "$made" ] || [ "$(cat "$made")" != "$python" ]; then
  echo "==> controller: a new venv for the newest ansible ($venv)" >&2
  find "$venv" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  python3 -m venv "$venv"
fi
rm -f "$made"
echo "==> controller: the newest ansible from the package index" >&2
for attempt in 1 2 3; do
  "$venv/bin/pip" install -q --upgrade pip ansible && break
  [ "$attempt" -lt 3 ] || { echo "ERROR: controller: pip failed three times" >&2; exit 1; }
  sleep 10
done
printf '%s' "$python" >"$made"
export PATH="$venv/bin:$PATH" ANSIBLE_CONFIG=/src/ansible.cfg ANSIBLE_STRATEGY=linear \
  ANSIBLE_CACHE_PLUGIN_CONNECTION=/tmp/ansible-facts ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
python3 --version
ansible --version | head -n 1
pip show ansible | sed -n 's/^Version: /ansible (package) /p'
cd /src
OPS_VPS_IP="$CONTROLLER_VPS_IP" OPS_EXTRA_VARS="$(printf \
  '{"ansible_host": "%s", "pdezzy_domain": "%s", "pdezzy_domain_aliases": ["www.%s"]}' \
  "$CONTROLLER_VPS_IP" "$CONTROLLER_DOMAIN" "$CONTROLLER_DOMAIN")" \
  exec bash molecule/harness/operations.sh

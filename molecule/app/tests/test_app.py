"""The app on the VPS, tested in deploy order: v1 converged, v2 rolled, a broken v3 rolled back.

Clients run in throwaway containers on the edge network, where nginx and the replicas are (port
8006 is never published).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import testinfra
from conftest import (
    ansible_env,
    assert_no_secret,
    request_loop_counts,
    start_request_loop,
    task_outcomes,
    task_timeline,
)

testinfra_hosts = ["ansible://vps"]

SCENARIO = Path(__file__).resolve().parents[1]
CONVERGE = SCENARIO / "converge.yml"
ROLLBACK = SCENARIO / "rollback.yml"
APP_SOURCE = SCENARIO.parents[1] / "examples" / "pdezzy-app"
DOMAIN = "app.pdezzy.test"
# Every secret of this scenario's inventory: no run, failing or not, may print one.
SECRETS = [
    "molecule-pg-secret-123",
    "molecule-app-db-secret",
    "molecule-redis-secret-123",
    "molecule-0f4c2e9a7b1d8e6f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5",
    "molecule-admin-pw-1",
    "molecule-git-token-77",
]
HOME = "/opt/pdezzy/app"
# The rolling deploy's WebSocket clients, and the seconds a drained replica's connections get.
WS_CLIENTS = 4
DRAIN = 5
CLIENT = (
    "docker run --rm --network pdezzy-edge -v /usr/local/bin/pdezzy-test-client:/client.py:ro "
    "python:3.11-slim python /client.py"
)


def http(
    host, path: str, target: str = "app", method: str = "GET", body: dict | None = None, bearer: str = ""
) -> tuple[int, Any]:
    args = f"http http://{target}:8006{path} {DOMAIN} {method} '{json.dumps(body) if body else ''}' '{bearer}'"
    status, _, text = host.check_output(f"{CLIENT} {args}").partition(" ")
    return int(status), json.loads(text) if text.startswith(("{", "[")) else text


def replicas(host) -> dict[str, dict]:
    names = ["app-1", "app-2"]
    return {name: json.loads(host.check_output(f"docker inspect {name}"))[0] for name in names}


def peer(host) -> testinfra.host.Host:
    return testinfra.get_host("ansible://peer-app", ansible_inventory=host.backend.ansible_inventory)


def loop_report(host, since: str, failures: list[str], output: str) -> str:
    """What to read when requests failed across a run: the failures, nginx's errors and
    non-2xx answers since ``since`` (the host's ``date +%s``), and the run's task timeline."""
    pattern = r'\[(warn|error|crit|alert)\]|" [45][0-9][0-9] '
    proxy = host.run(f"docker logs --since {since} nginx 2>&1 | grep -E '{pattern}'")
    return "\n".join(["failed requests:", *failures, "nginx:", proxy.stdout, "run:", *task_timeline(output)])


def manage(host, code: str) -> str:
    return host.check_output(f'docker exec app-1 python manage.py shell -v 0 -c "{code}"').strip()


def app_copy(tmp_path: Path, migration: str = "", operations: str = "[]", prelude: str = "") -> Path:
    """A copy of the demo app; with ``migration``, a seller migration of that name after 0001."""
    copy = tmp_path / "pdezzy-app"
    shutil.copytree(APP_SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if migration:
        (copy / "seller" / "migrations" / f"{migration}.py").write_text(
            f"from django.db import migrations\n\n\n{prelude}"
            "class Migration(migrations.Migration):\n"
            "    dependencies = [('seller', '0001_initial')]\n"
            f"    operations = {operations}\n"
        )
    return copy


def test_health_ok_on_every_replica_and_the_alias(host) -> None:
    for target in ("app", "app-1", "app-2"):
        status, body = http(host, "/api/health/", target)
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["checks"] == {"database": "ok", "redis": "ok"}
        assert body["version"] == "v1"


def test_replicas_are_healthy_and_publish_nothing(host) -> None:
    for name, state in replicas(host).items():
        assert state["State"]["Health"]["Status"] == "healthy", name
        assert state["HostConfig"]["PortBindings"] in ({}, None), name
        assert state["Config"]["Image"] == "pdezzy-app:v1"
        assert state["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert not host.socket("tcp://0.0.0.0:8006").is_listening


def release_of(state: dict) -> str:
    return state["Config"]["Labels"]["pdezzy.release"]


def record(host, release: str) -> dict:
    return json.loads(host.file(f"{HOME}/releases/{release}/release.json").content_string)


def link(host, name: str) -> str:
    return Path(host.check_output(f"readlink {HOME}/{name}")).name


def deploy_log(host) -> list[dict]:
    return [json.loads(line) for line in host.file(f"{HOME}/deploys.log").content_string.splitlines()]


def test_the_replicas_run_a_recorded_release(host) -> None:
    """A release is the image plus the configuration it runs with, recorded on the host."""
    live = {release_of(state) for state in replicas(host).values()}
    assert len(live) == 1
    release = live.pop()
    assert release.startswith("v1-")
    assert link(host, "current") == release
    rec = record(host, release)
    assert rec["image"] == "pdezzy-app:v1"
    assert rec["version"] == "v1"
    assert rec["operator"]
    assert rec["created"].endswith("Z")
    assert rec["command"][0] == "daphne"
    assert rec["healthcheck"][0] == "CMD"
    env = host.file(f"{HOME}/releases/{release}/env")
    assert (env.mode, env.user) == (0o600, "pdezzy")
    listing = host.check_output("pdezzy-releases --log")
    assert f"* {release}" in listing, listing
    entries = deploy_log(host)
    assert [(e["action"], e["result"], e["release"]) for e in entries] == [("deploy", "success", release)]
    assert entries[0]["operator"] == rec["operator"]
    # The lock is held only while a deploy runs.
    assert not host.file("/run/pdezzy-deploy/app").exists


def test_env_file_is_private_and_production_safe(host) -> None:
    assert host.file(f"{HOME}/.env").is_symlink
    env = host.file(f"{HOME}/current/env")
    assert env.mode == 0o600
    assert env.user == "pdezzy"
    assert env.contains("^DEBUG=False$")
    assert env.contains(f"^ALLOWED_HOSTS={DOMAIN}$")
    assert env.contains("^DB_ENGINE=django.db.backends.postgresql$")
    assert env.contains("^DB_HOST=pgbouncer$")
    assert env.contains("^DB_PORT=6432$")
    for key in ("SECRET_KEY", "DB_PASSWORD", "REDIS_URL", "EMAIL_HOST_USER", "LONE_WOLF_API_KEY", "OTP_LENGTH"):
        assert env.contains(f"^{key}="), key
    assert not env.contains("DJANGO_SUPERUSER_PASSWORD")


def test_migrations_applied_and_superuser_exists(host) -> None:
    plan = host.check_output("docker exec app-1 python manage.py showmigrations --plan")
    assert "[X]  seller.0001_initial" in plan
    assert "[ ]" not in plan
    count = manage(
        host,
        "from django.contrib.auth import get_user_model as g; print(g().objects.filter(is_superuser=True).count())",
    )
    assert count == "1"


def test_static_files_collected_into_the_volume(host) -> None:
    out = host.check_output("docker run --rm -v pdezzy_static:/s:ro python:3.11-slim ls /s/admin/css")
    assert "base.css" in out.split()


def test_jwt_login_and_protected_endpoint(host) -> None:
    status, _ = http(host, "/api/seller/listings/")
    assert status == 401
    status, tokens = http(host, "/api/token/", method="POST", body={"username": "admin", "password": "wrong"})
    assert status == 401
    status, tokens = http(
        host, "/api/token/", method="POST", body={"username": "admin", "password": "molecule-admin-pw-1"}
    )
    assert status == 200, tokens
    status, created = http(
        host, "/api/seller/listings/", method="POST", body={"title": "Cabin", "price": "1.00"}, bearer=tokens["access"]
    )
    assert status == 201, created
    status, listed = http(host, "/api/seller/listings/", bearer=tokens["access"])
    assert status == 200
    assert "Cabin" in [item["title"] for item in listed]


def test_websocket_echo(host) -> None:
    assert host.check_output(f"{CLIENT} ws-echo app-1 {DOMAIN} hello-echo") == "hello-echo"


def test_websocket_room_crosses_replicas_through_the_channel_layer(host) -> None:
    received = json.loads(host.check_output(f"{CLIENT} ws-room app-1 app-2 {DOMAIN} lobby across-replicas"))
    assert received["message"] == "across-replicas"
    assert received["from"] == replicas(host)["app-1"]["Config"]["Hostname"]


def test_second_version_rolls_the_replicas_without_a_failed_request(host, run_playbook) -> None:
    before = replicas(host)
    client = peer(host)
    started = time.monotonic()
    address = client.check_output("getent hosts vps-app").split()[0]
    start_request_loop(client, f"https://{DOMAIN}/api/health/", f"{DOMAIN}:443:{address}", 240, max_time=10)
    # WebSocket clients through nginx, echoing and reconnecting across the deploy.
    host.run("docker rm -f ws-hold")
    host.check_output(f"{CLIENT.replace('--rm', '-d --name ws-hold')} ws-hold nginx {DOMAIN} {WS_CLIENTS} /tmp/stop")
    since = host.check_output("date +%s")
    result = run_playbook(CONVERGE, {"app_version": "v2", "app_drain_timeout": DRAIN})
    assert result.returncode == 0, result.output
    # Keep the loops going a little past the end of the deploy, then stop them early.
    time.sleep(3)
    elapsed = time.monotonic() - started
    client.run("touch /tmp/loop.stop")
    host.check_output("docker exec ws-hold touch /tmp/stop && docker wait ws-hold")
    websockets = json.loads(host.check_output("docker logs ws-hold"))
    host.check_output("docker rm ws-hold")
    ok, failures = request_loop_counts(client, 15)
    print(f"request loop through nginx across the rolling deploy ({elapsed:.0f} s): {ok} OK, {len(failures)} failed")
    print(f"{WS_CLIENTS} WebSocket clients across it (drain {DRAIN} s): {websockets}")
    assert ok > 50
    assert failures == [], loop_report(host, since, failures, result.output)
    # Each replica left nginx's rotation before it was replaced, and is back in it.
    for name in ("app-1", "app-2"):
        assert task_outcomes(result.output, f"Take the replica out of the proxy's rotation: {name}") == [
            "changed: [vps-app]"
        ], result.output
    assert host.check_output("pdezzy-nginx-upstream list").split() == ["app-1:8006", "up", "app-2:8006", "up"]
    # Every client was on a replaced replica: each was closed, reconnected at once, never got a wrong echo.
    # At most one close per client and replacement: nginx sent no new WebSocket to a drained replica.
    closes = websockets["clean_closes"] + websockets["unclean_closes"]
    assert WS_CLIENTS <= closes <= 2 * WS_CLIENTS, websockets
    assert websockets["connects"] == WS_CLIENTS + closes, websockets
    assert (websockets["connect_failures"], websockets["bad_echoes"]) == (0, 0), websockets
    assert websockets["echoes"] > 50, websockets
    # nginx balances over the new replicas' addresses: every answer through it is v2.
    for _ in range(6):
        body = client.check_output(f"curl -sfk --resolve {DOMAIN}:443:{address} https://{DOMAIN}/api/health/")
        assert json.loads(body)["version"] == "v2"
    after = replicas(host)
    for name in ("app-1", "app-2"):
        assert after[name]["Id"] != before[name]["Id"]
        assert after[name]["Config"]["Image"] == "pdezzy-app:v2"
    # One at a time: app-2 was started only after app-1 had been replaced and was healthy.
    assert after["app-1"]["State"]["StartedAt"] < after["app-2"]["State"]["StartedAt"]
    for target in ("app-1", "app-2"):
        status, body = http(host, "/api/health/", target)
        assert (status, body["version"]) == (200, "v2")
    v2 = release_of(after["app-1"])
    assert link(host, "current") == v2
    assert link(host, "previous") == release_of(before["app-1"])
    assert deploy_log(host)[-1]["release"] == v2
    assert "Deploying " in result.output
    assert "as pdezzy-app:v2" in result.output


def test_concurrent_requests_do_not_pile_up_database_connections(host) -> None:
    client = peer(host)
    address = client.check_output("getent hosts vps-app").split()[0]
    statuses = client.check_output(
        f"seq 400 | xargs -P 8 -I{{}} curl -sk -o /dev/null -w '%{{http_code}}\\n' "
        f"--resolve {DOMAIN}:443:{address} https://{DOMAIN}/api/health/ | sort | uniq -c"
    )
    assert statuses.split() == ["400", "200"], statuses
    connections = host.check_output(
        "docker exec postgres psql -U pdezzy -d pdezzy -At -c "
        "\"SELECT count(*) FROM pg_stat_activity WHERE datname = 'pdezzy' AND pid <> pg_backend_pid()\""
    )
    # The pooler holds the server connections: at most postgres_pgbouncer_max_db_connections.
    assert int(connections) <= 40, connections


def test_failed_health_rolls_back_to_the_previous_release(host, run_playbook, tmp_path: Path) -> None:
    """Image AND configuration go back: the broken version came with a new .env entry."""
    v2 = release_of(replicas(host)["app-1"])
    broken = app_copy(tmp_path)
    views = broken / "common" / "views.py"
    views.write_text(views.read_text().replace("healthy = all(", "healthy = False and all("))
    # Docker keeps a replica "starting" through its start period whatever its checks say, and the
    # deploy waits out app_health_timeout: 30 s are several failed checks 5 s apart (the start interval).
    extra = {
        "app_version": "v3-broken",
        "app_source_dir": str(broken),
        "app_extra_env": {"FEATURE_X": "v3"},
        "app_health_timeout": 30,
    }
    result = run_playbook(CONVERGE, extra, "--diff")
    assert result.returncode != 0
    assert "Version v3-broken (release v3-broken-" in result.output, result.output
    assert f"Every replica runs release {v2} (pdezzy-app:v2) again, with its own configuration." in result.output
    assert '"status": "error"' in result.output  # the failed replica's last health output
    assert_no_secret(result.output, SECRETS)
    for name, state in replicas(host).items():
        assert state["Config"]["Image"] == "pdezzy-app:v2", name
        assert release_of(state) == v2, name
        assert not any(e.startswith("FEATURE_X=") for e in state["Config"]["Env"]), name
        assert state["State"]["Health"]["Status"] == "healthy", name
    status, body = http(host, "/api/health/")
    assert (status, body["version"]) == (200, "v2")
    last = deploy_log(host)[-1]
    assert (last["result"], last["release"][:10], last["previous"]) == ("rolled back", "v3-broken-", v2)


def test_crash_at_start_rolls_back_to_the_previous_command(host, run_playbook) -> None:
    """A release whose command exits at once: the previous release's own command comes back."""
    v2 = release_of(replicas(host)["app-1"])
    extra = {"app_version": "v2", "app_command": ["sh", "-c", "echo crashing; exit 3"], "app_health_timeout": 20}
    result = run_playbook(CONVERGE, extra, "--diff")
    assert result.returncode != 0
    assert "did not become healthy" in result.output, result.output
    assert "crashing" in result.output
    assert_no_secret(result.output, SECRETS)
    for name, state in replicas(host).items():
        assert (release_of(state), state["Config"]["Cmd"][0]) == (v2, "daphne"), name
        assert state["State"]["Health"]["Status"] == "healthy", name


def test_failed_release_step_leaves_the_replicas_alone(host, run_playbook, tmp_path: Path) -> None:
    failing = "def fail(apps, schema_editor):\n    raise RuntimeError('this migration is broken')\n\n\n"
    broken = app_copy(tmp_path, "0002_broken", "[migrations.RunPython(fail)]", failing)
    before = {name: state["Id"] for name, state in replicas(host).items()}
    result = run_playbook(CONVERGE, {"app_version": "v4-bad-migration", "app_source_dir": str(broken)}, "--diff")
    assert result.returncode != 0
    assert "The release step of v4-bad-migration failed (exit 1)" in result.output, result.output
    assert "RuntimeError: this migration is broken" in result.output
    # Printed as the lines they are, not as one line with literal "\n" between them.
    printed = result.stdout + result.stderr  # the failure goes to either, by the callback's settings
    failure = printed.partition("The release step of v4-bad-migration failed")[2].partition("PLAY RECAP")[0]
    assert "RuntimeError: this migration is broken" in [line.strip() for line in failure.splitlines()], failure
    assert "\\n" not in failure, failure
    assert "No replica was changed: pdezzy-app:v2 keeps serving." in result.output
    assert_no_secret(result.output, SECRETS)
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    assert deploy_log(host)[-1]["result"] == "failed"


def test_rerun_changes_nothing_and_keeps_only_the_kept_releases_images(host, run_playbook) -> None:
    before = {name: state["Id"] for name, state in replicas(host).items()}
    log_before = deploy_log(host)
    result = run_playbook(CONVERGE, {"app_version": "v2"})
    assert result.returncode == 0, result.output
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    assert deploy_log(host) == log_before  # nothing moved: nothing logged
    kept = host.check_output(f"ls {HOME}/releases").split()
    live, previous = link(host, "current"), link(host, "previous")
    assert live in kept
    assert previous in kept
    assert len(set(kept) - {live, previous}) <= 2  # app_keep_releases: 2, plus the live and the previous
    tags = set(host.check_output("docker images pdezzy-app --format '{{.Repository}}:{{.Tag}}'").split())
    assert tags == {record(host, release)["image"] for release in kept}, (tags, kept)


def test_dry_run_after_a_secret_rotation_shows_the_replicas_would_move(host, run_playbook) -> None:
    before = {name: state["Id"] for name, state in replicas(host).items()}
    env_before = host.check_output(f"sha256sum {HOME}/.env")
    rotated = "molecule-rotated-" + "9" * 50
    result = run_playbook(CONVERGE, {"app_version": "v2", "app_secret_key": rotated}, "--check", "--diff")
    assert result.returncode == 0, result.output
    for name in ("app-1", "app-2"):
        # Its header, then (past the timing line) its status.
        assert re.search(rf"healthy: {name} on v2-\w+\] [^\]]*?changed: \[vps-app\]", result.output), result.output
    assert_no_secret(result.output, [*SECRETS, rotated])
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    assert host.check_output(f"sha256sum {HOME}/.env") == env_before


def test_no_local_user_but_root_can_take_the_deploy_lock(host) -> None:
    lock_dir = host.file("/run/pdezzy-deploy")
    assert (lock_dir.mode, lock_dir.user) == (0o700, "root")
    taken = host.run("setpriv --reuid=nobody --regid=nogroup --clear-groups mkdir /run/pdezzy-deploy/app")
    assert taken.rc != 0
    assert not host.file("/run/pdezzy-deploy/app").exists
    assert host.file("/etc/tmpfiles.d/pdezzy-deploy.conf").content_string == "d /run/pdezzy-deploy 0700 root root -\n"


def test_a_second_deploy_refuses_while_one_holds_the_lock(host, run_playbook) -> None:
    host.check_output(
        "mkdir /run/pdezzy-deploy/app && echo 'alice (playbook on ops-1) since 2026-11-25T14:03:00Z'"
        " > /run/pdezzy-deploy/app/holder"
    )
    try:
        result = run_playbook(CONVERGE, {"app_version": "v2", "app_extra_env": {"FEATURE_Y": "1"}})
    finally:
        holder = host.file("/run/pdezzy-deploy/app/holder").content_string
        host.check_output("rm -rf /run/pdezzy-deploy/app")
    assert result.returncode != 0
    holder_line = "Another deploy holds the lock /run/pdezzy-deploy/app: alice (playbook on ops-1) since "
    assert holder_line in result.output, result.output
    assert "alice" in holder  # the refused run did not take or drop the other's lock
    assert "changed=0" in result.output, result.output


def test_migrations_are_backed_up_first_and_a_rollback_behind_them_is_refused(
    host, run_playbook, tmp_path: Path
) -> None:
    v2 = link(host, "current")
    newer = app_copy(tmp_path, "0002_newer")
    result = run_playbook(CONVERGE, {"app_version": "v6-migration", "app_source_dir": str(newer)})
    assert result.returncode == 0, result.output
    dump = r"(/var/backups/pdezzy/db-\S+-pre-deploy-v6-migration-\w+\.dump)"
    backup = re.search(r"the database was backed up first to " + dump, result.output)
    assert backup, result.output
    assert host.file(backup.group(1)).size > 0
    assert deploy_log(host)[-1]["pre_migration_backup"] == backup.group(1)
    v6 = link(host, "current")
    assert link(host, "previous") == v2

    before = {name: state["Id"] for name, state in replicas(host).items()}
    refused = run_playbook(ROLLBACK)
    assert refused.returncode != 0
    assert f"Release {v2} is behind the database: it does not know the migrations seller.0002_newer" in refused.output
    assert f"-e backup_restore_from={backup.group(1)}" in refused.output, refused.output
    assert_no_secret(refused.output, SECRETS)
    assert {name: state["Id"] for name, state in replicas(host).items()} == before

    # Forced: back to v2, image and configuration, under load, through the health gate.
    client = peer(host)
    address = client.check_output("getent hosts vps-app").split()[0]
    start_request_loop(client, f"https://{DOMAIN}/api/health/", f"{DOMAIN}:443:{address}", 240, max_time=10)
    started, since = time.monotonic(), host.check_output("date +%s")
    forced = run_playbook(ROLLBACK, {"app_rollback_force": True})
    elapsed = time.monotonic() - started
    time.sleep(3)
    client.run("touch /tmp/loop.stop")
    ok, failures = request_loop_counts(client, 15)
    print(f"forced rollback under load ({elapsed:.0f} s): {ok} sent OK, {len(failures)} failed")
    assert forced.returncode == 0, forced.output
    assert ok > 20
    assert failures == [], loop_report(host, since, failures, forced.output)
    assert {release_of(state) for state in replicas(host).values()} == {v2}
    assert (link(host, "current"), link(host, "previous")) == (v2, v6)
    assert [(e["action"], e["result"], e["release"]) for e in deploy_log(host)[-1:]] == [("rollback", "success", v2)]
    listing = host.check_output("pdezzy-releases")
    assert f"* {v2}" in listing, listing
    assert f"- {v6}" in listing, listing
    unknown = run_playbook(ROLLBACK, {"app_rollback_to": "v0-0000000000"})
    assert unknown.returncode != 0
    assert "There is no release v0-0000000000 to roll back to on this host. Kept releases:" in unknown.output


def test_a_rollback_takes_the_secrets_of_its_run_not_the_releases(host, run_playbook) -> None:
    # After the test above: v2 live (forced back), v6 the previous release. A rollback without a
    # target goes to the previous release, here without force: v6 has no migration behind it.
    target = link(host, "previous")
    assert target.startswith("v6-migration-"), target
    rotated = "molecule-rotated-rollback-" + "7" * 40
    result = run_playbook(ROLLBACK, {"app_secret_key": rotated})
    assert result.returncode == 0, result.output
    assert_no_secret(result.output, [*SECRETS, rotated])
    for name, state in replicas(host).items():
        assert release_of(state) == target, name
        keys = [entry for entry in state["Config"]["Env"] if entry.startswith("SECRET_KEY=")]
        assert keys == [f"SECRET_KEY={rotated}"], f"{name} runs another SECRET_KEY than the inventory's"
    # The release keeps its image and its non-secret settings.
    env = host.file(f"{HOME}/releases/{target}/env")
    assert (env.mode, env.user) == (0o600, "pdezzy")
    assert f"SECRET_KEY={rotated}" in env.content_string
    # The same run again changes nothing.
    again = run_playbook(ROLLBACK, {"app_rollback_to": target, "app_secret_key": rotated})
    assert again.returncode == 0, again.output
    assert f"Release {target} is live already: nothing to do." in again.output, again.output
    assert re.search(r"vps-app : ok=\d+ changed=0 ", again.output), again.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"app_version": "v9", "app_debug": True}, "DEBUG=True (app_debug) is not allowed"),
        ({"app_version": "v9", "app_secret_key": ""}, "app_secret_key is missing"),
        ({"app_version": "v9", "app_secret_key": "django-insecure-" + "x" * 50}, "development/placeholder key"),
        ({"app_version": "v9", "app_allowed_hosts": ["example.org"]}, "app_allowed_hosts must contain app_domain"),
        ({"app_version": "v9", "app_replicas": 0}, "app_replicas must be at least 1"),
        (
            {"app_version": "v9", "app_healthcheck_path": "api/health/", "app_healthcheck_start_interval": "5 s"},
            ("app_healthcheck_path must be a path that", "app_healthcheck_start_interval must be a duration"),
        ),
        (
            {"app_version": "v9", "app_extra_env": {"DB_HOST": "elsewhere", "FEATURE_X": "on"}},
            "app_extra_env: DB_HOST is set by the role from its own variables",
        ),
        ({"app_version": "v9", "app_extra_env": {"BAD-NAME": "1"}}, "app_extra_env: not a variable name: BAD-NAME"),
        (
            {"app_version": "v9", "app_email_host_user": "line one\nline two"},
            "EMAIL_HOST_USER: the value spans several lines",
        ),
        (
            {"app_version": "", "app_source_type": "git", "app_git_repo": "http://127.0.0.1:9/pdezzy.git"},
            "Could not fetch http://127.0.0.1:9/pdezzy.git",
        ),
        (
            {
                "app_source_type": "git",
                "app_git_repo": "https://deploy:molecule-git-token-77@git.example.invalid/app.git",
                "app_git_version": "v1",
            },
            "app_git_repo carries credentials in its URL",
        ),
        (
            {
                "app_source_type": "git",
                "app_git_repo": "https://git.example.invalid/app.git",
                "app_git_https_token": "molecule-git-token-77",
                "app_git_version": "v1",
            },
            "Could not fetch https://git.example.invalid/app.git at v1",
        ),
    ],
)
def test_bad_input_leaves_the_running_version_untouched(
    host, run_playbook, extra: dict, message: str | tuple[str, ...]
) -> None:
    before = {name: state["Id"] for name, state in replicas(host).items()}
    result = run_playbook(CONVERGE, extra, "--diff")
    assert result.returncode != 0
    for part in (message,) if isinstance(message, str) else message:
        assert part in result.output, result.output
    assert_no_secret(result.output, SECRETS)
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    assert "pdezzy-app:v9" not in host.check_output("docker images --format '{{.Repository}}:{{.Tag}}'")


def test_a_new_version_is_built_on_the_current_base_image(host, run_playbook) -> None:
    """A build pulls its base first (app_build_pull): a base tag left stale on the host is put
    back to the registry's image before the new version is built on it."""
    base = "docker image inspect -f '{{.Id}}' python:3.11-slim"
    fresh = host.check_output(base)
    host.check_output(
        "printf 'FROM python:3.11-slim\\nLABEL pdezzy.test.stale=1\\n' | docker build -q -t python:3.11-slim -"
    )
    assert host.check_output(base) != fresh
    result = run_playbook(CONVERGE, {"app_version": "v8-base"})
    assert result.returncode == 0, result.output
    assert host.check_output(base) == fresh
    assert "pdezzy.test.stale" not in host.check_output(
        "docker image inspect -f '{{json .Config.Labels}}' pdezzy-app:v8-base"
    )


def static_files(host) -> set[str]:
    """The files in the static volume (what nginx serves), relative to it."""
    volume = host.check_output("docker volume inspect -f '{{.Mountpoint}}' pdezzy_static")
    return set(host.check_output(f"cd {volume} && find . -type f -printf '%P\\n'").split())


def through_nginx(host, path: str) -> tuple[int, str]:
    """GET https://DOMAIN/PATH through nginx, from the peer; the status and the body."""
    client = peer(host)
    address = client.check_output("getent hosts vps-app").split()[0]
    out = client.check_output(
        f"curl -sk -w '\\n%{{http_code}}' --resolve {DOMAIN}:443:{address} https://{DOMAIN}{path}"
    )
    body, _, status = out.rpartition("\n")
    return int(status), body.strip()


def static_root_app(tmp_path: Path, line: str, marker: str = "") -> Path:
    """A copy of the demo app whose settings end with ``line``; with ``marker``, a static file
    common/<marker>.css of its own."""
    copy = app_copy(tmp_path)
    settings = copy / "pdezzy" / "settings.py"
    settings.write_text(settings.read_text() + f"\n{line}\n")
    if marker:
        css = copy / "common" / "static" / "common" / f"{marker}.css"
        css.parent.mkdir(parents=True)
        css.write_text(f"/* {marker} */\n")
    return copy


def test_a_release_whose_django_sets_no_static_root_is_refused(host, run_playbook, tmp_path: Path) -> None:
    before = {name: state["Id"] for name, state in replicas(host).items()}
    copy = static_root_app(tmp_path, "STATIC_ROOT = None")
    result = run_playbook(CONVERGE, {"app_version": "v9-nostatic", "app_source_dir": str(copy)})
    assert result.returncode != 0
    refusal = "Django's STATIC_ROOT is not set in v9-nostatic: set it in the app's settings"
    assert refusal in result.output, result.output
    assert "No replica was changed." in result.output
    assert_no_secret(result.output, SECRETS)
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    # Nothing of the refused release is left.
    assert host.run(f"ls -d {HOME}/releases/v9-nostatic-*").rc != 0


def test_static_files_go_where_django_puts_them_and_only_the_live_releases_are_served(
    host, run_playbook, tmp_path: Path
) -> None:
    """A common layout (STATIC_ROOT = BASE_DIR / "staticfiles"): collectstatic's output reaches
    nginx, and nothing an earlier app left in the volume is served."""
    before = release_of(replicas(host)["app-1"])
    assert record(host, before)["static_root"] == "/app/static"
    copy = static_root_app(tmp_path, 'STATIC_ROOT = BASE_DIR / "staticfiles"', "v9-marker")
    volume = host.check_output("docker volume inspect -f '{{.Mountpoint}}' pdezzy_static")
    host.check_output(f"echo old > {volume}/left-over.css")
    result = run_playbook(CONVERGE, {"app_version": "v9-staticfiles", "app_source_dir": str(copy)})
    assert result.returncode == 0, result.output
    assert_no_secret(result.output, SECRETS)
    v9 = release_of(replicas(host)["app-1"])
    assert v9.startswith("v9-staticfiles-")
    assert (record(host, v9)["static_root"], record(host, v9)["media_root"]) == ("/app/staticfiles", "/app/media")
    for name, state in replicas(host).items():
        mounts = {mount["Destination"]: mount.get("Name") for mount in state["Mounts"]}
        assert mounts.get("/app/staticfiles") == "pdezzy_static", (name, mounts)
        assert "/app/static" not in mounts, (name, mounts)
    assert through_nginx(host, "/static/common/v9-marker.css") == (200, "/* v9-marker */")
    assert through_nginx(host, "/static/admin/css/base.css")[0] == 200
    assert through_nginx(host, "/static/left-over.css")[0] == 404
    kept = set(host.check_output(f"cd {HOME}/releases/{v9}/static && find . -type f -printf '%P\\n'").split())
    assert "common/v9-marker.css" in kept
    assert static_files(host) == kept
    # A rollback serves its own release's files again, from where its Django put them. (The
    # database holds a migration of an earlier test that neither release knows: forced.)
    back = run_playbook(ROLLBACK, {"app_rollback_to": before, "app_rollback_force": True})
    assert back.returncode == 0, back.output
    assert through_nginx(host, "/static/common/v9-marker.css")[0] == 404
    assert through_nginx(host, "/static/admin/css/base.css")[0] == 200
    assert "common/v9-marker.css" not in static_files(host)
    for name, state in replicas(host).items():
        assert release_of(state) == before, name
        assert "/app/static" in {mount["Destination"] for mount in state["Mounts"]}, name


def test_a_release_step_left_running_by_an_interrupted_deploy_ends_before_the_next(host, tmp_path: Path) -> None:
    """Ctrl-C during the release step leaves its container running (its migrations with it): the
    next deploy waits for it to end instead of replacing it."""
    marker = "/app/media/.release-step-ended"
    host.run(f"docker exec app-1 rm -f {marker}")
    default = "python manage.py migrate --noinput && python manage.py collectstatic --noinput"
    inventory = str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)

    def deploy(command: str, **kwargs: Any) -> subprocess.Popen[str]:
        extra = {"app_version": "v10-slow", "app_release_command": command}
        return subprocess.Popen(
            ["ansible-playbook", "-i", inventory, str(CONVERGE), "-e", json.dumps(extra)],
            env=ansible_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **kwargs,
        )

    first = deploy(f"sleep 40 && touch {marker} && {default}", start_new_session=True)
    try:
        # The release step (the image's settings are asked first, in a container of the same name).
        running = "docker ps --no-trunc --filter name=^app-release$ --filter status=running --format '{{.Command}}'"
        for _ in range(300):
            if "sleep 40" in host.check_output(running):
                break
            time.sleep(1)
        else:
            raise AssertionError("the release step never ran: " + first.communicate(timeout=60)[0])
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert "sleep 40" in host.check_output(running)
    # The interrupted run left its lock, naming this controller and its ended ansible-playbook.
    owner = host.check_output("cat /run/pdezzy-deploy/app/owner").split()
    assert owner == [socket.gethostname(), str(first.pid)]
    second = deploy(default)
    output = " ".join(second.communicate(timeout=600)[0].split())
    assert second.returncode == 0, output
    # The next run from the same controller took the ended run's lock over, and let it go at its end.
    assert task_outcomes(output, "Check whether the lock's owner is a run of this controller that has ended") == [
        "ok: [vps-app -> localhost]"
    ]
    assert not host.file("/run/pdezzy-deploy/app").exists
    assert task_outcomes(output, "Wait for a release step left running by an interrupted run") == ["ok: [vps-app]"]
    # The interrupted release step ran to its end.
    assert host.run(f"docker exec app-1 test -e {marker}").rc == 0, output
    assert_no_secret(output, SECRETS)


def git_repo(host, repo: str) -> str:
    """A bare repository of the demo app on the VPS, tagged git-v1; returns its commit."""
    host.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null")
    host.check_output(f"rm -rf {repo} /tmp/demo-work && mkdir -p /tmp/demo-work")
    host.check_output("docker cp app-1:/app/. /tmp/demo-work/ 2>/dev/null || true")
    host.check_output(
        "cd /tmp/demo-work && rm -rf static media && git init -q -b main && git add -A "
        "&& git -c user.name=t -c user.email=t@t commit -qm demo && git tag git-v1 "
        f"&& git clone -q --bare /tmp/demo-work {repo}"
    )
    return host.check_output(f"git -C {repo} rev-parse HEAD")


def test_git_source_builds_from_a_clean_export_of_the_tagged_commit(host, run_playbook) -> None:
    """A repository on the VPS (file://): the image holds the commit's files, no .git, nothing else."""
    repo = "/srv/demo.git"
    commit = git_repo(host, repo)
    git = {"app_source_type": "git", "app_git_repo": f"file://{repo}", "app_version": ""}
    # Production deploys a tag or a commit, not a branch.
    branch = run_playbook(CONVERGE, {**git, "app_git_version": "main"})
    assert branch.returncode != 0
    assert "app_git_version 'main' is a branch: production deploys a tag or a commit" in branch.output
    # A file left in the build directory by an earlier build must not reach this one.
    host.check_output(f"mkdir -p {HOME}/src && touch {HOME}/src/left_over.py")
    result = run_playbook(CONVERGE, {**git, "app_git_version": "git-v1"})
    assert result.returncode == 0, result.output
    assert f"Deploying file://{repo} git-v1 = commit {commit} as pdezzy-app:{commit[:12]}" in result.output
    assert_no_secret(result.output, SECRETS)
    assert replicas(host)["app-1"]["Config"]["Image"] == f"pdezzy-app:{commit[:12]}"
    rec = record(host, link(host, "current"))
    assert (rec["ref"], rec["commit"]) == ("git-v1", commit)
    assert host.run("docker exec app-1 test -e /app/.git").rc != 0
    assert host.run("docker exec app-1 test -e /app/left_over.py").rc != 0
    assert host.check_output("docker exec app-1 test -e /app/manage.py && echo present") == "present"


def test_private_repository_over_https_with_a_token_kept_out_of_the_url(host, run_playbook) -> None:
    """A token reaches git through the credential helper only: not in the URL, the checkout or the output.

    The test above left this commit live: the fetch over HTTPS and the checkout run as in any
    deploy; that commit's image exists already (a version's image is built once) and the replicas
    stay on it."""
    token = "molecule-git-token-77"
    commit = host.check_output("git -C /srv/demo.git rev-parse git-v1")
    host.run("systemctl stop pdezzy-git-http")
    host.check_output(
        f"systemd-run --unit pdezzy-git-http python3 /usr/local/bin/pdezzy-test-git-http 8099 {token} /srv"
    )
    url = "http://127.0.0.1:8099/demo.git"
    git = {"app_source_type": "git", "app_git_repo": url, "app_git_version": "git-v1", "app_version": ""}
    try:
        refused = run_playbook(CONVERGE, {**git, "app_git_https_token": "wrong-token"})
        assert refused.returncode != 0
        assert f"Could not fetch {url} at git-v1" in refused.output, refused.output
        result = run_playbook(CONVERGE, {**git, "app_git_https_token": token}, "--diff")
        assert result.returncode == 0, result.output
        assert f"Deploying {url} git-v1 = commit {commit}" in result.output
        assert_no_secret(refused.output + result.output, SECRETS)
    finally:
        host.run("systemctl stop pdezzy-git-http")
    assert host.check_output(f"git -C {HOME}/repo config --get remote.origin.url") == url
    # Only the token's own file holds it (root, 0600): not the checkout, the build context or a config.
    assert host.run(f"grep -rl {token} {HOME} /etc /root 2>/dev/null").stdout.split() == [f"{HOME}/.git-token"]
    assert host.file(f"{HOME}/.git-token").mode == 0o600
    assert replicas(host)["app-1"]["Config"]["Image"] == f"pdezzy-app:{commit[:12]}"

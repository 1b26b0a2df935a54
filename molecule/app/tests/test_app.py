"""The app on the VPS, tested in deploy order: v1 converged, v2 rolled, a broken v3 rolled back.

Clients run in throwaway containers on the stack network (port 8006 is never published).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import testinfra
from conftest import assert_no_secret, request_loop_counts, start_request_loop

testinfra_hosts = ["ansible://vps"]

SCENARIO = Path(__file__).resolve().parents[1]
CONVERGE = SCENARIO / "converge.yml"
APP_SOURCE = SCENARIO.parents[1] / "examples" / "pdezzy-app"
DOMAIN = "app.pdezzy.test"
# Every secret of this scenario's inventory: no run, failing or not, may print one.
SECRETS = [
    "molecule-pg-secret-123",
    "molecule-app-db-secret",
    "molecule-redis-secret-123",
    "molecule-0f4c2e9a7b1d8e6f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5",
    "molecule-admin-pw-1",
]
CLIENT = (
    "docker run --rm --network pdezzy -v /usr/local/bin/pdezzy-test-client:/client.py:ro "
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


def manage(host, code: str) -> str:
    return host.check_output(f'docker exec app-1 python manage.py shell -v 0 -c "{code}"').strip()


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


def test_env_file_is_private_and_production_safe(host) -> None:
    env = host.file("/opt/pdezzy/app/.env")
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
    result = run_playbook(CONVERGE, {"app_version": "v2"})
    assert result.returncode == 0, result.output
    # Keep the loop going a little past the end of the deploy, then stop it early.
    time.sleep(3)
    elapsed = time.monotonic() - started
    client.run("touch /tmp/loop.stop")
    ok, fail = request_loop_counts(client, 15)
    print(f"request loop through nginx across the rolling deploy ({elapsed:.0f} s): {ok} sent OK, {fail} failed")
    assert ok > 50
    assert fail == 0
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


def test_failed_health_rolls_back_to_the_previous_version(host, run_playbook, tmp_path: Path) -> None:
    broken = tmp_path / "pdezzy-app"
    shutil.copytree(APP_SOURCE, broken, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    views = broken / "common" / "views.py"
    views.write_text(views.read_text().replace("healthy = all(", "healthy = False and all("))
    result = run_playbook(CONVERGE, {"app_version": "v3-broken", "app_source_dir": str(broken)})
    assert result.returncode != 0
    assert "Version v3-broken did not become healthy" in result.output, result.output
    assert "Every replica runs pdezzy-app:v2 again" in result.output
    assert '"status": "error"' in result.output  # the failed replica's last health output
    assert_no_secret(result.output, SECRETS)
    for name, state in replicas(host).items():
        assert state["Config"]["Image"] == "pdezzy-app:v2", name
        assert state["State"]["Health"]["Status"] == "healthy", name
    status, body = http(host, "/api/health/")
    assert (status, body["version"]) == (200, "v2")


def test_failed_release_step_leaves_the_replicas_alone(host, run_playbook, tmp_path: Path) -> None:
    broken = tmp_path / "pdezzy-app"
    shutil.copytree(APP_SOURCE, broken, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (broken / "seller" / "migrations" / "0002_broken.py").write_text(
        "from django.db import migrations\n\n\n"
        "def fail(apps, schema_editor):\n    raise RuntimeError('this migration is broken')\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('seller', '0001_initial')]\n"
        "    operations = [migrations.RunPython(fail)]\n"
    )
    before = {name: state["Id"] for name, state in replicas(host).items()}
    result = run_playbook(CONVERGE, {"app_version": "v4-bad-migration", "app_source_dir": str(broken)})
    assert result.returncode != 0
    assert "The release step of v4-bad-migration failed (exit 1)" in result.output, result.output
    assert "RuntimeError: this migration is broken" in result.output
    assert "No replica was changed: pdezzy-app:v2 keeps serving." in result.output
    assert_no_secret(result.output, SECRETS)
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    host.check_output("docker image rm pdezzy-app:v4-bad-migration")


def test_rerun_changes_nothing_on_the_replicas_and_prunes_old_images(host, run_playbook) -> None:
    before = {name: state["Id"] for name, state in replicas(host).items()}
    result = run_playbook(CONVERGE, {"app_version": "v2"})
    assert result.returncode == 0, result.output
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    tags = host.check_output("docker images pdezzy-app --format '{{.Tag}}'").split()
    assert sorted(tags) == ["v2", "v3-broken"]  # keep 2: v1 pruned, the running v2 kept


def test_git_source_builds_from_a_clean_export_of_the_commit(host, run_playbook) -> None:
    """A repository on the VPS (file://): the image holds the commit's files, no .git, nothing else."""
    repo = "/srv/demo.git"
    host.check_output("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null")
    host.check_output(f"rm -rf {repo} /tmp/demo-work && mkdir -p /tmp/demo-work")
    host.check_output("docker cp app-1:/app/. /tmp/demo-work/ 2>/dev/null || true")
    host.check_output(
        "cd /tmp/demo-work && rm -rf static media && git init -q -b main && git add -A "
        "&& git -c user.name=t -c user.email=t@t commit -qm demo "
        f"&& git clone -q --bare /tmp/demo-work {repo}"
    )
    commit = host.check_output(f"git -C {repo} rev-parse HEAD")[:12]
    # A file left in the build directory by an earlier build must not reach this one.
    host.check_output("mkdir -p /opt/pdezzy/app/src && touch /opt/pdezzy/app/src/left_over.py")
    extra = {"app_source_type": "git", "app_git_repo": f"file://{repo}", "app_git_version": "main", "app_version": ""}
    result = run_playbook(CONVERGE, extra)
    assert result.returncode == 0, result.output
    assert_no_secret(result.output, SECRETS)
    assert replicas(host)["app-1"]["Config"]["Image"] == f"pdezzy-app:{commit}"
    assert host.run("docker exec app-1 test -e /app/.git").rc != 0
    assert host.run("docker exec app-1 test -e /app/left_over.py").rc != 0
    assert host.check_output("docker exec app-1 test -e /app/manage.py && echo present") == "present"
    # Back to v2 (its image is kept), then the git build's image goes.
    assert run_playbook(CONVERGE, {"app_version": "v2"}).returncode == 0
    host.check_output(f"docker image rm pdezzy-app:{commit}")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"app_version": "v9", "app_debug": True}, "DEBUG=True (app_debug) is not allowed"),
        ({"app_version": "v9", "app_secret_key": ""}, "app_secret_key is missing"),
        ({"app_version": "v9", "app_secret_key": "django-insecure-" + "x" * 50}, "development/placeholder key"),
        ({"app_version": "v9", "app_allowed_hosts": ["example.org"]}, "app_allowed_hosts must contain app_domain"),
        ({"app_version": "v9", "app_replicas": 0}, "app_replicas must be at least 1"),
        ({"app_version": "v9", "app_healthcheck_path": "api/health/"}, "app_healthcheck_path must be a path that"),
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
    ],
)
def test_bad_input_leaves_the_running_version_untouched(host, run_playbook, extra: dict, message: str) -> None:
    before = {name: state["Id"] for name, state in replicas(host).items()}
    result = run_playbook(CONVERGE, extra)
    assert result.returncode != 0
    assert message in result.output, result.output
    assert_no_secret(result.output, SECRETS)
    assert {name: state["Id"] for name, state in replicas(host).items()} == before
    assert "pdezzy-app:v9" not in host.check_output("docker images --format '{{.Repository}}:{{.Tag}}'")

"""The whole site on one VPS, seen as its users and operators see it.

Runs after converge + idempotence (site.yml twice, the second run 0 changed).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import acme_dns  # molecule/harness, put on the path by conftest
import testinfra
from conftest import HARNESS, archive_wal, assert_no_secret, assert_refused
from constants import key_body  # molecule/harness, put on the path by conftest

testinfra_hosts = ["ansible://vps"]

PROJECT = Path(__file__).resolve().parents[3]
CONVERGE = PROJECT / "molecule" / "default" / "converge.yml"
APP_EDGE = PROJECT / "molecule" / "default" / "app-edge.yml"
FIXTURE = PROJECT / "examples" / "thirdparty-app"
HEALTH = PROJECT / "playbooks" / "health-check.yml"
PREFLIGHT = PROJECT / "playbooks" / "preflight.yml"
BACKUP = PROJECT / "playbooks" / "backup.yml"
RESTORE = PROJECT / "playbooks" / "restore.yml"
EDGE = PROJECT / "playbooks" / "edge.yml"
DOMAIN = "site.test"
PSQL = "docker exec postgres psql -U pdezzy -d pdezzy -At -c"
MEDIA = "docker run --rm -v pdezzy_media:/media python:3.11-slim"
ADMIN_PASSWORD = "molecule-site-admin-pw"
# Every secret of this scenario's inventory: no run, failing or not, may print one.
SECRETS = [
    "molecule-site-pg-secret",
    # The passwords with quotes, up to their first quote: a leak shows that part in every output
    # format (JSON and YAML escape what follows).
    "molecule-site-app-db/+@%:",
    "molecule-site-redis/+@%:",
    # The Redis password as it is in the app's REDIS_URL.
    "molecule-site-redis%2F%2B%40%25%3A",
    "molecule-site-7d1e3b5f9a2c4e6081b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7",
    "molecule-smtp-password",
    "molecule-lone-wolf-key",
    "molecule-site-restic-secret",
    ADMIN_PASSWORD,
    # The body of the VPS's login key to the off-host repository.
    *key_body((Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "restic_id").read_text()),
]
# The .env variables of the app contract (roles/app/README.md, "The app contract").
CONTRACT = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DB_ENGINE",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "DB_HOST",
    "DB_PORT",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "DEFAULT_FROM_EMAIL",
    "LONE_WOLF_API_KEY",
    "OTP_EXPIRY_MINUTES",
    "OTP_LENGTH",
    "REDIS_URL",
]
# Exact row count of every table (query_to_xml runs one count(*) per table).
COUNTS = (
    "SELECT table_name || '=' || (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I', "
    "table_name), false, true, '')))[1]::text FROM information_schema.tables "
    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
)


def peer(host) -> testinfra.host.Host:
    return testinfra.get_host("ansible://peer-default", ansible_inventory=host.backend.ansible_inventory)


def vps_address(client: testinfra.host.Host) -> str:
    return client.check_output("getent hosts vps-default").split()[0]


def curl(client: testinfra.host.Host, args: str, path: str) -> str:
    address = vps_address(client)
    return client.check_output(
        f"curl -sS --cacert /root/pebble-root.pem --resolve {DOMAIN}:443:{address} {args} https://{DOMAIN}{path}"
    )


def assert_all_passed(output: str) -> int:
    """The health table passed whole; returns its number of checks."""
    match = re.search(r"(\d+) of (\d+) checks passed", output)
    assert match, output
    assert match.group(1) == match.group(2), output
    return int(match.group(2))


def replica_ids(host) -> dict[str, str]:
    names = host.check_output("docker ps -a --filter label=pdezzy.app=app --format '{{.Names}}'").split()
    return {name: host.check_output(f"docker inspect -f '{{{{.Id}}}}' {name}") for name in sorted(names)}


def table_counts(host) -> dict[str, int]:
    lines = host.check_output(f'{PSQL} "{COUNTS}"').splitlines()
    return {name: int(count) for name, _, count in (line.partition("=") for line in lines)}


def test_health_check_playbook_is_green(host, run_playbook) -> None:
    # A stack without a backup is not healthy; the converge took none.
    assert host.run("ls /var/backups/pdezzy/db-*.dump").rc != 0
    first = run_playbook(HEALTH)
    assert first.returncode != 0
    assert "FAIL /var/backups/pdezzy backup age no database backup yet" in first.output, first.output
    assert run_playbook(BACKUP).returncode == 0
    host.check_output("systemctl start pdezzy-wal-offsite.service")
    result = run_playbook(HEALTH)
    assert result.returncode == 0, result.output
    # nginx, postgres, redis, pgbouncer, app-1, app-2 (running, health, ports), the app's answer
    # through nginx, the certificate, the redirect, Django's database query, the pools, the
    # WebSocket, disk, nginx's upstream, the newest backup, WAL archiving, the newest off-host backup
    # and WAL copies, and the two loopback ports.
    assert assert_all_passed(result.output) == 32
    for row in (
        "PASS https://site.test/admin/login/ app",
        "PASS app-1 database postgresql at pgbouncer:6432",
        "PASS pgbouncer pool",
        "PASS nginx upstream app-1:8006, app-2:8006",
        "PASS static volume release files exactly the files of release ",
        "PASS wss://site.test/ws/chat/health/ websocket",
        "PASS /var/backups/pdezzy backup age newest db-",
        "PASS WAL archive archiving ",
        "PASS sftp:restic@peer-default:/srv/restic/pdezzy off-host copy newest snapshot ",
        "PASS sftp:restic@peer-default:/srv/restic/pdezzy off-host WAL newest snapshot ",
    ):
        assert row in result.output, row


def test_the_health_check_logs_in_to_a_site_behind_basic_auth(host, run_playbook) -> None:
    staging = {
        "nginx_basic_auth_enabled": True,
        "nginx_basic_auth_users": [{"name": "qa", "password": "staging-basic-pw-0e"}],
    }
    edge = run_playbook(EDGE, staging, "--tags", "nginx")
    try:
        assert edge.returncode == 0, edge.output
        assert curl(peer(host), "-o /dev/null -w '%{http_code}'", "/api/properties/") == "401"
        health = run_playbook(HEALTH, staging)
        assert health.returncode == 0, health.output
        assert assert_all_passed(health.output) == 32
        for output in (edge.output, health.output):
            assert "staging-basic-pw-0e" not in output
            assert base64.b64encode(b"qa:staging-basic-pw-0e").decode() not in output
            assert_no_secret(output, SECRETS)
    finally:
        back = run_playbook(EDGE, None, "--tags", "nginx")
        assert back.returncode == 0, back.output
    assert curl(peer(host), "-o /dev/null -w '%{http_code}'", "/api/properties/") == "200"


def test_preflight_on_the_converged_site_passes_and_changes_nothing(run_playbook) -> None:
    result = run_playbook(PREFLIGHT)
    assert result.returncode == 0, result.output
    assert "changed=0" in result.output
    assert "FAIL" not in result.output.replace("failed=0", "")


def test_preflight_reports_every_problem_at_once(host, run_playbook) -> None:
    # A name whose DNS points elsewhere, added to pebble's DNS through its management API.
    subprocess.run(
        [
            "curl", "-sf", "-X", "POST", f"http://127.0.0.1:{HARNESS['CHALLTESTSRV_MANAGEMENT_PORT']}/add-a",
            "-d", json.dumps({"host": "stray.site.test.", "addresses": ["192.0.2.9"]}),
        ],
        check=True,
    )  # fmt: skip
    before = host.check_output("sha256sum /opt/pdezzy/app/.env /opt/pdezzy/nginx/conf.d/pdezzy.conf")
    result = run_playbook(
        PREFLIGHT,
        {
            "preflight_domains": [DOMAIN, "stray.site.test"],
            "postgres_password": "REPLACE-ME",
            "app_lone_wolf_api_key": "",
            "app_debug": True,
            "preflight_ports": [80, 443, 22],
            "preflight_min_disk_free_gb": 100000,
            "preflight_operator_address": "192.0.2.50",
        },
    )
    subprocess.run(
        [
            "curl",
            "-sf",
            "-X",
            "POST",
            f"http://127.0.0.1:{HARNESS['CHALLTESTSRV_MANAGEMENT_PORT']}/clear-a",
            "-d",
            json.dumps({"host": "stray.site.test."}),
        ],
        check=False,
    )
    output = result.output
    assert result.returncode != 0
    for line in [
        "stray.site.test: points at 192.0.2.9, not at this host",
        "postgres_password: still the template's placeholder (REPLACE)",
        "app_lone_wolf_api_key: empty",
        "app_debug: DEBUG is on (production)",
        "port 22: held by sshd",
        "ssh operator: 192.0.2.50 is not in the SSH allow-list",
        "GB free, need 100000 GB",
    ]:
        assert line in output, line
    assert "molecule-site-pg-secret" not in output
    assert "changed=0" in output
    assert host.check_output("sha256sum /opt/pdezzy/app/.env /opt/pdezzy/nginx/conf.d/pdezzy.conf") == before


def test_the_domain_typed_otherwise_is_the_same_site(run_playbook) -> None:
    # Upper case and trailing dots: the same nginx site, the same certificate (no re-issue).
    result = run_playbook(EDGE, {"pdezzy_domain": "SITE.Test.", "pdezzy_domain_aliases": ["WWW.site.test."]})
    assert result.returncode == 0, result.output
    assert re.search(r"vps-default : ok=\d+ changed=0 ", result.output), result.output


def test_a_secret_pasted_with_a_trailing_space_is_refused_unprinted(run_playbook) -> None:
    # (A line break is refused earlier, as a value a .env file cannot carry.)
    result = run_playbook(PROJECT / "playbooks" / "app.yml", {"app_email_host_password": "smtp-pasted-0d "})
    assert_refused(result, "app_email_host_password: white space at the start or the end, or a line break")
    assert "smtp-pasted-0d" not in result.output
    assert_no_secret(result.output, SECRETS)


def test_numbers_and_booleans_given_as_text_are_refused_by_name(run_playbook) -> None:
    # `-e key=value` passes text; every playbook names each such value and its type first.
    deploy = PROJECT / "playbooks" / "deploy-app.yml"
    for playbook in (CONVERGE, deploy):
        result = run_playbook(playbook, None, "-e", "app_replicas=1", "-e", "base_sudo_use_pty=false")
        assert_refused(result, "app_replicas must be an integer, not the text '1'")
        assert "base_sudo_use_pty must be a boolean (true or false), not the text 'false'" in result.output
        assert "TASK [base :" not in result.output, result.output
        assert "TASK [app :" not in result.output, result.output
    # The same values given as JSON are taken: a dry run of the deploy, nothing to change.
    typed = run_playbook(deploy, {"app_replicas": 2, "base_sudo_use_pty": True}, "--check")
    assert typed.returncode == 0, typed.output
    assert re.search(r"vps-default : ok=\d+ changed=0 ", typed.output), typed.output


def test_certbot_must_certify_the_names_nginx_serves(run_playbook) -> None:
    result = run_playbook(EDGE, {"certbot_domains": ["site.test", "api.site.test"]})
    assert_refused(result, "must name the same domains, the same one first")


def test_api_answers_through_nginx_with_the_pebble_certificate(host) -> None:
    body = json.loads(curl(peer(host), "-f", "/api/properties/"))  # curl verifies against pebble's root
    assert isinstance(body, list)
    issuer = peer(host).check_output(
        f"echo | openssl s_client -connect {vps_address(peer(host))}:443 -servername {DOMAIN} 2>/dev/null"
        " | openssl x509 -noout -issuer"
    )
    assert "Pebble" in issuer


def test_websocket_through_nginx(host) -> None:
    client = peer(host)
    echo = client.check_output(
        f"pdezzy-test-client wss-echo {vps_address(client)} {DOMAIN} /root/pebble-root.pem through-nginx "
        "/ws/chat/lobby/"
    )
    assert json.loads(echo) == {"message": "through-nginx"}  # back through the Redis channel layer


def test_env_file_carries_the_whole_contract(host) -> None:
    # .env links to the live release's own copy.
    assert host.file("/opt/pdezzy/app/.env").linked_to.startswith("/opt/pdezzy/app/releases/")
    env = host.file("/opt/pdezzy/app/current/env")
    assert (env.mode, env.user) == (0o600, "pdezzy")
    keys = {line.split("=", 1)[0] for line in env.content_string.splitlines() if "=" in line}
    assert set(CONTRACT) <= keys, set(CONTRACT) - keys
    assert env.contains("^DB_ENGINE=django.db.backends.postgresql$")
    assert env.contains("^DB_HOST=pgbouncer$")
    assert env.contains("^EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend$")


def test_the_app_runs_on_the_stacks_postgresql_not_sqlite(host) -> None:
    applied = int(host.check_output(f"{PSQL} \"SELECT count(*) FROM django_migrations WHERE app = 'listings'\""))
    assert applied == 1
    assert host.check_output(f"{PSQL} \"SELECT to_regclass('listings_property')\"") == "listings_property"
    for replica in ("app-1", "app-2"):
        assert host.run(f"docker exec {replica} ls /app/db.sqlite3").rc != 0, replica


def test_superuser_made_through_djangos_createsuperuser(host) -> None:
    row = host.check_output(f'{PSQL} "SELECT username, email, is_superuser, is_staff FROM auth_user"')
    assert row == "admin|admin@site.test|t|t"


def test_build_context_holds_exactly_the_deployed_source(host) -> None:
    files = set(host.check_output("cd /opt/pdezzy/app/src && find . -type f | sort").split())
    expected = {
        "./" + str(path.relative_to(FIXTURE))
        for path in FIXTURE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert files == expected
    assert host.run("docker exec app-1 test -e /app/.git").rc != 0


def test_admin_static_files_come_from_nginx_with_cache_headers(host) -> None:
    headers = curl(peer(host), "-f -D - -o /dev/null", "/static/admin/css/base.css").lower()
    assert headers.startswith("http/2 200") or headers.startswith("http/1.1 200"), headers
    assert "cache-control: max-age=2592000" in headers
    assert "content-type: text/css" in headers


def test_dry_run_on_the_converged_site_changes_nothing(run_playbook) -> None:
    result = run_playbook(CONVERGE, None, "--check", "--diff")
    assert result.returncode == 0, result.output
    assert "vps-default : ok=" in result.output
    changed = [chunk[:300] for chunk in result.output.split("TASK [")[1:] if "changed: [" in chunk]
    assert "changed=0" in result.output.split("PLAY RECAP")[-1], changed


def test_an_upload_through_the_api_is_served_by_nginx_and_survives_a_deploy(host, run_playbook) -> None:
    client = peer(host)
    client.check_output("echo 'brochure of the cabin' > /tmp/brochure.txt")
    created = json.loads(
        curl(
            client,
            f"-f -u admin:{ADMIN_PASSWORD} -F title=Cabin -F price=125000.00 -F brochure=@/tmp/brochure.txt",
            "/api/properties/",
        )
    )
    assert created["brochure"].startswith(f"https://{DOMAIN}/media/brochures/brochure"), created
    media_path = created["brochure"].removeprefix(f"https://{DOMAIN}")
    assert curl(client, "-f", media_path) == "brochure of the cabin"

    # A file of an earlier build must not reach the next one.
    host.check_output("touch /opt/pdezzy/app/src/pdezzy/stale_module.py")
    result = run_playbook(APP_EDGE, {"app_version": "v2"})
    assert result.returncode == 0, result.output
    assert_no_secret(result.output, SECRETS)
    assert not host.file("/opt/pdezzy/app/src/pdezzy/stale_module.py").exists
    assert host.run("docker exec app-1 test -e /app/stale_module.py").rc != 0
    assert host.check_output("docker inspect -f '{{.Config.Image}}' app-1") == "pdezzy-app:v2"
    titles = [item["title"] for item in json.loads(curl(client, "-f", "/api/properties/"))]
    assert "Cabin" in titles
    assert curl(client, "-f", media_path) == "brochure of the cabin"
    # v2 stays live until the replica-count test's first deploy, which goes back to the
    # inventory's version (the backup tests below read the row made here).


def test_nightly_backup_timer_is_enabled(host) -> None:
    assert host.check_output("systemctl is-enabled pdezzy-backup.timer") == "enabled"
    assert host.check_output("systemctl is-active pdezzy-backup.timer") == "active"


def test_backup_then_drop_then_restore_gives_every_row_back(host, run_playbook) -> None:
    host.check_output(f"{PSQL} \"INSERT INTO auth_group (name) SELECT 'group-' || n FROM generate_series(1, 250) n\"")
    host.check_output(f"{MEDIA} sh -c 'mkdir -p /media/uploads && echo original > /media/uploads/kept.txt'")
    before = table_counts(host)
    assert before["auth_group"] == 250
    assert before["django_migrations"] > 10
    assert before["listings_property"] >= 1  # the row made through the API above

    backup = run_playbook(BACKUP)
    assert backup.returncode == 0, backup.output
    assert "database: /var/backups/pdezzy/db-" in backup.output

    host.check_output(f'{PSQL} "DROP TABLE auth_group CASCADE; DELETE FROM django_migrations"')
    host.check_output(f"{MEDIA} rm /media/uploads/kept.txt")
    assert "auth_group" not in table_counts(host)

    # A dump cut short is refused before the safety backup: nothing is written or restored.
    cut = "/var/backups/pdezzy/db-19700101T000000Z-cut.dump"
    newest = host.check_output("ls /var/backups/pdezzy/db-*.dump | sort | tail -n 1")
    host.check_output(f"head -c $(( $(stat -c %s {newest}) * 2 / 3 )) {newest} > {cut}")
    safety = "ls /var/backups/pdezzy | grep -c -- -pre-restore.dump || true"
    safety_before = host.check_output(safety)
    try:
        refused = run_playbook(RESTORE, {"backup_restore_from": cut})
    finally:
        host.check_output(f"rm -f {cut}")
    assert_refused(refused, f"{cut} cannot be read whole (truncated or corrupt); nothing changed")
    assert host.check_output(safety) == safety_before

    restore = run_playbook(RESTORE)
    assert restore.returncode == 0, restore.output
    assert "database: restored from /var/backups/pdezzy/db-" in restore.output
    assert "-pre-restore.dump" in restore.output  # the safety backup was taken first
    after = table_counts(host)
    print(f"rows before backup: {sum(before.values())}, after restore: {sum(after.values())}")
    assert after == before
    assert host.check_output(f"{MEDIA} cat /media/uploads/kept.txt") == "original"
    # The app serves from the restored database.
    assert isinstance(json.loads(curl(peer(host), "-f", "/api/properties/")), list)


def test_point_in_time_restore_through_the_playbook_then_the_app_serves(host, run_playbook) -> None:
    host.check_output("pdezzy-backup nightly")  # a base backup
    time.sleep(1.5)
    host.check_output(f"{PSQL} \"INSERT INTO auth_group (name) SELECT 'pitr-' || n FROM generate_series(1, 40) n\"")
    time.sleep(1.2)
    target = host.check_output(
        f"{PSQL} \"SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'\""
    )
    time.sleep(1.2)
    host.check_output(f"{PSQL} \"DELETE FROM auth_group WHERE name LIKE 'pitr-%'\"")
    started = time.monotonic()
    result = run_playbook(RESTORE, {"restore_target_time": target})
    print(f"point-in-time restore through playbooks/restore.yml: {time.monotonic() - started:.0f} s")
    assert result.returncode == 0, result.output
    assert "-pre-restore.dump" in result.output  # the safety backup was taken first
    assert f"database: restored to {target[:19]}" in result.output
    assert_no_secret(result.output, SECRETS)
    assert host.check_output(f"{PSQL} \"SELECT count(*) FROM auth_group WHERE name LIKE 'pitr-%'\"") == "40"
    # The app serves from the restored database once its connections are back.
    client = peer(host)
    for _ in range(30):
        if (
            client.run(
                f"curl -sf --cacert /root/pebble-root.pem --resolve {DOMAIN}:443:{vps_address(client)} "
                f"-o /dev/null https://{DOMAIN}/api/properties/"
            ).rc
            == 0
        ):
            break
        time.sleep(1)
    assert isinstance(json.loads(curl(peer(host), "-f", "/api/properties/")), list)


def test_a_failed_nightly_backup_raises_the_alert(host) -> None:
    """The backup refuses while another holds the lock; its unit fails and the alert hook reports it."""
    report = "/var/tmp/pdezzy-alert-pdezzy-backup.service.txt"
    host.run(f"rm -f {report}")
    host.check_output("systemd-run --unit pdezzy-test-lock flock /run/pdezzy-backup/backup.lock sleep 30")
    try:
        assert host.run("systemctl start pdezzy-backup.service").rc != 0
        for _ in range(40):
            if host.file(report).exists:
                break
            time.sleep(0.5)
        assert "another backup or restore is running" in host.file(report).content_string
    finally:
        host.run("systemctl stop pdezzy-test-lock")
        host.run("systemctl reset-failed pdezzy-backup.service")


# wrk runs for its whole -d unless interrupted (SIGINT ends it early with its summary). Each of
# its threads stops after the answers it is given and says so: a fixed amount of work, however
# fast the host serves it (throughput is the bench's figure, not a test's).
WRK_STOP_AFTER = """
local wanted = 0
local answers = 0
function init(args) wanted = tonumber(args[1]) end
function response(status, headers, body)
  answers = answers + 1
  if answers == wanted then
    local marker = io.open("/tmp/wrk-threads-done", "a")
    marker:write("done\\n")
    marker:close()
    wrk.thread:stop()
  end
end
"""


def test_200_clients_get_600_answers_from_a_database_endpoint(host) -> None:
    """The fixture keeps persistent connections (CONN_MAX_AGE=600) under Daphne; the pooler bounds them."""
    client = peer(host)
    client.check_output(f"grep -q ' {DOMAIN}$' /etc/hosts || echo '{vps_address(client)} {DOMAIN}' >> /etc/hosts")
    client.run("systemctl reset-failed wrk 2>/dev/null; rm -f /tmp/wrk.out /tmp/wrk-threads-done")
    client.check_output(f"cat > /tmp/stop-after.lua <<'EOF'\n{WRK_STOP_AFTER}EOF")
    # 200 connections on 2 threads, 300 answers each: 3 per client on average. A fully loaded
    # test host serves ~20 requests/s, so 30 s; at 120 s the site is failing, not slow. A
    # request unanswered after 30 s is an error, not a queue.
    load = (
        "systemd-run --unit=wrk -p StandardOutput=file:/tmp/wrk.out -p StandardError=file:/tmp/wrk.out "
        "wrk -t2 -c200 -d120s --timeout 30s -s /tmp/stop-after.lua "
        f"https://{DOMAIN}:443/api/properties/ -- 300"
    )
    client.check_output(load)
    count = (
        "docker exec postgres psql -U pdezzy -d pdezzy -At -c "
        "\"SELECT count(*) FROM pg_stat_activity WHERE datname = 'pdezzy' AND pid <> pg_backend_pid()\""
    )
    peak = 0
    time.sleep(1)
    while client.run("systemctl is-active wrk").stdout.strip() in ("active", "activating"):
        peak = max(peak, int(host.check_output(count)))
        if client.run("test $(cat /tmp/wrk-threads-done 2>/dev/null | wc -l) -ge 2").rc == 0:
            client.run("systemctl kill --signal=SIGINT wrk")
        time.sleep(1)
    out = client.check_output("cat /tmp/wrk.out")
    print(f"200 clients, 600 answers on /api/properties/: peak {peak} PostgreSQL connections\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    assert requests >= 600, out
    assert "Non-2xx" not in out, out
    assert "Socket errors" not in out, out
    assert 0 < peak <= 40  # the pooler's postgres_pgbouncer_max_db_connections
    # Right after the load the site answers normally.
    for _ in range(5):
        assert isinstance(json.loads(curl(client, "-f", "/api/properties/")), list)


def nginx_serves_again_after_a_restart(host) -> bool:
    """`docker restart nginx`, then up to 60 s for the site to answer through it."""
    host.check_output("docker restart nginx")
    probe = f"curl -fsk -o /dev/null --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/api/properties/"
    for _ in range(60):
        if host.run(probe).rc == 0:
            return True
        time.sleep(1)
    return False


def test_replica_count_drives_nginx_and_the_health_check(host, run_playbook) -> None:
    # Through the day-to-day deploy, whose last play points the edge at the replicas.
    conf = "/opt/pdezzy/nginx/conf.d/pdezzy.conf"
    deploy = PROJECT / "playbooks" / "deploy-app.yml"
    for replicas in (3, 1):
        result = run_playbook(deploy, {"app_replicas": replicas})
        assert result.returncode == 0, result.output
        upstream = re.findall(r"server (app-\d+):8006", host.check_output(f"cat {conf}"))
        assert upstream == [f"app-{n}" for n in range(1, replicas + 1)]
        assert list(replica_ids(host)) == upstream
        health = run_playbook(HEALTH, {"app_replicas": replicas})
        assert health.returncode == 0, health.output
        assert f"PASS app-{replicas} health healthy" in health.output
        assert "PASS nginx upstream app-" in health.output, health.output
    # The health check notices an upstream that names a server which is no replica, and a static
    # volume that holds a file that is not the live release's.
    host.check_output(f"sed -i '/server app-1:8006/a server app-9:8006 resolve;' {conf}")
    static = host.check_output("docker volume inspect -f '{{.Mountpoint}}' pdezzy_static")
    host.check_output(f"echo old > {static}/left-over.css")
    stray = run_playbook(HEALTH, {"app_replicas": 1})
    assert stray.returncode != 0
    assert "FAIL nginx upstream names app-9:8006, not a replica" in stray.output, stray.output
    assert re.search(
        r"FAIL static volume release files not release \S+'s files: 1 not release \S+'s "
        r"\(e\.g\. left-over\.css\)",
        stray.output,
    ), stray.output
    # Fewer replicas (and that stray name), then a restart of nginx: it starts and serves.
    assert nginx_serves_again_after_a_restart(host), host.run("docker logs --tail 20 nginx").stderr
    assert run_playbook(deploy).returncode == 0
    assert list(replica_ids(host)) == ["app-1", "app-2"]
    # A deploy makes the static volume the live release's again.
    assert not host.file(f"{static}/left-over.css").exists
    try:
        # A replica stopped: nginx resolves the replicas while it runs, so it starts and serves anyway.
        host.check_output("docker stop app-2")
        assert nginx_serves_again_after_a_restart(host), host.run("docker logs --tail 20 nginx").stderr
        codes = [curl(peer(host), "-o /dev/null -w '%{http_code}'", "/api/properties/") for _ in range(6)]
        assert codes == ["200"] * 6
    finally:
        host.run("docker start app-2")
    # The stopped replica is back by itself (docker start): healthy, and in nginx's rotation.
    for _ in range(60):
        if host.run("docker inspect -f '{{.State.Health.Status}}' app-2").stdout.strip() == "healthy":
            break
        time.sleep(1)
    assert host.check_output("docker inspect -f '{{.State.Health.Status}}' app-2") == "healthy"


def test_an_app_that_ignores_the_database_settings_is_refused(host, run_playbook, tmp_path: Path) -> None:
    app = tmp_path / "thirdparty-app"
    shutil.copytree(FIXTURE, app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    settings = app / "pdezzy" / "pdezzy" / "settings.py"
    text = settings.read_text()
    for variable in ("DB_ENGINE", "DB_NAME"):
        text = re.sub(rf'os\.getenv\("{variable}", ([^)]*\)?)\)', r"\1", text)
    settings.write_text(text)
    assert "DB_ENGINE" not in settings.read_text()
    before = replica_ids(host)
    result = run_playbook(APP_EDGE, {"app_version": "v9-sqlite", "app_source_dir": str(app)})
    assert result.returncode != 0
    assert "Version v9-sqlite does not use the stack's database" in result.output, result.output
    assert "The app seems to ignore DB_ENGINE, DB_NAME of its .env" in result.output
    assert "No replica was changed: pdezzy-app:v1 keeps serving." in result.output
    assert_no_secret(result.output, SECRETS)
    assert replica_ids(host) == before
    assert isinstance(json.loads(curl(peer(host), "-f", "/api/properties/")), list)


def test_health_check_sees_the_database_behind_the_app(host, run_playbook) -> None:
    host.check_output("docker stop postgres")
    try:
        result = run_playbook(HEALTH)
    finally:
        host.check_output("docker start postgres")
    assert result.returncode != 0
    # Django in a replica, with the replica's settings, reports why it cannot query.
    assert re.search(r"FAIL app-1 database \S*OperationalError: ", result.output), result.output
    assert_no_secret(result.output, SECRETS)
    # Back to green by itself once PostgreSQL is back: the replicas' healthchecks and the pooler
    # recover without a deploy.
    started = time.monotonic()
    for _ in range(10):
        result = run_playbook(HEALTH)
        if result.returncode == 0:
            break
        time.sleep(3)
    print(f"PostgreSQL back to a green health check: {time.monotonic() - started:.0f} s")
    assert assert_all_passed(result.output) == 32


def test_refreshing_unchanged_images_backs_up_and_restarts_nothing(host, run_playbook) -> None:
    services = ["postgres", "pgbouncer", "redis", "nginx"]
    ids = {name: host.check_output(f"docker inspect -f '{{{{.Id}}}}' {name}") for name in services}
    result = run_playbook(PROJECT / "playbooks" / "update-images.yml")
    assert result.returncode == 0, result.output
    assert assert_all_passed(result.output) == 32
    assert_no_secret(result.output, SECRETS)
    # Every pinned tag was asked for again; none changed, so no container was recreated.
    assert {name: host.check_output(f"docker inspect -f '{{{{.Id}}}}' {name}") for name in services} == ids
    assert host.run("ls /var/backups/pdezzy/ | grep -q pre-update").rc == 0


def test_the_stack_comes_back_by_itself_after_the_vps_restarts(host, run_playbook) -> None:
    started = time.monotonic()
    subprocess.run(["docker", "restart", "vps-default"], check=True, timeout=120, capture_output=True)
    result = None
    for _ in range(60):
        result = run_playbook(HEALTH)
        if result.returncode == 0:
            break
        time.sleep(5)
    elapsed = time.monotonic() - started
    assert result is not None
    assert result.returncode == 0, result.output
    print(f"VPS restart to a green health check: {elapsed:.0f} s")
    assert assert_all_passed(result.output) == 32


RECOVER = PROJECT / "playbooks" / "recover.yml"
VPS = "vps-default"


def replace_vps() -> str:
    """Lose the VPS: its container goes with its volumes (the engine's data and image cache among
    them), and a new container of the same image and platform boots in its place, as bare as a
    provider's new VPS. Pebble's DNS points the site's names at the new address. Returns the new
    container's id."""
    old = json.loads(subprocess.check_output(["docker", "inspect", VPS], text=True))[0]
    network = next(iter(old["NetworkSettings"]["Networks"]))
    subprocess.run(["docker", "rm", "--force", "--volumes", VPS], check=True, capture_output=True, timeout=120)
    # The shared VPS platform of .config/molecule/config.yml, as the sandbox's VPS gets it.
    platform = subprocess.check_output(
        [sys.executable, str(PROJECT / "molecule" / "harness" / "platform.py")], text=True
    ).split()
    new = subprocess.check_output(
        ["docker", "run", "--detach", "--name", VPS, "--hostname", VPS, "--network", network, *platform,
         old["Config"]["Image"]],
        text=True,
    ).strip()  # fmt: skip
    assert new != old["Id"]
    for _ in range(120):
        state = subprocess.run(["docker", "exec", VPS, "systemctl", "is-system-running"], capture_output=True)
        if state.stdout.strip() in (b"running", b"degraded"):
            break
        time.sleep(0.5)
    address = subprocess.check_output(
        ["docker", "inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}', VPS],
        text=True,
    ).strip()
    acme_dns.point([DOMAIN, f"www.{DOMAIN}"], address)
    return new


def test_disaster_recovery_onto_a_new_vps_brings_every_row_and_file_back(host, run_playbook) -> None:
    host.check_output(f"{MEDIA} sh -c 'mkdir -p /media/uploads && echo before-the-loss > /media/uploads/dr.txt'")
    host.check_output("pdezzy-backup nightly")
    # Written after the night: only the WAL archive's off-host copy has these rows.
    host.check_output(f"{PSQL} \"INSERT INTO auth_group (name) SELECT 'dr-' || n FROM generate_series(1, 30) n\"")
    archive_wal(host)
    host.check_output("systemctl start pdezzy-wal-offsite.service")
    before = table_counts(host)
    media = host.check_output(f"{MEDIA} sh -c 'cd /media && find . -type f | sort | xargs sha256sum'")

    replace_vps()
    # A bare VPS: no engine, no stack, no backups.
    assert host.run("command -v docker").rc != 0
    assert not host.file("/var/backups/pdezzy").exists
    started = time.monotonic()
    result = run_playbook(RECOVER)
    print(f"recover.yml onto a new VPS (bare, until the last play): {time.monotonic() - started:.0f} s")
    assert result.returncode == 0, result.output
    assert_no_secret(result.output, SECRETS)
    after = table_counts(host)
    print(f"rows before the loss: {sum(before.values())}, after the recovery: {sum(after.values())}")
    assert after == before
    assert host.check_output(f"{MEDIA} sh -c 'cd /media && find . -type f | sort | xargs sha256sum'") == media
    health = run_playbook(HEALTH)
    assert health.returncode == 0, health.output
    print(f"new VPS to a green health check: {time.monotonic() - started:.0f} s")
    # Seen from the internet: the new VPS serves the site with a certificate of its own.
    assert isinstance(json.loads(curl(peer(host), "-f", "/api/properties/")), list)
    # A second run finds a database and refuses, changing nothing.
    again = run_playbook(RECOVER)
    assert again.returncode != 0
    assert "This host has a database already" in again.output
    assert_no_secret(again.output, SECRETS)
    assert table_counts(host) == after

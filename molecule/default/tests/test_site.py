"""The whole site on one VPS, seen as its users and operators see it.

Runs after converge + idempotence (site.yml twice, the second run 0 changed).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import testinfra

testinfra_hosts = ["ansible://vps"]

PROJECT = Path(__file__).resolve().parents[3]
CONVERGE = PROJECT / "molecule" / "default" / "converge.yml"
HEALTH = PROJECT / "playbooks" / "health-check.yml"
PREFLIGHT = PROJECT / "playbooks" / "preflight.yml"
BACKUP = PROJECT / "playbooks" / "backup.yml"
RESTORE = PROJECT / "playbooks" / "restore.yml"
DOMAIN = "pdezzy.test"
PSQL = "docker exec postgres psql -U pdezzy -d pdezzy -At -c"
MEDIA = "docker run --rm -v pdezzy_media:/media python:3.11-slim"
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


def table_counts(host) -> dict[str, int]:
    lines = host.check_output(f'{PSQL} "{COUNTS}"').splitlines()
    return {name: int(count) for name, _, count in (line.partition("=") for line in lines)}


def test_health_check_playbook_is_green(run_playbook) -> None:
    result = run_playbook(HEALTH)
    assert result.returncode == 0, result.output
    assert "21 of 21 checks passed" in result.output, result.output


def test_preflight_on_the_converged_site_passes_and_changes_nothing(run_playbook) -> None:
    result = run_playbook(PREFLIGHT)
    assert result.returncode == 0, result.output
    assert "changed=0" in result.output
    assert "FAIL" not in result.output.replace("failed=0", "")


def test_preflight_reports_every_problem_at_once(host, run_playbook) -> None:
    # A name whose DNS points elsewhere, added to pebble's DNS through its management API.
    subprocess.run(
        [
            "curl", "-sf", "-X", "POST", "http://127.0.0.1:8055/add-a",
            "-d", json.dumps({"host": "stray.pdezzy.test.", "addresses": ["192.0.2.9"]}),
        ],
        check=True,
    )  # fmt: skip
    before = host.check_output("sha256sum /opt/pdezzy/app/.env /opt/pdezzy/nginx/conf.d/pdezzy.conf")
    result = run_playbook(
        PREFLIGHT,
        {
            "preflight_domains": [DOMAIN, "stray.pdezzy.test"],
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
            "http://127.0.0.1:8055/clear-a",
            "-d",
            json.dumps({"host": "stray.pdezzy.test."}),
        ],
        check=False,
    )
    output = result.output
    assert result.returncode != 0
    for line in [
        "stray.pdezzy.test: points at 192.0.2.9, not at this host",
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


def test_api_answers_through_nginx_with_the_pebble_certificate(host) -> None:
    body = json.loads(curl(peer(host), "-f", "/api/health/"))  # curl verifies against pebble's root
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    issuer = peer(host).check_output(
        f"echo | openssl s_client -connect {vps_address(peer(host))}:443 -servername {DOMAIN} 2>/dev/null"
        " | openssl x509 -noout -issuer"
    )
    assert "Pebble" in issuer


def test_websocket_through_nginx(host) -> None:
    client = peer(host)
    echo = client.check_output(
        f"pdezzy-test-client wss-echo {vps_address(client)} {DOMAIN} /root/pebble-root.pem through-nginx"
    )
    assert echo == "through-nginx"


def test_admin_static_files_come_from_nginx_with_cache_headers(host) -> None:
    headers = curl(peer(host), "-f -D - -o /dev/null", "/static/admin/css/base.css").lower()
    assert headers.startswith("http/2 200") or headers.startswith("http/1.1 200"), headers
    assert "cache-control: max-age=2592000" in headers
    assert "content-type: text/css" in headers


def test_only_ssh_and_web_ports_are_reachable_from_the_peer(host) -> None:
    client = peer(host)
    address = vps_address(client)
    ports = " ".join(map(str, [*range(1, 1025), 2375, 2376, 5432, 5433, 6379, 6380, 8000, 8006, 8080, 8443]))
    scan = client.check_output(
        f"printf '%s\\n' {ports} | xargs -P 128 -I{{}} sh -c "
        f"'timeout 2 bash -c \"</dev/tcp/{address}/{{}}\" 2>/dev/null && echo {{}}' | sort -n"
    )
    assert scan.split() == ["22", "80", "443"]


def test_dry_run_on_the_converged_site_changes_nothing(run_playbook) -> None:
    result = run_playbook(CONVERGE, None, "--check", "--diff")
    assert result.returncode == 0, result.output
    assert "vps-default : ok=" in result.output
    assert "changed=0" in result.output.split("PLAY RECAP")[-1]


def test_nightly_backup_timer_is_enabled(host) -> None:
    assert host.check_output("systemctl is-enabled pdezzy-backup.timer") == "enabled"
    assert host.check_output("systemctl is-active pdezzy-backup.timer") == "active"


def test_backup_then_drop_then_restore_gives_every_row_back(host, run_playbook) -> None:
    host.check_output(f"{PSQL} \"INSERT INTO auth_group (name) SELECT 'group-' || n FROM generate_series(1, 250) n\"")
    host.check_output(f"{MEDIA} sh -c 'mkdir -p /media/uploads && echo original > /media/uploads/kept.txt'")
    before = table_counts(host)
    assert before["auth_group"] == 250
    assert before["django_migrations"] > 10

    backup = run_playbook(BACKUP)
    assert backup.returncode == 0, backup.output
    assert "database: /var/backups/pdezzy/db-" in backup.output

    host.check_output(f'{PSQL} "DROP TABLE auth_group CASCADE; DELETE FROM django_migrations"')
    host.check_output(f"{MEDIA} rm /media/uploads/kept.txt")
    assert "auth_group" not in table_counts(host)

    restore = run_playbook(RESTORE)
    assert restore.returncode == 0, restore.output
    assert "database: restored from /var/backups/pdezzy/db-" in restore.output
    assert "-pre-restore.dump" in restore.output  # the safety backup was taken first
    after = table_counts(host)
    print(f"rows before backup: {sum(before.values())}, after restore: {sum(after.values())}")
    assert after == before
    assert host.check_output(f"{MEDIA} cat /media/uploads/kept.txt") == "original"
    # The app serves from the restored database.
    assert json.loads(curl(peer(host), "-f", "/api/health/"))["status"] == "ok"


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
    assert "21 of 21 checks passed" in result.output

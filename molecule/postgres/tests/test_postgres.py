"""PostgreSQL on the VPS: loopback-only, password auth, health, tuning, data kept across recreation."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import assert_refused
from testinfra.backend.base import CommandResult

testinfra_hosts = ["ansible://vps"]

CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
PASSWORD = "molecule-pg-secret-123"
APP_PASSWORD = "molecule-app-db-secret"


def psql(host, sql: str, password: str = PASSWORD) -> CommandResult:
    """Run SQL through the published port 127.0.0.1:5433, as a client on the VPS would."""
    return host.run(
        f"docker run --rm --network host -e PGPASSWORD='{password}' postgres:15 "
        f'psql -h 127.0.0.1 -p 5433 -U pdezzy -d pdezzy -tAc "{sql}"'
    )


def inspect(host) -> dict:
    return json.loads(host.check_output("docker inspect postgres"))[0]


def test_accepts_the_vaulted_password(host) -> None:
    result = psql(host, "select current_user || '@' || current_database()")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "pdezzy@pdezzy"


def test_rejects_a_wrong_password(host) -> None:
    result = psql(host, "select 1", password="not-the-password")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


def test_published_on_loopback_only(host) -> None:
    ports = inspect(host)["HostConfig"]["PortBindings"]
    assert ports == {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}]}
    assert host.socket("tcp://127.0.0.1:5433").is_listening
    assert not host.socket("tcp://0.0.0.0:5433").is_listening


def test_healthcheck_is_pg_isready_every_10s_and_healthy(host) -> None:
    state = inspect(host)
    check = state["Config"]["Healthcheck"]
    assert "pg_isready" in check["Test"][1]
    assert check["Interval"] == 10_000_000_000
    assert state["State"]["Health"]["Status"] == "healthy"
    assert state["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"


def test_password_is_not_in_the_container_environment_or_command(host) -> None:
    state = inspect(host)
    assert PASSWORD not in json.dumps(state["Config"]["Env"])
    assert PASSWORD not in json.dumps(state["Config"]["Cmd"])
    secret = host.file("/opt/pdezzy/postgres/password")
    assert secret.mode == 0o400
    assert secret.uid == 999


def test_tuning_follows_host_memory(host) -> None:
    mem_mb = int(host.check_output("awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo"))
    shared = psql(host, "show shared_buffers").stdout.strip()
    assert shared == f"{max(mem_mb // 4, 128)}MB" or shared == f"{max(mem_mb // 4, 128) // 1024}GB"
    assert psql(host, "show max_connections").stdout.strip() == "100"


def test_rows_survive_a_recreation_for_changed_tuning(host, run_playbook) -> None:
    assert psql(host, "create table if not exists keep (v text); insert into keep values ('before')").rc == 0
    old_id = inspect(host)["Id"]
    result = run_playbook(CONVERGE, {"postgres_max_connections": 120})
    assert result.returncode == 0, result.output
    assert inspect(host)["Id"] != old_id, "a changed setting must recreate the container"
    assert psql(host, "show max_connections").stdout.strip() == "120"
    assert psql(host, "select v from keep").stdout.split() == ["before"]
    # Back to the converged settings: recreated again, row still there.
    assert run_playbook(CONVERGE).returncode == 0
    assert psql(host, "select count(*) from keep").stdout.strip() == "1"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"postgres_password": ""}, "postgres_password must be set from the vault"),
        ({"postgres_password": "short"}, "postgres_password must be set from the vault"),
        ({"postgres_work_mem": "16 megs"}, "postgres_work_mem: not a size"),
        ({"postgres_shared_buffers": "-1MB"}, "postgres_shared_buffers: not a size"),
        ({"postgres_host_port": "five"}, "postgres_host_port"),
        (
            {"postgres_pgbouncer_max_db_connections": 100},
            "postgres_pgbouncer_max_db_connections (100) must be at least 1 and below postgres_max_connections (100)",
        ),
    ],
)
def test_bad_input_fails_before_anything_changes(host, run_playbook, extra: dict, message: str) -> None:
    old_id = inspect(host)["Id"]
    result = run_playbook(CONVERGE, extra)
    assert_refused(result, message)
    assert inspect(host)["Id"] == old_id


@pytest.mark.parametrize(
    "extra",
    [
        {"postgres_password": "pasted-with-its-newline-0a\n"},
        {"postgres_app_password": " leading-space-password-0b"},
        {"postgres_app_password": "two-lines-of-password\nsecond-line-0c"},
    ],
)
def test_a_secret_with_white_space_at_an_end_or_a_line_break_is_refused_unprinted(host, run_playbook, extra) -> None:
    old_id = inspect(host)["Id"]
    result = run_playbook(CONVERGE, extra)
    ((name, value),) = extra.items()
    assert_refused(result, f"{name}: white space at the start or the end, or a line break")
    for part in value.split():
        assert part not in result.output
    assert inspect(host)["Id"] == old_id


def test_short_password_is_not_logged(run_playbook) -> None:
    result = run_playbook(CONVERGE, {"postgres_password": "leakme"})
    assert result.returncode != 0
    assert "leakme" not in result.output


# --- PgBouncer -------------------------------------------------------------------------------


def through_pgbouncer(host, sql: str, password: str = APP_PASSWORD, user: str = "pdezzy_app") -> CommandResult:
    """A client on the stack network, as the app connects: pgbouncer:6432."""
    return host.run(
        f"docker run --rm --network pdezzy -e PGPASSWORD='{password}' postgres:15 "
        f'psql -h pgbouncer -p 6432 -U {user} -d pdezzy -tAc "{sql}"'
    )


def pgbouncer_show(host, what: str) -> str:
    return host.check_output(
        f"docker exec pgbouncer psql -h 127.0.0.1 -p 6432 -U pgbouncer_stats -d pgbouncer -tAc 'SHOW {what}'"
    )


def test_pgbouncer_is_healthy_on_the_network_only(host) -> None:
    state = json.loads(host.check_output("docker inspect pgbouncer"))[0]
    assert state["State"]["Health"]["Status"] == "healthy"
    assert state["HostConfig"]["PortBindings"] in ({}, None)
    assert "pgbouncer" in state["NetworkSettings"]["Networks"]["pdezzy"]["Aliases"]
    assert APP_PASSWORD not in json.dumps(state["Config"])
    userlist = host.file("/opt/pdezzy/pgbouncer/conf/userlist.txt")
    assert (userlist.mode, userlist.uid) == (0o400, 999)


def test_pgbouncer_passes_the_password_through_and_refuses_a_wrong_one(host) -> None:
    result = through_pgbouncer(host, "select current_user || '@' || current_database()")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "pdezzy_app@pdezzy"
    wrong = through_pgbouncer(host, "select 1", password="not-the-password")
    assert wrong.rc != 0
    assert "SASL authentication failed" in wrong.stderr  # PgBouncer checks the password itself


def test_pgbouncer_stats_only_from_inside_its_container(host) -> None:
    assert "transaction" in pgbouncer_show(host, "CONFIG")
    from_network = through_pgbouncer(host, "SHOW POOLS", password="", user="pgbouncer_stats")
    assert from_network.rc != 0
    admin = host.run(
        f"docker run --rm --network pdezzy -e PGPASSWORD='{APP_PASSWORD}' postgres:15 "
        "psql -h pgbouncer -p 6432 -U pdezzy_app -d pgbouncer -tAc 'SHOW POOLS'"
    )
    assert admin.rc != 0
    # PostgreSQL's superuser is not admitted through the pooler at all.
    assert through_pgbouncer(host, "select 1", password=PASSWORD, user="pdezzy").rc != 0


def test_150_clients_share_at_most_40_server_connections(host) -> None:
    """More clients than PostgreSQL's max_connections (100), all served, server side bounded."""
    bench = (
        f"docker run -d --name pgbench --network pdezzy -e PGPASSWORD='{APP_PASSWORD}' postgres:15 sh -c "
        '\'echo "SELECT pg_sleep(0.01);" > /tmp/s.sql && '
        "pgbench -n -h pgbouncer -p 6432 -U pdezzy_app -c 150 -j 4 -T 12 -f /tmp/s.sql pdezzy'"
    )
    host.run("docker rm -f pgbench")
    host.check_output(bench)
    peak = 0
    count = (
        "docker exec postgres psql -U pdezzy -d pdezzy -tAc "
        "\"SELECT count(*) FROM pg_stat_activity WHERE datname = 'pdezzy' AND pid <> pg_backend_pid()\""
    )
    while host.check_output("docker inspect -f '{{.State.Running}}' pgbench") == "true":
        peak = max(peak, int(host.check_output(count)))
    out = host.check_output("docker logs pgbench 2>&1; docker rm pgbench >/dev/null")
    print(f"pgbench through pgbouncer, 150 clients: peak {peak} server connections\n{out}")
    assert "number of clients: 150" in out
    assert "number of failed transactions: 0" in out
    processed = int(out.split("number of transactions actually processed: ")[1].split()[0])
    assert processed > 1000
    assert 0 < peak <= 40


def test_pgbouncer_settings_reload_without_a_restart(host, run_playbook) -> None:
    before = json.loads(host.check_output("docker inspect pgbouncer"))[0]["Id"]
    result = run_playbook(CONVERGE, {"postgres_pgbouncer_default_pool_size": 7})
    assert result.returncode == 0, result.output
    assert "RUNNING HANDLER [postgres : Reload pgbouncer]" in result.output
    assert "default_pool_size|7|" in pgbouncer_show(host, "CONFIG").replace(" ", "")
    assert json.loads(host.check_output("docker inspect pgbouncer"))[0]["Id"] == before
    assert run_playbook(CONVERGE).returncode == 0
    assert "default_pool_size|20|" in pgbouncer_show(host, "CONFIG").replace(" ", "")
    # A reloaded PgBouncer still counts as running for Docker, not as stopped by hand: when its
    # process dies, the restart policy brings it back.
    state = "docker inspect -f '{{.RestartCount}} {{.State.Running}} {{.State.Health.Status}}' pgbouncer"
    restarts = int(host.check_output(state).split()[0])
    host.check_output("kill -9 $(docker inspect -f '{{.State.Pid}}' pgbouncer)")
    for _ in range(30):
        now = host.check_output(state).split()
        if now == [str(restarts + 1), "true", "healthy"]:
            break
        time.sleep(2)
    assert now == [str(restarts + 1), "true", "healthy"]


def test_pgbouncer_is_rebuilt_on_an_updated_base_image(host, run_playbook) -> None:
    """The same postgres tag with new content (what update-images.yml pulls when the tag was
    rebuilt upstream) builds PgBouncer's image again, on it, with the distribution's current
    package; an unchanged base builds nothing."""
    image = "docker inspect -f '{{.Config.Image}}' pgbouncer"
    before = host.check_output(image)
    base = host.check_output("docker inspect -f '{{.Config.Image}}' postgres")
    host.check_output(f"printf 'FROM {base}\\nLABEL pdezzy.test.update=1\\n' | docker build -q -t {base} -")
    result = run_playbook(CONVERGE)
    assert result.returncode == 0, result.output
    after = host.check_output(image)
    assert after != before
    assert after.split(":")[0] == before.split(":")[0] == "pdezzy-pgbouncer"
    parent = host.check_output(f"docker image inspect -f '{{{{.Config.Labels}}}}' {after}")
    assert "pdezzy.test.update:1" in parent
    assert host.check_output("docker inspect -f '{{.State.Health.Status}}' pgbouncer") == "healthy"
    again = run_playbook(CONVERGE)
    assert again.returncode == 0, again.output
    assert "changed=0" in again.output
    assert host.check_output(image) == after


# --- The app's own role ------------------------------------------------------------------------


def superuser_sql(host, sql: str) -> str:
    return host.check_output(f'docker exec postgres psql -X -U pdezzy -d pdezzy -At -c "{sql}"')


def test_app_role_owns_the_database_and_is_no_superuser(host) -> None:
    attributes = superuser_sql(
        host, "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = 'pdezzy_app'"
    )
    assert attributes == "f|f|f|t"
    owner = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'pdezzy'"
    assert superuser_sql(host, owner) == "pdezzy_app"
    cannot = through_pgbouncer(host, "CREATE DATABASE other")
    assert cannot.rc != 0
    assert "permission denied to create database" in cannot.stderr


def test_tables_of_an_earlier_version_move_to_the_app_role_with_their_rows(host, run_playbook) -> None:
    # What a stack of the previous version has: the app's tables made by the superuser.
    superuser_sql(host, "CREATE TABLE legacy_orders (id serial PRIMARY KEY, item text)")
    superuser_sql(host, "INSERT INTO legacy_orders (item) SELECT 'order-' || n FROM generate_series(1, 25) n")
    superuser_sql(host, "CREATE VIEW legacy_view AS SELECT item FROM legacy_orders")
    superuser_sql(host, "CREATE SEQUENCE legacy_numbers")
    superuser_sql(host, "ALTER DATABASE pdezzy OWNER TO pdezzy")
    assert through_pgbouncer(host, "INSERT INTO legacy_orders (item) VALUES ('x')").rc != 0
    result = run_playbook(CONVERGE)
    assert result.returncode == 0, result.output
    assert "changed=1" in result.output.split("PLAY RECAP")[-1], result.output
    owners = superuser_sql(
        host,
        "SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ',') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    )
    assert owners == "pdezzy_app"
    app = through_pgbouncer(host, "INSERT INTO legacy_orders (item) VALUES ('new'); SELECT count(*) FROM legacy_view")
    assert app.rc == 0, app.stderr
    assert app.stdout.split()[-1] == "26"
    assert through_pgbouncer(host, "SELECT nextval('legacy_numbers')").stdout.strip() == "1"
    superuser_sql(host, "DROP VIEW legacy_view; DROP TABLE legacy_orders; DROP SEQUENCE legacy_numbers")


def test_a_rotated_app_password_is_set_and_the_old_one_refused(host, run_playbook) -> None:
    rotated = "molecule-app-db-rotated"
    result = run_playbook(CONVERGE, {"postgres_app_password": rotated})
    assert result.returncode == 0, result.output
    assert rotated not in result.output
    assert through_pgbouncer(host, "select 1", password=rotated).rc == 0
    assert through_pgbouncer(host, "select 1").rc != 0
    assert run_playbook(CONVERGE).returncode == 0
    assert through_pgbouncer(host, "select 1").rc == 0


def test_finished_wal_segments_are_archived_to_the_host(host) -> None:
    assert psql(host, "show archive_mode").stdout.strip() == "on"
    assert psql(host, "show archive_timeout").stdout.strip() == "1min"
    segment = psql(host, "select pg_walfile_name(pg_switch_wal())").stdout.strip()
    for _ in range(60):
        if host.file(f"/var/lib/pdezzy-wal/{segment}.gz").exists:
            break
        time.sleep(0.5)
    assert host.file(f"/var/lib/pdezzy-wal/{segment}.gz").exists
    assert psql(host, "select failed_count from pg_stat_archiver").stdout.strip() == "0"

"""Point-in-time recovery: PostgreSQL's WAL archive, the nightly base backups, pdezzy-restore --time."""

from __future__ import annotations

import time

import pytest
from conftest import archive_wal

testinfra_hosts = ["ansible://vps"]

DIR = "/var/backups/pdezzy"
WAL = "/var/lib/pdezzy-wal"
PSQL = "docker exec postgres psql -X -U pdezzy -d pdezzy -At -c"
# The target as PostgreSQL's own clock reads it, to the microsecond, in UTC.
NOW = "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"


def sql(host, query: str) -> str:
    return host.check_output(f'{PSQL} "{query}"')


def bases(host) -> list[str]:
    return sorted(host.check_output(f"find {DIR} -maxdepth 1 -name 'base-*' -printf '%f\\n'").split())


def test_every_finished_wal_segment_is_archived_gzipped(host) -> None:
    sql(host, "CREATE TABLE IF NOT EXISTS wal_probe (n int)")
    sql(host, "INSERT INTO wal_probe VALUES (1)")
    # Cumulative: the health check's test made the archive refuse segments on purpose.
    failures = sql(host, "SELECT failed_count FROM pg_stat_archiver")
    segment = archive_wal(host)
    assert host.run(f"gunzip -t {WAL}/{segment}.gz").rc == 0
    assert host.check_output(f"gunzip -c {WAL}/{segment}.gz | wc -c") == str(16 * 1024 * 1024)
    assert sql(host, "SELECT failed_count FROM pg_stat_archiver") == failures
    archive = host.file(WAL)
    assert (archive.mode, archive.uid) == (0o700, 999)


def test_a_nightly_backup_takes_a_base_backup_and_trims_the_archive_to_the_oldest(host) -> None:
    for _ in range(4):
        sql(host, "INSERT INTO wal_probe VALUES (2)")
        archive_wal(host)
        out = host.check_output("pdezzy-backup nightly")
        time.sleep(1)  # names carry the time to the second
    kept = bases(host)
    assert len(kept) == 3  # backup_keep
    first = host.check_output(
        f"tar -xzOf {DIR}/{kept[0]} backup_label | sed -n 's/^START WAL LOCATION: .*(file \\(.*\\))$/\\1/p'"
    )
    assert f"WAL archive: kept from {first} on (the start of {kept[0]})" in out
    segments = [name for name in host.check_output(f"ls {WAL}").split() if len(name) == len("0" * 24 + ".gz")]
    assert segments, "no segment left in the archive"
    assert min(name[8:24] for name in segments) == first[8:]
    # Labelled runs take no base backup.
    host.check_output("pdezzy-backup manual")
    assert bases(host) == kept


def test_point_in_time_restore_keeps_what_was_committed_before_the_moment_only(host) -> None:
    host.check_output("pdezzy-backup nightly")
    time.sleep(1.5)
    sql(host, "DROP TABLE IF EXISTS orders")
    sql(host, "CREATE TABLE orders (n int PRIMARY KEY)")
    sql(host, "INSERT INTO orders SELECT generate_series(1, 100)")
    time.sleep(1.2)
    target = sql(host, NOW)
    time.sleep(1.2)
    sql(host, "INSERT INTO orders SELECT generate_series(101, 150)")
    sql(host, "DELETE FROM orders WHERE n <= 10")
    timeline = int(sql(host, "SELECT timeline_id FROM pg_control_checkpoint()"))

    result = host.run(f"pdezzy-restore --time '{target}'")
    assert result.rc == 0, result.stderr
    print(result.stdout)
    assert sql(host, "SELECT count(*), min(n), max(n) FROM orders") == "100|1|100"
    assert f"database: restored to {target[:19]}" in result.stdout
    assert "database as it was: kept in /var/lib/docker/volumes/pdezzy_postgres_data/pre-pitr-" in result.stdout
    # On a new timeline, out of recovery for good: the settings are gone and archiving goes on.
    now = int(sql(host, "SELECT timeline_id FROM pg_control_checkpoint()"))
    assert now > timeline
    settings = host.check_output("docker exec postgres cat /var/lib/postgresql/data/postgresql.auto.conf")
    assert "recovery_target" not in settings, settings
    assert "restore_command" not in settings, settings
    assert "recovery.signal" not in host.check_output("docker exec postgres ls /var/lib/postgresql/data")
    sql(host, "INSERT INTO orders VALUES (1000)")
    segment = archive_wal(host)
    assert segment.startswith(f"{now:08X}")
    host.check_output("docker restart postgres")
    host.check_output("for i in $(seq 60); do docker exec postgres pg_isready -q && break; sleep 1; done")
    assert sql(host, "SELECT count(*), pg_is_in_recovery() FROM orders") == "101|f"


def test_a_restore_to_now_on_a_quiet_database_keeps_every_commit(host) -> None:
    """Recovery stops at the first commit after its target: with nothing written after "now",
    the restore makes one itself instead of failing short of the target."""
    sql(host, "INSERT INTO orders VALUES (2000)")
    time.sleep(1.2)
    target = sql(host, NOW)
    result = host.run(f"pdezzy-restore --time '{target}'")
    assert result.rc == 0, result.stderr
    assert sql(host, "SELECT count(*), max(n) FROM orders") == "102|2000"


@pytest.mark.parametrize(
    ("when", "code", "message"),
    [
        ("2999-01-01 00:00:00+00", 2, "is in the future"),
        ("half past lunch", 2, "is not a time"),
        ("1999-01-01 00:00:00+00", 1, "no base backup ended before 1999-01-01 00:00:00"),
    ],
)
def test_a_time_out_of_reach_is_refused_with_nothing_changed(host, when: str, code: int, message: str) -> None:
    before = sql(host, "SELECT count(*), pg_postmaster_start_time() FROM orders")
    result = host.run(f"pdezzy-restore --time '{when}'")
    assert result.rc == code
    assert message in result.stderr, result.stderr
    assert "nothing changed" in result.stderr or code == 2
    assert sql(host, "SELECT count(*), pg_postmaster_start_time() FROM orders") == before


KEPT = "/var/lib/docker/volumes/pdezzy_postgres_data/pre-pitr-*"


def kept_copies(host) -> str:
    return host.check_output(f"ls -d {KEPT} 2>/dev/null || true")


def test_a_truncated_base_backup_is_refused_before_postgresql_stops(host) -> None:
    newest = f"{DIR}/{bases(host)[-1]}"
    host.check_output(
        f"cp -p {newest} /root/base.keep && truncate -s $(( $(stat -c %s {newest}) / 2 )) {newest}"
        f" && touch -r /root/base.keep {newest}"
    )
    before = sql(host, "SELECT count(*), pg_postmaster_start_time() FROM orders")
    kept = kept_copies(host)
    try:
        result = host.run(f"pdezzy-restore --time '{sql(host, NOW)}'")
        assert result.rc == 1, result.stdout + result.stderr
        assert f"{newest} cannot be read whole (truncated or corrupt)" in result.stderr, result.stderr
        assert "nothing changed" in result.stderr
        checked = host.run(f"pdezzy-restore --check --time '{sql(host, NOW)}'")
        assert checked.rc == 1, checked.stdout
        assert f"{newest} cannot be read whole (truncated or corrupt)" in checked.stderr, checked.stderr
        assert sql(host, "SELECT count(*), pg_postmaster_start_time() FROM orders") == before
        # The copy an earlier restore kept is still there: it goes only after a promotion.
        assert kept_copies(host) == kept
    finally:
        host.check_output(f"mv /root/base.keep {newest}")


def test_an_interrupted_point_in_time_restore_puts_the_database_back_and_starts_it(host) -> None:
    before = sql(host, "SELECT count(*), max(n) FROM orders")
    kept = kept_copies(host)
    target = sql(host, NOW)
    # A unit of its own: the restore gets SIGINT as Ctrl-C sends it (not ignored, as in a background job).
    host.run("systemctl reset-failed pitr-restore 2>/dev/null")
    host.check_output(
        "systemd-run --unit=pitr-restore -p RemainAfterExit=yes -p StandardOutput=file:/tmp/pitr.log"
        f" -p StandardError=file:/tmp/pitr.log pdezzy-restore --time '{target}'"
    )
    for _ in range(600):
        if host.check_output("docker inspect -f '{{.State.Running}}' postgres") == "false":
            break
        time.sleep(0.1)
    else:
        pytest.fail("PostgreSQL never stopped: " + host.file("/tmp/pitr.log").content_string)
    host.check_output("pkill -INT -f '[p]dezzy-restore --time'")
    for _ in range(180):
        if host.run("systemctl is-active -q pitr-restore").rc != 0 or host.check_output(
            "systemctl show -p SubState --value pitr-restore"
        ) in ("exited", "failed"):
            break
        time.sleep(1)
    status = host.check_output("systemctl show -p ExecMainStatus --value pitr-restore")
    log = host.file("/tmp/pitr.log").content_string
    host.run("systemctl stop pitr-restore; systemctl reset-failed pitr-restore 2>/dev/null")
    assert status == "130", log
    assert "putting the database as it was back in place" in log, log
    host.check_output("for i in $(seq 60); do docker exec postgres pg_isready -q && break; sleep 1; done")
    assert sql(host, "SELECT count(*), max(n) FROM orders") == before
    assert sql(host, "SELECT pg_is_in_recovery()") == "f"
    assert kept_copies(host) == kept

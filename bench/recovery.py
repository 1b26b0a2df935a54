"""Bench section recovery: crashes, a point-in-time restore and a disaster recovery, timed."""

from __future__ import annotations

import json
import time

from common import (
    HARNESS,
    VPS,
    Row,
    converged_sandbox,
    crash,
    log,
    playbook,
    row,
    rows_total,
    run,
    runs,
    sql,
    start_backup_host,
    stop_backup_host,
    until_green,
    vps,
)


def point_in_time_restore() -> tuple[float, float, float]:
    """A base backup, rows written, a moment taken, more rows written and some deleted, then
    restore.yml back to the moment: (seconds, rows of the moment missing after it, rows written
    after the moment present after it)."""
    vps("/usr/local/sbin/pdezzy-backup nightly")
    time.sleep(1.5)
    sql("CREATE TABLE bench_pitr (n serial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())")
    sql("INSERT INTO bench_pitr (at) SELECT clock_timestamp() FROM generate_series(1, 1000)")
    time.sleep(1.2)
    at_target = rows_total()
    target = sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.2)
    sql("INSERT INTO bench_pitr (at) SELECT clock_timestamp() FROM generate_series(1, 500)")
    sql("DELETE FROM bench_pitr WHERE n % 10 = 0")
    seconds, result = playbook("playbooks/restore.yml", "-e", json.dumps({"restore_target_time": target}))
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    late = float(sql(f"SELECT count(*) FROM bench_pitr WHERE at > '{target}'"))
    missing = at_target - (rows_total() - late)
    # The database as it was found: a table of the superuser's would stop the next dump restore
    # (it runs as the database's owner).
    sql("DROP TABLE bench_pitr")
    return seconds, missing, late


def disaster_recovery(offsite: list[str]) -> tuple[float, float, float]:
    """The sandbox's data copied off the host (the nightly backup, then rows written after it that
    only the WAL archive's off-host copy has), the sandbox VPS removed with its volumes, a new one
    started, and recover.yml run on it as on a first day (as root): (seconds from the new VPS to a
    green health check, seconds of recover.yml, rows lost)."""
    _, result = playbook("site.yml", *offsite)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    vps("/usr/local/sbin/pdezzy-backup nightly")
    sql("CREATE TABLE bench_dr (n serial PRIMARY KEY)")
    sql("INSERT INTO bench_dr SELECT FROM generate_series(1, 1000)")
    segment = sql("SELECT pg_walfile_name(pg_switch_wal())")
    vps(f"for i in $(seq 60); do test -f /var/lib/pdezzy-wal/{segment}.gz && break; sleep 0.5; done")
    vps("systemctl start pdezzy-wal-offsite.service")
    before = rows_total()
    run(["docker", "rm", "-f", "-v", VPS])
    run([str(HARNESS), "sandbox-vps"])  # booted, with the provider's key for root; no facts kept
    start = time.monotonic()
    seconds, result = playbook("playbooks/recover.yml", "-e", "ansible_user=root", *offsite)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    green, _ = until_green(start)
    lost = before - rows_total()
    sql("DROP TABLE bench_dr")
    return green, seconds, lost


def bench_recovery() -> list[Row]:
    converged_sandbox()
    app, db, restart, backup, restore = [], [], [], [], []
    before, after, pitr, lost, late = [], [], [], [], []
    for i in range(runs()):
        log(f"recovery: run {i + 1}/{runs()}")
        app.append(crash("app-1"))
        db.append(crash("postgres"))
        start = time.monotonic()
        run(["docker", "restart", VPS])
        restart.append(until_green(start))
        before.append(rows_total())
        seconds, result = playbook("playbooks/backup.yml")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        backup.append(seconds)
        seconds, result = playbook("playbooks/restore.yml")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        restore.append(seconds)
        after.append(rows_total())
        seconds, missing, extra = point_in_time_restore()
        pitr.append(seconds)
        lost.append(missing)
        late.append(extra)
    log("recovery: disaster recovery onto a new VPS, from an SFTP backup host")
    offsite = start_backup_host()
    dr = [disaster_recovery(offsite) for _ in range(runs())]
    stop_backup_host()
    note = "health-check.yml red first: " + ", ".join("yes" if red else "no" for _, red in app + db + restart)
    return [
        row("recovery", "app-1 crash (SIGKILL) to green", [s for s, _ in app], "s", "each check run takes a few s"),
        row("recovery", "postgres crash (SIGKILL) to green", [s for s, _ in db], "s"),
        row("recovery", "VPS container restart to green", [s for s, _ in restart], "s", note),
        row("recovery", "backup.yml", backup, "s"),
        row("recovery", "restore.yml (safety backup + restore)", restore, "s"),
        row("recovery", "rows before backup", before, "rows"),
        row("recovery", "rows after restore", after, "rows", "equal to before"),
        row(
            "recovery",
            "restore.yml -e restore_target_time (safety backup + PITR)",
            pitr,
            "s",
            "newest base backup before the moment + WAL replay; PostgreSQL down meanwhile",
        ),
        row("recovery", "PITR: rows of the moment missing after", lost, "rows", "0 = exact"),
        row("recovery", "PITR: rows written after the moment present after", late, "rows", "0 = exact"),
        row(
            "recovery",
            "DR: new VPS to green health check (recover.yml as root, then health-check.yml)",
            [green for green, _, _ in dr],
            "s",
            "base backup + WAL + media from an SFTP restic repository; engine, images and app build from scratch",
        ),
        row("recovery", "DR: recover.yml alone", [seconds for _, seconds, _ in dr], "s"),
        row(
            "recovery",
            "DR: rows lost (written after the nightly backup, WAL shipped)",
            [lost for _, _, lost in dr],
            "rows",
            "0 = none lost",
        ),
    ]

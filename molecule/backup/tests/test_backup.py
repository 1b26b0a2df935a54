"""Backups on the VPS: files, retention, restore, a failed run, bad input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import assert_refused
from testinfra.backend.base import CommandResult

testinfra_hosts = ["ansible://vps"]

CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
DIR = "/var/backups/pdezzy"
PSQL = "docker exec postgres psql -U pdezzy -d pdezzy -At -c"
MEDIA = "docker run --rm -v pdezzy_media:/media postgres:15"


def backups(host, kind: str) -> list[str]:
    return sorted(host.check_output(f"find {DIR} -maxdepth 1 -name '{kind}-*' -printf '%f\\n'").split())


def test_timer_is_enabled_with_the_schedule(host) -> None:
    timer = host.file("/etc/systemd/system/pdezzy-backup.timer")
    assert timer.contains(r"^OnCalendar=\*-\*-\* 03:15:00$")
    assert timer.contains("^Persistent=true$")
    assert host.check_output("systemctl is-enabled pdezzy-backup.timer") == "enabled"
    assert host.check_output("systemctl is-active pdezzy-backup.timer") == "active"


def test_the_service_writes_a_private_dump_and_media_archive(host) -> None:
    host.check_output("systemctl start pdezzy-backup.service")
    (dump,) = backups(host, "db")
    (media,) = backups(host, "media")
    assert dump.endswith("-nightly.dump")
    assert media.endswith("-nightly.tar.gz")
    assert host.file(DIR).mode == 0o700
    assert host.file(f"{DIR}/{dump}").mode == 0o600
    listing = host.check_output(f"docker exec -i postgres pg_restore --list < {DIR}/{dump}")
    assert "PostgreSQL database dump" in listing or "Archive created at" in listing
    assert "./uploads/photo.txt" in host.check_output(f"tar -tzf {DIR}/{media}")


def test_retention_keeps_the_newest_of_each_rotation(host) -> None:
    for _ in range(4):
        host.check_output("pdezzy-backup nightly")
        time.sleep(1)  # names carry the time to the second
    nightly = backups(host, "db")
    assert len(nightly) == 3
    assert all(name.endswith("-nightly.dump") for name in nightly)
    assert len(backups(host, "media")) == 3
    # Labelled backups rotate on their own: they never push a nightly one out.
    for label in ("manual", "pre-deploy-v1-0123456789", "pre-deploy-v2-abcdef0123", "manual"):
        host.check_output(f"pdezzy-backup {label}")
        time.sleep(1)
    assert [name for name in backups(host, "db") if name.endswith("-nightly.dump")] == nightly


def test_a_protected_backup_survives_its_rotation(host) -> None:
    """The safety backup before a restore never removes the (oldest) backup about to be restored."""
    for _ in range(3):
        host.check_output("pdezzy-backup pre-restore")
        time.sleep(1)
    oldest = next(name for name in backups(host, "db") if name.endswith("-pre-restore.dump"))
    out = host.check_output(f"pdezzy-backup --protect {DIR}/{oldest} pre-restore")
    assert f"retention: kept {oldest} (protected)" in out
    assert oldest in backups(host, "db")
    assert "restored from" in host.check_output(f"pdezzy-restore {DIR}/{oldest}")


def test_no_local_user_but_root_can_hold_the_backup_locks(host) -> None:
    run_dir = host.file("/run/pdezzy-backup")
    assert (run_dir.mode, run_dir.user) == (0o700, "root")
    for lock in ("backup.lock", "restic.lock"):
        as_nobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups"
        held = host.run(f"{as_nobody} flock -n /run/pdezzy-backup/{lock} true")
        assert held.rc != 0, lock
    assert host.file("/etc/tmpfiles.d/pdezzy-backup.conf").content_string == "d /run/pdezzy-backup 0700 root root -\n"


def test_a_second_backup_refuses_while_one_runs(host) -> None:
    holder = host.run("systemd-run --unit pdezzy-test-lock flock /run/pdezzy-backup/backup.lock sleep 20")
    assert holder.rc == 0, holder.stderr
    try:
        time.sleep(1)
        before = backups(host, "db")
        second = host.run("pdezzy-backup manual")
        assert second.rc == 75
        assert "another backup or restore is running" in second.stderr
        assert host.run("pdezzy-restore latest").rc == 75
        assert backups(host, "db") == before
    finally:
        host.run("systemctl stop pdezzy-test-lock")


def test_media_changing_during_the_archive_does_not_fail_the_run(host) -> None:
    writer = "pdezzy-test-writer"
    host.check_output(
        f"docker run -d --name {writer} -v pdezzy_media:/media postgres:15 "
        "sh -c 'while :; do date >> /media/uploads/growing.log; done'"
    )
    try:
        time.sleep(2)
        result = host.run("pdezzy-backup manual")
        assert result.rc == 0, result.stderr
        assert "media: " in result.stdout
    finally:
        host.run(f"docker rm -f {writer}")
        host.run(f"{MEDIA} rm -f /media/uploads/growing.log")


def backup_on_a_small_disk(host, command: str, size_kib: int, with_backups: bool = False) -> CommandResult:
    """Run ``command`` with the backups' directory on a file system of ``size_kib`` KiB (holding a
    copy of the backups when ``with_backups``), then put the directory back; returns its result."""
    host.check_output(f"mkdir -p /mnt/small && mount -t tmpfs -o size={size_kib}k tmpfs /mnt/small")
    try:
        if with_backups:
            host.check_output(f"cp -a {DIR}/. /mnt/small/")
        host.check_output(f"mount --bind /mnt/small {DIR}")
        try:
            return host.run(command)
        finally:
            host.check_output(f"umount {DIR}")
    finally:
        host.check_output("umount /mnt/small")


def test_a_backup_that_would_not_fit_writes_nothing(host) -> None:
    before = backups(host, "db")
    # A file system of 1 MiB for the backups: the database alone is larger.
    result = backup_on_a_small_disk(host, "pdezzy-backup manual", 1024)
    assert result.rc == 1
    assert "nothing written" in result.stderr
    assert backups(host, "db") == before


def test_on_a_disk_too_full_for_a_backup_the_wal_archive_is_still_trimmed(host) -> None:
    # The nightly runs above took base backups: the archive reaches back to the oldest's start.
    assert host.check_output(f"find {DIR} -maxdepth 1 -name 'base-*.tar.gz'"), "no base backup"
    stale = "/var/lib/pdezzy-wal/000000010000000000000000.gz"
    host.check_output(f"echo stale | gzip > {stale} && chown --reference=/var/lib/pdezzy-wal {stale}")
    # The backups on a file system with room for what they are and 1 MiB more.
    used_kib = int(host.check_output(f"du -sk {DIR} | cut -f1"))
    result = backup_on_a_small_disk(host, "pdezzy-backup nightly", used_kib + 1024, with_backups=True)
    assert result.rc == 1, result.stdout + result.stderr
    assert "nothing written" in result.stderr
    assert "WAL archive: kept from" in result.stdout
    assert not host.file(stale).exists


def test_restore_of_the_latest_backup_gives_every_row_and_file_back(host) -> None:
    host.check_output(f'{PSQL} "CREATE TABLE IF NOT EXISTS ledger (id int PRIMARY KEY, note text)"')
    host.check_output(f"{PSQL} \"INSERT INTO ledger SELECT n, 'row ' || n FROM generate_series(1, 500) n\"")
    time.sleep(1)
    host.check_output("pdezzy-backup before-drop")
    host.check_output(f'{PSQL} "DROP TABLE ledger"')
    host.check_output(f"{MEDIA} rm /media/uploads/photo.txt")
    out = host.check_output("pdezzy-restore latest")
    assert "-before-drop.dump" in out
    assert host.check_output(f'{PSQL} "SELECT count(*), sum(id) FROM ledger"') == "500|125250"
    assert host.check_output(f"{MEDIA} cat /media/uploads/photo.txt") == "original"


def paused_and_resumed(host, container: str, since: str) -> list[str]:
    """The pause and unpause events of ``container`` since ``since`` (the host's date +%s)."""
    events = host.check_output(
        f"docker events --since {since} --until $(date +%s) --filter container={container} --format '{{{{.Action}}}}'"
    )
    return [event for event in events.split() if event in ("pause", "unpause")]


def test_a_dump_from_before_a_migration_restores_exactly_its_schema(host) -> None:
    """The way back from a bad migration: it added a table with a foreign key to a dumped one, a
    column and a schema. A replica (a container with the app's label) is paused meanwhile."""
    assert host.check_output(f'{PSQL} "SELECT count(*) FROM ledger"') == "500"
    time.sleep(1)
    host.check_output("pdezzy-backup before-migration")
    dump = f"{DIR}/{backups(host, 'db')[-1]}"
    assert dump.endswith("-before-migration.dump")
    migration = (
        "CREATE TABLE ledger_tag (id serial PRIMARY KEY, ledger_id int NOT NULL REFERENCES ledger (id)); "
        "INSERT INTO ledger_tag (ledger_id) VALUES (1), (2); ALTER TABLE ledger ADD COLUMN tag text; "
        "CREATE SCHEMA reporting; CREATE TABLE reporting.totals (n int)"
    )
    host.check_output(f'{PSQL} "{migration}"')
    host.run("docker rm -f app-1")
    host.check_output("docker run -d --name app-1 --label pdezzy.app=app postgres:15 sleep infinity")
    try:
        # A dump that breaks off halfway changes nothing, and the replica runs again.
        since = host.check_output("date +%s")
        truncated = f"{DIR}/db-19700102T000000Z-truncated.dump"
        host.check_output(f"head -c $(( $(stat -c %s {dump}) * 2 / 3 )) {dump} > {truncated}")
        broken = host.run(f"pdezzy-restore {truncated}")
        # Its checks alone tell it apart from a whole one (its table of contents reads fine).
        checked = host.run(f"pdezzy-restore --check {truncated}")
        host.check_output(f"rm -f {truncated}")
        assert checked.rc == 1, checked.stdout
        assert f"{truncated} cannot be read whole (truncated or corrupt); nothing changed" in checked.stderr
        assert host.check_output(f"pdezzy-restore --check {dump}").startswith(f"restorable: {dump} ")
        assert broken.rc != 0, broken.stdout
        assert host.check_output(f'{PSQL} "SELECT count(*) FROM ledger_tag"') == "2"
        assert host.check_output("docker inspect -f '{{.State.Status}}' app-1") == "running"
        # Docker's event times are whole seconds: the runs' events a second apart from the window.
        time.sleep(1.1)
        since = host.check_output("date +%s")
        out = host.check_output(f"pdezzy-restore {dump}")
        time.sleep(1.1)
        assert f"database: restored from {dump}" in out
        tables = f"{PSQL} \"SELECT string_agg(table_schema || '.' || table_name, ' ' ORDER BY 1, 2) FROM "
        tables += "information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')\""
        assert host.check_output(tables) == "public.ledger"
        columns = "SELECT string_agg(column_name, ' ' ORDER BY ordinal_position) FROM information_schema.columns "
        assert host.check_output(f"{PSQL} \"{columns} WHERE table_name = 'ledger'\"") == "id note"
        assert host.check_output(f'{PSQL} "SELECT count(*), sum(id) FROM ledger"') == "500|125250"
        assert host.check_output(f"{PSQL} \"SELECT count(*) FROM pg_namespace WHERE nspname = 'reporting'\"") == "0"
        # The app's role still owns public and may create in it, as the stack made it.
        owner = f"{PSQL} \"SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'\""
        assert host.check_output(owner) == host.check_output(
            f'{PSQL} "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"'
        )
        assert paused_and_resumed(host, "app-1", since) == ["pause", "unpause"]
        assert host.check_output("docker inspect -f '{{.State.Status}}' app-1") == "running"
    finally:
        host.run("docker rm -f app-1")


def test_a_failed_backup_leaves_no_partial_file_and_keeps_the_others(host) -> None:
    before = backups(host, "db")
    host.check_output("docker stop postgres")
    try:
        time.sleep(1)
        result = host.run("pdezzy-backup broken")
        assert result.rc != 0
        assert backups(host, "db") == before
        assert host.check_output(f"find {DIR} -name '.*'") == ""
    finally:
        host.check_output("docker start postgres")
        host.check_output("for i in $(seq 60); do docker exec postgres pg_isready -q && break; sleep 1; done")


def test_restore_of_a_missing_file_and_a_bad_label_are_refused(host) -> None:
    missing = host.run(f"pdezzy-restore {DIR}/db-19700101T000000Z.dump")
    assert missing.rc == 1
    assert "does not exist" in missing.stderr
    assert host.run("pdezzy-backup 'bad label'").rc == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"backup_keep": 0}, "backup_keep must be at least 1"),
        ({"backup_on_calendar": "daily; rm -rf /"}, "backup_on_calendar a systemd"),
        ({"backup_randomized_delay": "a while"}, "backup_randomized_delay a time span"),
        ({"backup_timer_enabled": "sometimes"}, "backup_timer_enabled"),
    ],
)
def test_bad_input_is_refused_with_nothing_changed(host, run_playbook, extra: dict, message: str) -> None:
    before = host.check_output("sha256sum /usr/local/sbin/pdezzy-backup /etc/systemd/system/pdezzy-backup.timer")
    assert_refused(run_playbook(CONVERGE, extra), message)
    assert (
        host.check_output("sha256sum /usr/local/sbin/pdezzy-backup /etc/systemd/system/pdezzy-backup.timer") == before
    )

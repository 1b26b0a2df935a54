from __future__ import annotations

import json

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.backup_findings import (
    FilterModule,
    local_backup_finding,
    offsite_backup_finding,
    wal_archive_finding,
)

# 2026-11-26T12:00:00Z
NOW = "1795694400"
HOUR = 3600.0


def dump(name: str, hours_old: float) -> dict:
    """A file of ansible.builtin.find's result (the keys the filter reads, and a few others)."""
    return {
        "path": f"/var/backups/pdezzy/{name}",
        "mtime": float(NOW) - hours_old * HOUR,
        "size": 20480,
        "mode": "0600",
        "isreg": True,
    }


def found(*files: dict) -> dict:
    return {"changed": False, "files": list(files), "matched": len(files), "examined": 9, "skipped_paths": {}}


# restic 0.14 `snapshots --json` (Debian 12), two snapshots of this host.
SNAPSHOTS = [
    {
        "time": "2026-11-25T03:21:07.842910366Z",
        "tree": "5e0c6f7d29b1",
        "paths": ["/var/backups/pdezzy/db-20261125T032100Z-nightly.dump"],
        "hostname": "vps-backup",
        "username": "root",
        "tags": ["nightly"],
        "id": "1b7c09a42f9e4dbd87f8b93c1e7a1d2f0c3b5a7e9d1f3b5c7e9a1c3e5f7a9b1d",
        "short_id": "1b7c09a4",
    },
    {
        "time": "2026-11-26T04:23:55.120004+01:00",
        "tree": "8a1f2e3d4c5b",
        "paths": ["/var/backups/pdezzy/db-20261126T032300Z-nightly.dump"],
        "hostname": "vps-backup",
        "username": "root",
        "tags": ["nightly"],
        "id": "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "short_id": "9f8e7d6c",
    },
]


def command(stdout: str, rc: int = 0, stderr: str = "") -> dict:
    """A registered command result, as the filters get it."""
    return {"rc": rc, "stdout": stdout, "stderr": stderr}


def restic(snapshots: object, rc: int = 0, stderr: str = "") -> dict:
    return command(json.dumps(snapshots) if rc == 0 else "", rc, stderr)


def test_the_newest_local_dump_decides() -> None:
    result = found(dump("db-20261124T031500Z-nightly.dump", 56.75), dump("db-20261126T101500Z-manual.dump", 1.75))
    finding = local_backup_finding(result, NOW, max_hours=26, name="/var/backups/pdezzy")
    assert finding == {
        "name": "/var/backups/pdezzy",
        "check": "backup age",
        "ok": True,
        "detail": "newest db-20261126T101500Z-manual.dump, 1.8 h old, limit 26 h",
    }


def test_a_local_dump_at_or_over_the_limit_fails() -> None:
    assert not local_backup_finding(found(dump("db-a.dump", 26)), NOW, max_hours=26)["ok"]
    assert local_backup_finding(found(dump("db-a.dump", 25.9)), int(NOW), max_hours="26")["ok"]
    stale = local_backup_finding(found(dump("db-a.dump", 50)), NOW, max_hours=26)
    assert stale["detail"] == "newest db-a.dump, 50.0 h old, limit 26 h"


def test_no_local_dump_or_a_failed_find_fails() -> None:
    none = local_backup_finding(found(), NOW)
    assert not none["ok"]
    assert none["detail"] == "no database backup yet (playbooks/backup.yml takes one now)"
    failed = local_backup_finding({"failed": True, "msg": "Permission denied", "files": []}, NOW)
    assert (failed["ok"], failed["detail"]) == (False, "Permission denied")
    assert not local_backup_finding({"msg": "no files key"}, NOW)["ok"]


def test_a_dump_from_the_future_is_of_age_zero() -> None:
    assert (
        local_backup_finding(found(dump("db-a.dump", -2)), NOW)["detail"] == "newest db-a.dump, 0.0 h old, limit 26 h"
    )


def test_the_newest_snapshot_decides_whatever_its_offset() -> None:
    finding = offsite_backup_finding(restic(SNAPSHOTS), NOW, max_hours=26, name="sftp:restic@backup:/srv/restic")
    # 04:23:55+01:00 is 03:23:55Z: 8.6 h before noon.
    assert finding == {
        "name": "sftp:restic@backup:/srv/restic",
        "check": "off-host copy",
        "ok": True,
        "detail": "newest snapshot 9f8e7d6c (nightly), 8.6 h old, limit 26 h",
    }
    assert not offsite_backup_finding(restic(SNAPSHOTS), NOW, max_hours=8)["ok"]


def test_restic_failing_no_snapshot_or_bad_output_fails() -> None:
    down = offsite_backup_finding(
        restic(None, rc=1, stderr="subprocess ssh: Connection refused\nFatal: unable to open repository\n"), NOW
    )
    assert (down["ok"], down["detail"]) == (False, "Fatal: unable to open repository")
    empty = offsite_backup_finding(restic([]), NOW)
    assert (empty["ok"], empty["detail"]) == (False, "no backup snapshot of this host in the repository")
    assert not offsite_backup_finding({"rc": 0, "stdout": "null"}, NOW)["ok"]
    for bad in ({"rc": 0, "stdout": "not json"}, restic([{"time": "yesterday"}]), restic([{"id": "x"}])):
        finding = offsite_backup_finding(bad, NOW)
        assert not finding["ok"]
        assert finding["detail"].startswith("unreadable restic snapshots output")


def test_wal_snapshots_are_judged_apart_from_the_backups() -> None:
    wal = {"time": "2026-11-26T11:55:00Z", "tags": ["wal"], "short_id": "0a0b0c0d", "id": "0a0b0c0d" * 8}
    snapshots = restic([*SNAPSHOTS, wal])
    # The backups' row ignores the WAL snapshots (a fresh one would hide a stale nightly).
    backup = offsite_backup_finding(snapshots, NOW, max_hours=8)
    assert (backup["ok"], backup["check"]) == (False, "off-host copy")
    shipped = offsite_backup_finding(snapshots, NOW, max_hours=0.25, kind="wal")
    assert shipped == {
        "name": "off-host",
        "check": "off-host WAL",
        "ok": True,
        "detail": "newest snapshot 0a0b0c0d (wal), 5.0 min old, limit 15 min",
    }
    assert not offsite_backup_finding(snapshots, NOW, max_hours=5 / 60, kind="wal")["ok"]
    none = offsite_backup_finding(restic(SNAPSHOTS), NOW, kind="wal")
    assert (none["ok"], none["detail"]) == (False, "no WAL archive snapshot of this host in the repository")
    with pytest.raises(TypeError, match="kind must be backup or wal"):
        offsite_backup_finding(snapshots, NOW, kind="media")


def test_untagged_snapshot_without_a_short_id() -> None:
    snapshot = {"time": "2026-11-26T11:00:00Z", "id": "abcdef0123456789"}
    assert (
        offsite_backup_finding(restic([snapshot]), NOW)["detail"]
        == "newest snapshot abcdef01 (untagged), 1.0 h old, limit 26 h"
    )


# psql's output for the health check's archiver query (PostgreSQL 15), archiving healthy, failing,
# and behind. The clock (NOW) is 12:00:00Z; 1795694340 is 11:59:00Z.
ARCHIVER_OK = (
    '{"ready" : 0, "oldest_ready" : null, "last_archived_wal" : "00000002000000000000000B", '
    '"last_archived" : 1795694340.042709, "failed_count" : 0, "last_failed_wal" : null, '
    '"last_failed" : null, "archive_mode" : "on"}'
)
ARCHIVER_FAILING = (
    '{"ready" : 2, "oldest_ready" : 1795694100.000000, "last_archived_wal" : "00000002000000000000000B", '
    '"last_archived" : 1795693800.042709, "failed_count" : 5, "last_failed_wal" : "00000002000000000000000C", '
    '"last_failed" : 1795694340.586339, "archive_mode" : "on"}'
)
ARCHIVER_RECOVERED = ARCHIVER_FAILING.replace('"last_archived" : 1795693800.042709', '"last_archived" : 1795694370.5')


def test_wal_archive_healthy() -> None:
    finding = wal_archive_finding(command(ARCHIVER_OK), NOW)
    assert finding == {
        "name": "WAL archive",
        "check": "archiving",
        "ok": True,
        "detail": "no segment waiting; last archived 00000002000000000000000B 1.0 min ago",
    }


def test_wal_archive_failing_or_off() -> None:
    failing = wal_archive_finding(command(ARCHIVER_FAILING), NOW)
    assert not failing["ok"]
    assert failing["detail"] == (
        "failing: 00000002000000000000000C not archived, last attempt 1.0 min ago, 2 segment(s) waiting "
        "(PostgreSQL's log says why)"
    )
    off = wal_archive_finding(command(ARCHIVER_OK.replace('"on"', '"off"')), NOW)
    assert (off["ok"], off["detail"]) == (False, "archive_mode is off: no WAL is archived")


def test_wal_archive_lag_counts_from_the_oldest_waiting_segment() -> None:
    # Archiving works again, two segments still wait: 5 min for the oldest.
    behind = wal_archive_finding(command(ARCHIVER_RECOVERED), NOW, max_minutes=5)
    assert not behind["ok"]
    assert behind["detail"].startswith("2 segment(s) waiting, the oldest for 5.0 min, limit 5 min; last archived")
    assert wal_archive_finding(command(ARCHIVER_RECOVERED), NOW, max_minutes="10")["ok"]


def test_wal_archive_unreadable_or_failed_query() -> None:
    down = wal_archive_finding(command("", rc=2, stderr="psql: error: connection refused\n"), NOW)
    assert (down["ok"], down["detail"]) == (False, "psql: error: connection refused")
    for stdout in ("", "not json", '{"archive_mode": "on"}'):
        finding = wal_archive_finding(command(stdout), NOW)
        assert not finding["ok"]
        assert finding["detail"].startswith("unreadable archiver state")
    none_yet = ARCHIVER_OK.replace('"last_archived" : 1795694340.042709', '"last_archived" : null')
    assert wal_archive_finding(command(none_yet), NOW)["detail"] == "no segment waiting; nothing archived yet"


@pytest.mark.parametrize("name", ["local_backup_finding", "offsite_backup_finding", "wal_archive_finding"])
def test_bad_input_is_refused(name: str) -> None:
    fn = FilterModule().filters()[name]
    with pytest.raises(TypeError, match=name):
        fn("not a result", NOW)
    with pytest.raises(TypeError, match="seconds since the epoch"):
        fn(found(), "noon")

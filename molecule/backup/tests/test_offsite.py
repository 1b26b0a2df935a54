"""Off-host copies: every backup also goes to a restic repository on the peer (an SFTP host)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
import testinfra
from conftest import archive_wal, assert_no_secret, assert_refused, task_outcomes
from constants import key_body  # molecule/harness, put on the path by conftest

testinfra_hosts = ["ansible://vps"]

CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
HEALTH = Path(__file__).resolve().parents[1] / "health.yml"
LOCAL_ROW = "/var/backups/pdezzy backup age"
OFFSITE_ROW = "sftp:restic@peer-backup:/srv/restic/pdezzy off-host copy"
OFFSITE_WAL_ROW = "sftp:restic@peer-backup:/srv/restic/pdezzy off-host WAL"
DIR = "/var/backups/pdezzy"
REPO = "/srv/restic/pdezzy"


def secrets() -> list[str]:
    """Every secret of this scenario's inventory, the SFTP key's body included."""
    body = key_body((Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "restic_id").read_text())
    return ["molecule-pg-secret-123", "molecule-app-db-secret", "molecule-restic-repo-secret", *body]


def peer(host) -> testinfra.host.Host:
    return testinfra.get_host("ansible://peer-backup", ansible_inventory=host.backend.ansible_inventory)


def snapshots(host, tag: str) -> list[dict]:
    return json.loads(host.check_output(f"pdezzy-restic snapshots --json --tag {tag}")) or []


def test_the_repository_lives_on_the_backup_host_and_its_settings_are_private(host) -> None:
    assert peer(host).file(f"{REPO}/config").user == "restic"
    assert host.file("/etc/pdezzy-restic").mode == 0o700
    for name in ("env", "password", "id_sftp"):
        assert host.file(f"/etc/pdezzy-restic/{name}").mode == 0o600
    assert host.file("/usr/local/sbin/pdezzy-restic").mode == 0o750


def test_a_backup_is_copied_off_the_host_and_restores_byte_for_byte(host) -> None:
    out = host.check_output("pdezzy-backup manual")
    assert "off-host: copied to the repository (rotation manual)" in out
    dump = sorted(host.check_output(f"ls {DIR} | grep -- '-manual.dump$'").split())[-1]
    (latest,) = json.loads(host.check_output("pdezzy-restic snapshots --json --tag manual --latest 1"))
    assert f"{DIR}/{dump}" in latest["paths"]
    assert latest["hostname"] == "vps-backup"
    host.check_output("rm -rf /tmp/offsite && pdezzy-restic restore latest --tag manual --target /tmp/offsite")
    local = host.check_output(f"sha256sum < {DIR}/{dump}")
    assert host.check_output(f"sha256sum < /tmp/offsite{DIR}/{dump}") == local


def test_the_repository_is_unreadable_without_its_password(host) -> None:
    host.check_output("echo not-the-password > /tmp/wrong-password")
    wrong = host.run("pdezzy-restic --password-file /tmp/wrong-password snapshots")
    assert wrong.rc != 0
    assert "wrong password" in wrong.stderr, wrong.stderr


def test_off_host_retention_keeps_one_snapshot_a_day_per_rotation(host) -> None:
    for _ in range(3):
        host.check_output("pdezzy-backup nightly")
    # All on one day: keep-daily (2), keep-weekly and keep-monthly all pick the newest one.
    nightly = snapshots(host, "nightly")
    assert len(nightly) == 1, nightly
    # The other rotations were not touched by the nightly ones' retention.
    assert snapshots(host, "manual")
    assert snapshots(host, "pre-deploy")


def test_the_weekly_check_reads_data_back(host) -> None:
    assert host.check_output("systemctl is-enabled pdezzy-restic-check.timer") == "enabled"
    unit = host.file("/etc/systemd/system/pdezzy-restic-check.service")
    assert unit.contains("--read-data-subset=5%")
    assert unit.contains("^OnFailure=pdezzy-alert@%n.service$")
    host.check_output("systemctl start pdezzy-restic-check.service")
    assert "no errors were found" in host.check_output(
        "journalctl -u pdezzy-restic-check.service --no-pager -o cat -n 50"
    )


def newest(host, suffix: str) -> str:
    return sorted(name for name in host.check_output(f"ls {DIR}").split() if name.endswith(suffix))[-1]


def test_a_failed_off_host_copy_keeps_the_local_backup_and_fails_the_run(host) -> None:
    backup_host = peer(host)
    backup_host.check_output("systemctl stop ssh.service")
    try:
        before = newest(host, "-manual.dump")
        result = host.run("pdezzy-backup manual")
        assert result.rc == 1
        assert "the off-host copy failed; the local backup is kept" in result.stderr
        assert newest(host, "-manual.dump") > before
        assert_no_secret(result.stdout + result.stderr, secrets())
    finally:
        backup_host.check_output("systemctl start ssh.service")


def test_an_unreachable_repository_fails_the_run_and_prints_no_secret(host, run_playbook) -> None:
    result = run_playbook(CONVERGE, {"backup_offsite_repository": "sftp:restic@nowhere.invalid:/srv/restic/pdezzy"})
    assert result.returncode != 0
    assert task_outcomes(result.output, "Create the repository unless it exists") == ["fatal: [vps-backup]"]
    assert_no_secret(result.output, secrets())
    result = run_playbook(CONVERGE, {"backup_offsite_repository": "sftp:restic@nowhere.invalid:/x"}, "--diff", "-v")
    assert result.returncode != 0
    assert_no_secret(result.output, secrets())
    # Put the real repository back for what follows.
    assert run_playbook(CONVERGE).returncode == 0


def test_bad_off_host_settings_are_refused_with_nothing_changed(host, run_playbook) -> None:
    cases = [
        ({"backup_offsite_password": ""}, "with backup_offsite_password set"),
        ({"backup_offsite_repository": "ftp://backup.example.com/pdezzy"}, "backup_offsite_repository must be"),
        # A host that ssh would read as an option.
        ({"backup_offsite_repository": "sftp:-oProxyCommand=touch_pwned:/srv"}, "backup_offsite_repository must be"),
        ({"backup_offsite_repository": "sftp://restic@-oProxyCommand=x//srv"}, "backup_offsite_repository must be"),
        ({"backup_offsite_repository": "s3:https://s3.example.com/bucket/pdezzy"}, "backup_offsite_s3_access_key_id"),
        ({"backup_offsite_sftp_known_hosts": ""}, "backup_offsite_sftp_known_hosts"),
        ({"backup_offsite_sftp_private_key": "not a key"}, "backup_offsite_sftp_private_key"),
        (
            {"backup_offsite_keep_daily": 0, "backup_offsite_keep_weekly": 0, "backup_offsite_keep_monthly": 0},
            "at least one above 0",
        ),
        ({"backup_offsite_check_read_data_subset": "all of it"}, "backup_offsite_check_read_data_subset"),
    ]
    before = host.check_output("sha256sum /etc/pdezzy-restic/env /usr/local/sbin/pdezzy-backup")
    for extra, message in cases:
        result = run_playbook(CONVERGE, extra)
        assert_refused(result, message)
        assert_no_secret(result.output, secrets())
    assert host.check_output("sha256sum /etc/pdezzy-restic/env /usr/local/sbin/pdezzy-backup") == before


def test_a_wrong_repository_password_is_refused_and_the_host_keeps_the_right_one(host, run_playbook) -> None:
    wrong = "not-the-repository-password-4711"
    settings = "sha256sum /etc/pdezzy-restic/password /etc/pdezzy-restic/env /usr/local/sbin/pdezzy-restic"
    before = host.check_output(settings)
    for flags in ((), ("--check", "--diff")):
        result = run_playbook(CONVERGE, {"backup_offsite_password": wrong}, *flags)
        assert_refused(result, "backup_offsite_password does not open the repository")
        assert_no_secret(result.output, [*secrets(), wrong])
    assert host.check_output(settings) == before
    # The copies go on with the password the host kept.
    assert "off-host: copied to the repository" in host.check_output("pdezzy-backup manual")


def test_the_wal_archive_is_shipped_off_the_host_every_few_minutes(host) -> None:
    assert host.check_output("systemctl is-enabled pdezzy-wal-offsite.timer") == "enabled"
    assert host.file("/etc/systemd/system/pdezzy-wal-offsite.timer").contains(r"^OnCalendar=\*:0/5$")
    psql = "docker exec postgres psql -X -U pdezzy -d pdezzy -At -c"
    host.check_output(f'{psql} "CREATE TABLE IF NOT EXISTS shipped (n int); INSERT INTO shipped VALUES (1)"')
    segment = archive_wal(host)
    host.check_output("systemctl start pdezzy-wal-offsite.service")
    host.check_output("rm -rf /tmp/wal-offsite && pdezzy-restic restore latest --tag wal --target /tmp/wal-offsite")
    assert host.file(f"/tmp/wal-offsite/var/lib/pdezzy-wal/{segment}.gz").exists
    assert (
        host.check_output(f"cmp /tmp/wal-offsite/var/lib/pdezzy-wal/{segment}.gz /var/lib/pdezzy-wal/{segment}.gz")
        == ""
    )


def test_one_restic_at_a_time_and_reads_without_a_lock_pass(host) -> None:
    holder = host.run("systemd-run --unit pdezzy-test-restic-lock flock /run/pdezzy-backup/restic.lock sleep 30")
    assert holder.rc == 0, holder.stderr
    try:
        time.sleep(1)
        assert host.run("timeout 5 pdezzy-restic snapshots --json").rc == 124  # waits its turn
        assert host.run("timeout 60 pdezzy-restic --no-lock snapshots --json").rc == 0
    finally:
        host.run("systemctl stop pdezzy-test-restic-lock")


def test_a_backup_someone_waits_for_does_not_wait_for_the_weekly_check(host) -> None:
    """The weekly check holds the repository (the host's restic lock) for long: a pre-deploy
    backup, which a deploy's migrations wait for, is made at once and leaves its copy out."""
    unit = host.file("/etc/systemd/system/pdezzy-restic-check.service")
    assert not unit.contains("backup.lock"), unit.content_string
    holder = host.run("systemd-run --unit pdezzy-test-restic-check flock /run/pdezzy-backup/restic.lock sleep 300")
    assert holder.rc == 0, holder.stderr
    try:
        time.sleep(1)
        started = time.monotonic()
        run = host.run("pdezzy-backup pre-deploy-busy")
        elapsed = time.monotonic() - started
        assert run.rc == 0, run.stderr
        assert (
            "off-host: not copied: another restic run (the weekly repository check, say) held the repository for 10 s"
            in run.stdout
        )
        assert elapsed < 60, elapsed
        assert newest(host, "-pre-deploy-busy.dump")
    finally:
        host.run("systemctl stop pdezzy-test-restic-check")
    # Once the check ends, restic runs take the lock again.
    assert host.run("timeout 5 pdezzy-restic snapshots --json").rc == 0


def test_health_rows_give_the_age_of_the_newest_local_and_off_host_backup(host, run_playbook) -> None:
    # The timer's copy (every 5 minutes) must not make a WAL snapshot newer than the host's clock
    # between the runs below: the "too old" run expects this test's own copy to be the newest.
    host.check_output("systemctl stop pdezzy-wal-offsite.timer")
    try:
        host.check_output("systemctl start pdezzy-wal-offsite.service")
        host.check_output("pdezzy-backup manual")
        dump = newest(host, "-manual.dump")
        (latest,) = json.loads(host.check_output("pdezzy-restic snapshots --json --tag manual --latest 1"))
        fresh = run_playbook(HEALTH)
        assert fresh.returncode == 0, fresh.output
        assert f"PASS {LOCAL_ROW} newest {dump}, 0.0 h old, limit 26 h" in fresh.output
        assert (
            f"PASS {OFFSITE_ROW} newest snapshot {latest['short_id']} (manual), 0.0 h old, limit 26 h" in fresh.output
        )
        assert "PASS WAL archive archiving " in fresh.output
        assert f"PASS {OFFSITE_WAL_ROW} newest snapshot " in fresh.output
        assert "changed=0" in fresh.output
        # Under a tighter limit both are too old.
        stale = run_playbook(
            HEALTH,
            {
                "backup_health_max_age_hours": 0.0001,
                "backup_health_max_offsite_age_hours": 0.0001,
                "backup_health_max_offsite_wal_age_minutes": 0.001,
            },
        )
        assert stale.returncode != 0
        assert f"FAIL {LOCAL_ROW} newest {dump}, 0.0 h old, limit 0.0001 h" in stale.output
        assert f"FAIL {OFFSITE_ROW} newest snapshot {latest['short_id']} (manual)" in stale.output
        assert re.search(
            rf"FAIL {re.escape(OFFSITE_WAL_ROW)} newest snapshot \w+ \(wal\), [0-9.]+ min old", stale.output
        )
    finally:
        host.check_output("systemctl start pdezzy-wal-offsite.timer")


def test_health_fails_without_a_local_backup_or_a_reachable_repository(host, run_playbook) -> None:
    backup_host = peer(host)
    host.check_output(f"mv {DIR} {DIR}.aside && install -d -m 0700 {DIR}")
    backup_host.check_output("systemctl stop ssh.service")
    try:
        result = run_playbook(HEALTH)
    finally:
        backup_host.check_output("systemctl start ssh.service")
        host.check_output(f"rmdir {DIR} && mv {DIR}.aside {DIR}")
    assert result.returncode != 0
    assert f"FAIL {LOCAL_ROW} no database backup yet (playbooks/backup.yml takes one now)" in result.output
    # restic's own last word on it.
    assert re.search(rf"FAIL {re.escape(OFFSITE_ROW)} Fatal: \S", result.output), result.output
    assert re.search(rf"FAIL {re.escape(OFFSITE_WAL_ROW)} Fatal: \S", result.output), result.output
    assert_no_secret(result.output, secrets())
    assert run_playbook(HEALTH).returncode == 0


def test_health_fails_while_the_wal_archive_refuses_segments(host, run_playbook) -> None:
    psql = "docker exec postgres psql -X -U pdezzy -d pdezzy -At -c"
    host.check_output("chmod 0500 /var/lib/pdezzy-wal")
    try:
        host.check_output(
            f'{psql} "CREATE TABLE IF NOT EXISTS archive_probe (n int); INSERT INTO archive_probe VALUES (1)"'
        )
        segment = host.check_output(f'{psql} "SELECT pg_walfile_name(pg_switch_wal())"')
        time.sleep(3)  # the archiver tries, and fails
        result = run_playbook(HEALTH)
    finally:
        host.check_output("chmod 0700 /var/lib/pdezzy-wal")
    assert result.returncode != 0
    assert f"FAIL WAL archive archiving failing: {segment} not archived" in result.output, result.output
    # It catches up by itself (the archiver retries), and the row turns green.
    for _ in range(60):
        if host.file(f"/var/lib/pdezzy-wal/{segment}.gz").exists:
            break
        time.sleep(1)
    again = run_playbook(HEALTH)
    assert again.returncode == 0, again.output
    assert "PASS WAL archive archiving " in again.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"backup_health_max_age_hours": 0}, "backup_health_max_age_hours and backup_health_max_offsite_age_hours"),
        ({"backup_health_max_offsite_age_hours": "a day"}, "backup_health_max_offsite_age_hours"),
        ({"backup_health_max_wal_lag_minutes": -1}, "backup_health_max_offsite_wal_age_minutes minutes above 0"),
    ],
)
def test_bad_health_thresholds_are_refused(run_playbook, extra: dict, message: str) -> None:
    result = run_playbook(HEALTH, extra)
    assert result.returncode != 0
    assert message in result.output, result.output
    assert "Read the host's clock" not in result.output

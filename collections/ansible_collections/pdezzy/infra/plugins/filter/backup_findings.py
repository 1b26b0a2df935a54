"""Filters: the health check's backup findings (local dumps, off-host snapshots, WAL archiving). A
finding is ``{name, check, ok, detail}``; each filter's documentation is in the ``<filter>.yml``
file beside this one."""

from __future__ import annotations

import json
import posixpath
import re
from datetime import datetime
from typing import Any

from ansible_collections.pdezzy.infra.plugins.plugin_utils.findings import (
    command_result,
    error_text,
    finding,
    host_clock,
    last_error_line,
    minutes,
)


def _age_finding(name: str, check: str, seconds: float, what: str, max_hours: Any) -> dict[str, Any]:
    hours, limit = max(seconds, 0) / 3600, float(max_hours)
    return finding(name, check, hours < limit, f"{what}, {hours:.1f} h old, limit {limit:g} h")


def local_backup_finding(result: Any, now: Any, max_hours: Any = 26, name: str = "backups") -> dict[str, Any]:
    """``ansible.builtin.find``'s result for the database dumps: fails when there is none, or when
    the newest was written ``max_hours`` ago or more (``now``: the host's clock)."""
    result = command_result(result, "local_backup_finding")
    clock = host_clock(now, "local_backup_finding")
    files = result.get("files")
    if result.get("failed") or not isinstance(files, list):
        return finding(name, "backup age", False, (error_text(result).strip() or "no file list")[:200])
    if not files:
        return finding(name, "backup age", False, "no database backup yet (playbooks/backup.yml takes one now)")
    newest = max(files, key=lambda file: float(file["mtime"]))
    return _age_finding(
        name, "backup age", clock - float(newest["mtime"]), "newest " + posixpath.basename(newest["path"]), max_hours
    )


def _snapshot_time(text: str) -> datetime:
    """restic's RFC 3339 time (nanoseconds, Z or an offset) as an aware datetime."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    fraction = (match.group(2) or ".0")[:7]
    return datetime.fromisoformat(match.group(1) + fraction + match.group(3).replace("Z", "+00:00"))


def offsite_backup_finding(
    result: Any, now: Any, max_hours: Any = 26, name: str = "off-host", kind: str = "backup"
) -> dict[str, Any]:
    """``restic snapshots --json`` of this host: fails when restic fails, when there is no snapshot
    of the ``kind`` ("backup": the backups' snapshots; "wal": the WAL archive's, tagged wal), or
    when the newest was taken ``max_hours`` ago or more (``now``: the host's clock)."""
    result = command_result(result, "offsite_backup_finding")
    clock = host_clock(now, "offsite_backup_finding")
    if kind not in ("backup", "wal"):
        raise TypeError(f"offsite_backup_finding: kind must be backup or wal, got {kind!r}")
    check = "off-host copy" if kind == "backup" else "off-host WAL"
    if result.get("rc") != 0:
        return finding(name, check, False, last_error_line(result))
    try:
        snapshots = json.loads(str(result.get("stdout") or "null")) or []
        times = [
            (_snapshot_time(snapshot["time"]), snapshot)
            for snapshot in snapshots
            if ("wal" in (snapshot.get("tags") or [])) == (kind == "wal")
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        return finding(name, check, False, f"unreadable restic snapshots output ({error})"[:200])
    if not times:
        what = "backup" if kind == "backup" else "WAL archive"
        return finding(name, check, False, f"no {what} snapshot of this host in the repository")
    taken, newest = max(times, key=lambda pair: pair[0])
    tags = ",".join(newest.get("tags") or []) or "untagged"
    what = f"newest snapshot {newest.get('short_id') or str(newest.get('id', '?'))[:8]} ({tags})"
    age = clock - taken.timestamp()
    if kind == "wal":
        limit = float(max_hours) * 60
        return finding(name, check, age / 60 < limit, f"{what}, {minutes(age)} old, limit {limit:g} min")
    return _age_finding(name, check, age, what, max_hours)


def wal_archive_finding(result: Any, now: Any, max_minutes: Any = 5, name: str = "WAL archive") -> dict[str, Any]:
    """PostgreSQL's archiver as one JSON object (``pg_stat_archiver``, the ``.ready`` files of
    ``pg_ls_archive_statusdir()`` and ``archive_mode``): fails when archiving is off, when its
    latest attempt failed, or when a finished segment has waited ``max_minutes`` or more."""
    result = command_result(result, "wal_archive_finding")
    clock = host_clock(now, "wal_archive_finding")
    if result.get("rc") != 0:
        return finding(name, "archiving", False, last_error_line(result))
    try:
        state = json.loads(str(result.get("stdout") or ""))
        ready, limit = int(state["ready"]), float(max_minutes) * 60
        archived, failed = state.get("last_archived"), state.get("last_failed")
    except (ValueError, KeyError, TypeError) as error:
        return finding(name, "archiving", False, f"unreadable archiver state ({error})"[:200])
    if state.get("archive_mode") not in ("on", "always"):
        return finding(name, "archiving", False, f"archive_mode is {state.get('archive_mode')}: no WAL is archived")
    if failed is not None and (archived is None or float(failed) > float(archived)):
        return finding(
            name,
            "archiving",
            False,
            f"failing: {state.get('last_failed_wal')} not archived, last attempt "
            f"{minutes(clock - float(failed))} ago, {ready} segment(s) waiting (PostgreSQL's log says why)",
        )
    last = (
        f"last archived {state.get('last_archived_wal')} {minutes(clock - float(archived))} ago"
        if archived is not None
        else "nothing archived yet"
    )
    if not ready:
        return finding(name, "archiving", True, f"no segment waiting; {last}")
    waited = clock - float(state["oldest_ready"])
    return finding(
        name,
        "archiving",
        waited < limit,
        f"{ready} segment(s) waiting, the oldest for {minutes(waited)}, limit {float(max_minutes):g} min; {last}",
    )


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "local_backup_finding": local_backup_finding,
            "offsite_backup_finding": offsite_backup_finding,
            "wal_archive_finding": wal_archive_finding,
        }

"""Filters: findings of the operations playbooks (preflight, health check) and their table.

A finding is a mapping ``{name, check, ok, detail}``; ``findings_table`` renders a list of them.
Each filter's documentation is in the ``<filter>.yml`` file beside this one.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import posixpath
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def _finding(name: str, check: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "check": check, "ok": ok, "detail": detail}


def _command_result(result: Any, filter_name: str) -> Mapping[str, Any]:
    """A registered command-like result (rc, stdout, stderr), or a module failure (msg)."""
    if not isinstance(result, Mapping):
        raise TypeError(f"{filter_name} expects a registered task result, got {type(result).__name__}")
    return result


def _error_text(result: Mapping[str, Any]) -> str:
    """What went wrong, for one line of a table: stderr, or the module's message."""
    return str(result.get("stderr") or result.get("msg") or "")


# --- probe_finding -----------------------------------------------------------------------------


def _target(result: Mapping[str, Any]) -> str:
    args = (result.get("invocation") or {}).get("module_args") or {}
    if not args and isinstance(result.get("item"), (str, int)):
        return str(result["item"])
    scheme = args.get("scheme", "https")
    kind = args.get("kind", "http")
    host = args.get("server_name") or args.get("host", "?")
    port = args.get("port")
    if kind == "tcp":
        return f"{host}:{port}"
    prefix = {"websocket": "wss" if scheme == "https" else "ws"}.get(kind, scheme)
    return f"{prefix}://{host}{':' + str(port) if port else ''}{args.get('path', '/')}"


def probe_finding(result: Any, check: str, name: str | None = None) -> dict[str, Any]:
    if not isinstance(result, Mapping) or "ok" not in result:
        raise TypeError("probe_finding expects a registered pdezzy.infra.probe result")
    problems = list(result.get("problems") or [])
    if problems:
        detail = "; ".join(problems)
    else:
        status = result.get("status")
        detail = (f"{status} " if status else "open ") + f"in {result.get('latency_ms', '?')} ms"
    return {"name": name or _target(result), "check": check, "ok": bool(result["ok"]), "detail": detail}


# --- cert_finding ------------------------------------------------------------------------------


def cert_finding(tls: Any, name: str, min_days: int = 14) -> dict[str, Any]:
    if tls is None or (isinstance(tls, Mapping) and "days_left" not in tls):
        return {"name": name, "check": "certificate", "ok": False, "detail": "no certificate was seen"}
    if not isinstance(tls, Mapping):
        raise TypeError("cert_finding expects the tls facts of a probe result")
    days = int(tls["days_left"])
    detail = f"{tls.get('subject', '?')} by {tls.get('issuer', '?')}, {days} days left"
    if tls.get("protocol"):
        detail += f", {tls['protocol']}"
    if days <= min_days:
        detail += f" (needs more than {min_days})"
    return {"name": name, "check": "certificate", "ok": days > min_days, "detail": detail}


# --- container_findings ------------------------------------------------------------------------


ALL_ADDRESSES = {"", "0.0.0.0", "::"}


def container_findings(
    containers: Any, public_ports: list[int] | None = None, names: list[str] | None = None
) -> list[dict[str, Any]]:
    if not isinstance(containers, list):
        raise TypeError(f"container_findings expects a list, got {type(containers).__name__}")
    allowed = {int(port) for port in (public_ports if public_ports is not None else [80, 443])}
    names = names or []
    findings: list[dict[str, Any]] = []
    for index, container in enumerate(containers):
        fallback = names[index] if index < len(names) else f"container {index + 1}"
        if container is None:
            findings.append(_finding(fallback, "running", False, "does not exist"))
            continue
        if not isinstance(container, Mapping):
            raise TypeError("container_findings: every entry must be an inspection document or null")
        name = str(container.get("Name") or fallback).lstrip("/")
        state = container.get("State") or {}
        if state.get("Restarting"):
            findings.append(
                _finding(name, "running", False, f"restarting (restarts: {container.get('RestartCount', 0)})")
            )
        elif not state.get("Running"):
            findings.append(
                _finding(name, "running", False, f"{state.get('Status', 'stopped')}, exit code {state.get('ExitCode')}")
            )
        else:
            findings.append(_finding(name, "running", True, f"up since {state.get('StartedAt', '?')}"))
        health = (state.get("Health") or {}).get("Status")
        if health is not None:
            detail = health
            if health != "healthy":
                log = (state.get("Health") or {}).get("Log") or []
                if log:
                    detail += f": {str(log[-1].get('Output', '')).strip()[:200]}"
            findings.append(_finding(name, "health", health == "healthy", detail))
        exposed = []
        for container_port, bindings in ((container.get("HostConfig") or {}).get("PortBindings") or {}).items():
            for binding in bindings or []:
                address = binding.get("HostIp", "")
                host_port = int(binding.get("HostPort") or 0)
                if address in ALL_ADDRESSES and host_port not in allowed:
                    exposed.append(f"{host_port}->{container_port} on all addresses")
        if exposed:
            findings.append(_finding(name, "ports", False, "; ".join(exposed)))
        else:
            findings.append(_finding(name, "ports", True, "published only as designed"))
    return findings


# --- dns_findings ------------------------------------------------------------------------------


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: object) -> Address | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _dns_finding(name: str, answers: Any, wanted: set[Address]) -> dict[str, Any]:
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, (list, tuple)):
        raise TypeError(f"dns_findings: the answers for {name} must be a list, got {type(answers).__name__}")
    found = {a for a in map(_address, answers) if a is not None}
    other = [str(a).strip() for a in answers if _address(a) is None and str(a).strip()]
    shown = ", ".join(sorted(map(str, wanted)))
    if not found:
        reason = f" ({'; '.join(other)})" if other else ""
        return {"name": name, "check": "dns", "ok": False, "detail": f"no address record{reason}; expected {shown}"}
    stray = sorted(str(a) for a in found - wanted)
    if stray:
        detail = f"points at {', '.join(stray)}, not at this host ({shown})"
        return {"name": name, "check": "dns", "ok": False, "detail": detail}
    return {"name": name, "check": "dns", "ok": True, "detail": "-> " + ", ".join(sorted(map(str, found)))}


def dns_findings(answers: Any, expected: Any) -> list[dict[str, Any]]:
    if not isinstance(answers, Mapping):
        raise TypeError(f"dns_findings expects a mapping of domain to answers, got {type(answers).__name__}")
    if isinstance(expected, str) or not isinstance(expected, (list, tuple)):
        raise TypeError("dns_findings: expected must be a list of the host's addresses")
    wanted = {a for a in map(_address, expected) if a is not None}
    if not wanted:
        raise ValueError(f"dns_findings: none of {list(expected)!r} is an IP address of the host")
    return [_dns_finding(str(name), result, wanted) for name, result in answers.items()]


# --- secret_findings ---------------------------------------------------------------------------


DEFAULT_PLACEHOLDERS = ("REPLACE", "CHANGE-ME", "CHANGEME")


def _problem(value: Any, placeholders: tuple[str, ...]) -> str:
    if value is None:
        return "not set"
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items:
        return "empty list"
    for item in items:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            return f"unexpected {type(item).__name__} value"
        text = str(item)
        if not text.strip():
            return "empty"
        for mark in placeholders:
            if mark.upper() in text.upper():
                return f"still the template's placeholder ({mark})"
    return ""


def secret_findings(values: Any, placeholders: Any = DEFAULT_PLACEHOLDERS) -> list[dict[str, Any]]:
    if not isinstance(values, Mapping):
        raise TypeError(f"secret_findings expects a mapping of names to values, got {type(values).__name__}")
    if isinstance(placeholders, str) or not all(isinstance(mark, str) and mark for mark in placeholders):
        raise TypeError("secret_findings: placeholders must be a list of non-empty strings")
    marks = tuple(placeholders)
    findings = []
    for name, value in values.items():
        problem = _problem(value, marks)
        findings.append({"name": str(name), "check": "secret", "ok": not problem, "detail": problem or "set"})
    return findings


# --- listener_findings -------------------------------------------------------------------------


_PROCESS = re.compile(r'\("([^"]+)",pid=(\d+)')


def _listeners(text: str) -> dict[int, set[str]]:
    held: dict[int, set[str]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] != "LISTEN":
            continue
        local = fields[3]
        port_text = local.rsplit(":", 1)[-1]
        if not port_text.isdigit():
            continue
        processes = {f"{name} (pid {pid})" for name, pid in _PROCESS.findall(line)} or {"an unknown process"}
        held.setdefault(int(port_text), set()).update(processes)
    return held


def listener_findings(output: Any, ports: Any, allowed: Any = ("docker-proxy",)) -> list[dict[str, Any]]:
    if not isinstance(output, str):
        raise TypeError(f"listener_findings expects the text of `ss -Htlnp`, got {type(output).__name__}")
    if isinstance(ports, (str, int)) or not ports:
        raise TypeError("listener_findings: ports must be a non-empty list")
    numbers = []
    for port in ports:
        if isinstance(port, bool) or not str(port).isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"listener_findings: {port!r} is not a port number")
        numbers.append(int(port))
    ours = set(allowed)
    held = _listeners(output)
    findings = []
    for port in numbers:
        processes = held.get(port, set())
        foreign = sorted(p for p in processes if p.split(" (")[0] not in ours)
        if not processes:
            detail = "free"
        elif foreign:
            detail = "held by " + ", ".join(foreign)
        else:
            detail = "ours: " + ", ".join(sorted(processes))
        findings.append({"name": f"port {port}", "check": "listener", "ok": not foreign, "detail": detail})
    return findings


# --- allow_list_finding ------------------------------------------------------------------------


def allow_list_finding(address: Any, networks: Any, name: str = "operator") -> dict[str, Any]:
    if isinstance(networks, str) or not isinstance(networks, (list, tuple)):
        raise TypeError(f"allow_list_finding expects a list of networks, got {type(networks).__name__}")
    parsed = []
    for entry in networks:
        try:
            parsed.append(ipaddress.ip_network(str(entry), strict=False))
        except ValueError as error:
            raise ValueError(f"allow_list_finding: {entry!r} is not an address or network") from error
    text = str(address or "").strip()
    if not text:
        return {
            "name": name,
            "check": "allow-list",
            "ok": False,
            "detail": "the operator's address is unknown (not connected over SSH); set it explicitly",
        }
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return {"name": name, "check": "allow-list", "ok": False, "detail": f"{text!r} is not an IP address"}
    inside = [str(net) for net in parsed if ip.version == net.version and ip in net]
    if inside:
        return {"name": name, "check": "allow-list", "ok": True, "detail": f"{ip} is in {inside[0]}"}
    return {
        "name": name,
        "check": "allow-list",
        "ok": False,
        "detail": f"{ip} is not in the SSH allow-list ({', '.join(map(str, parsed)) or 'empty'}): "
        "the firewall would lock this operator out",
    }


# --- findings_table ----------------------------------------------------------------------------


def findings_table(findings: Any) -> list[str]:
    if not isinstance(findings, list):
        raise TypeError(f"findings_table expects a list, got {type(findings).__name__}")
    rows = []
    for finding in findings:
        if not isinstance(finding, Mapping) or "ok" not in finding:
            raise TypeError("findings_table: every finding needs at least 'ok'")
        rows.append(
            (
                "PASS" if finding["ok"] else "FAIL",
                str(finding.get("name", "")),
                str(finding.get("check", "")),
                " ".join(str(finding.get("detail", "")).split()),
            )
        )
    rows.sort(key=lambda row: row[0] == "PASS")
    header = ("RESULT", "NAME", "CHECK", "DETAIL")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]
    failed = sum(1 for row in rows if row[0] == "FAIL")
    lines.append(f"{len(rows) - failed} of {len(rows)} checks passed" + (f", {failed} FAILED" if failed else ""))
    return lines


# --- health-check findings from command results ---------------------------------------------
def db_finding(result: Any, name: str) -> dict[str, Any]:
    """Django in a replica querying its database: ``print(vendor, host, port)`` after ``SELECT 1``."""
    result = _command_result(result, "db_finding")
    stdout = str(result.get("stdout") or "").strip()
    if result.get("rc") == 0 and stdout.startswith("postgresql "):
        return _finding(name, "database", True, "postgresql at " + ":".join(stdout.split()[1:]))
    if result.get("rc") == 0:
        return _finding(name, "database", False, stdout or "no answer")
    lines = [line.strip() for line in _error_text(result).splitlines() if line.strip()]
    # The exception's line of Django's traceback (e.g. OperationalError: ...), else the last line.
    errors = [line for line in lines if "Error: " in line] or lines
    return _finding(name, "database", False, (errors[-1] if errors else "no answer")[:200])


def pool_finding(result: Any, max_wait: int = 5, name: str = "pgbouncer") -> dict[str, Any]:
    """PgBouncer's ``SHOW POOLS`` as CSV: fails when a client waited ``max_wait`` seconds or more."""
    result = _command_result(result, "pool_finding")
    if result.get("rc") != 0:
        return _finding(name, "pool", False, (_error_text(result).strip() or "no answer")[:200])
    try:
        pools = list(csv.DictReader(io.StringIO(str(result.get("stdout") or ""))))
        active, idle, waiting, waits = (
            [int(pool[column]) for pool in pools] for column in ("sv_active", "sv_idle", "cl_waiting", "maxwait")
        )
    except (KeyError, ValueError, TypeError) as error:
        return _finding(name, "pool", False, f"unreadable SHOW POOLS output ({error})")
    longest = max(waits, default=0)
    detail = (
        f"{sum(active)} active and {sum(idle)} idle server connections, "
        f"{sum(waiting)} clients waiting (longest {longest} s)"
    )
    return _finding(name, "pool", longest < int(max_wait), detail)


def disk_finding(
    result: Any, max_percent: float = 85, name: str = "/", min_free_gb: float | None = None
) -> dict[str, Any]:
    """``df -Pk <path>``: fails when the file system is ``max_percent`` full or more, or, with
    ``min_free_gb``, when less than that is free."""
    result = _command_result(result, "disk_finding")
    lines = str(result.get("stdout") or "").strip().splitlines()
    fields = lines[-1].split() if len(lines) > 1 else []
    if result.get("rc") != 0 or len(fields) < 5 or not fields[4].rstrip("%").isdigit() or not fields[3].isdigit():
        return _finding(name, "disk", False, (_error_text(result).strip() or "no df output")[:200])
    if min_free_gb is not None:
        free_gb = round(int(fields[3]) / 1048576, 1)
        return _finding(
            name, "disk", free_gb >= float(min_free_gb), f"{free_gb} GB free, need {float(min_free_gb):g} GB"
        )
    used = int(fields[4].rstrip("%"))
    return _finding(name, "disk", used < float(max_percent), f"{used} % used, limit {float(max_percent):g} %")


# --- backup age --------------------------------------------------------------------------------


def _clock(now: Any, filter_name: str) -> float:
    """The host's clock in seconds since the epoch (``date +%s``'s output or a number)."""
    try:
        return float(str(now).strip())
    except ValueError:
        raise TypeError(f"{filter_name}: now must be seconds since the epoch, got {now!r}") from None


def _age_finding(name: str, check: str, seconds: float, what: str, max_hours: Any) -> dict[str, Any]:
    hours, limit = max(seconds, 0) / 3600, float(max_hours)
    return _finding(name, check, hours < limit, f"{what}, {hours:.1f} h old, limit {limit:g} h")


def local_backup_finding(result: Any, now: Any, max_hours: Any = 26, name: str = "backups") -> dict[str, Any]:
    """``ansible.builtin.find``'s result for the database dumps: fails when there is none, or when
    the newest was written ``max_hours`` ago or more (``now``: the host's clock)."""
    result = _command_result(result, "local_backup_finding")
    clock = _clock(now, "local_backup_finding")
    files = result.get("files")
    if result.get("failed") or not isinstance(files, list):
        return _finding(name, "backup age", False, (_error_text(result).strip() or "no file list")[:200])
    if not files:
        return _finding(name, "backup age", False, "no database backup yet (playbooks/backup.yml takes one now)")
    newest = max(files, key=lambda file: float(file["mtime"]))
    return _age_finding(
        name, "backup age", clock - float(newest["mtime"]), "newest " + posixpath.basename(newest["path"]), max_hours
    )


def _last_error_line(result: Mapping[str, Any]) -> str:
    """A failed command's last word (its last non-empty line of stderr, or the module's message)."""
    lines = [line.strip() for line in _error_text(result).splitlines() if line.strip()]
    return (lines[-1] if lines else "no answer")[:200]


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
    result = _command_result(result, "offsite_backup_finding")
    clock = _clock(now, "offsite_backup_finding")
    if kind not in ("backup", "wal"):
        raise TypeError(f"offsite_backup_finding: kind must be backup or wal, got {kind!r}")
    check = "off-host copy" if kind == "backup" else "off-host WAL"
    if result.get("rc") != 0:
        return _finding(name, check, False, _last_error_line(result))
    try:
        snapshots = json.loads(str(result.get("stdout") or "null")) or []
        times = [
            (_snapshot_time(snapshot["time"]), snapshot)
            for snapshot in snapshots
            if ("wal" in (snapshot.get("tags") or [])) == (kind == "wal")
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        return _finding(name, check, False, f"unreadable restic snapshots output ({error})"[:200])
    if not times:
        what = "backup" if kind == "backup" else "WAL archive"
        return _finding(name, check, False, f"no {what} snapshot of this host in the repository")
    taken, newest = max(times, key=lambda pair: pair[0])
    tags = ",".join(newest.get("tags") or []) or "untagged"
    what = f"newest snapshot {newest.get('short_id') or str(newest.get('id', '?'))[:8]} ({tags})"
    age = clock - taken.timestamp()
    if kind == "wal":
        limit = float(max_hours) * 60
        return _finding(name, check, age / 60 < limit, f"{what}, {_minutes(age)} old, limit {limit:g} min")
    return _age_finding(name, check, age, what, max_hours)


def _minutes(seconds: float) -> str:
    return f"{max(seconds, 0) / 60:.1f} min"


def wal_archive_finding(result: Any, now: Any, max_minutes: Any = 5, name: str = "WAL archive") -> dict[str, Any]:
    """PostgreSQL's archiver as one JSON object (``pg_stat_archiver``, the ``.ready`` files of
    ``pg_ls_archive_statusdir()`` and ``archive_mode``): fails when archiving is off, when its
    latest attempt failed, or when a finished segment has waited ``max_minutes`` or more."""
    result = _command_result(result, "wal_archive_finding")
    clock = _clock(now, "wal_archive_finding")
    if result.get("rc") != 0:
        return _finding(name, "archiving", False, _last_error_line(result))
    try:
        state = json.loads(str(result.get("stdout") or ""))
        ready, limit = int(state["ready"]), float(max_minutes) * 60
        archived, failed = state.get("last_archived"), state.get("last_failed")
    except (ValueError, KeyError, TypeError) as error:
        return _finding(name, "archiving", False, f"unreadable archiver state ({error})"[:200])
    if state.get("archive_mode") not in ("on", "always"):
        return _finding(name, "archiving", False, f"archive_mode is {state.get('archive_mode')}: no WAL is archived")
    if failed is not None and (archived is None or float(failed) > float(archived)):
        return _finding(
            name,
            "archiving",
            False,
            f"failing: {state.get('last_failed_wal')} not archived, last attempt "
            f"{_minutes(clock - float(failed))} ago, {ready} segment(s) waiting (PostgreSQL's log says why)",
        )
    last = (
        f"last archived {state.get('last_archived_wal')} {_minutes(clock - float(archived))} ago"
        if archived is not None
        else "nothing archived yet"
    )
    if not ready:
        return _finding(name, "archiving", True, f"no segment waiting; {last}")
    waited = clock - float(state["oldest_ready"])
    return _finding(
        name,
        "archiving",
        waited < limit,
        f"{ready} segment(s) waiting, the oldest for {_minutes(waited)}, limit {float(max_minutes):g} min; {last}",
    )


# --- static_finding ------------------------------------------------------------------------------


def static_finding(result: Any, release: str, name: str = "static volume") -> dict[str, Any]:
    """``rsync --archive --dry-run --itemize-changes --delete RELEASE/static/ VOLUME/``: the volume
    holds exactly the release's collected files when rsync would change no file."""
    result = _command_result(result, "static_finding")
    if result.get("rc") != 0:
        error = _error_text(result)
        if "change_dir" in error:
            detail = f"release {release} keeps no collected static files: deploy again"
            return _finding(name, "release files", False, detail)
        lines = [line.strip() for line in error.splitlines() if line.strip()]
        return _finding(name, "release files", False, (lines[-1] if lines else "not compared")[:200])
    missing: list[str] = []
    differing: list[str] = []
    extra: list[str] = []
    for line in str(result.get("stdout") or "").splitlines():
        flags, _sep, path = line.partition(" ")
        path = path.strip()
        if flags == "*deleting":
            extra.append(path)
        elif len(flags) > 2 and flags[0] in "<>ch" and flags[1] in "fL":
            (missing if "+++++" in flags else differing).append(path)
    if not (missing or differing or extra):
        return _finding(name, "release files", True, f"exactly the files of release {release}")
    parts = [
        f"{len(paths)} {what} (e.g. {paths[0]})"
        for paths, what in ((missing, "missing"), (differing, "differing"), (extra, f"not release {release}'s"))
        if paths
    ]
    return _finding(name, "release files", False, ("not release " + release + "'s files: " + ", ".join(parts))[:200])


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "probe_finding": probe_finding,
            "cert_finding": cert_finding,
            "container_findings": container_findings,
            "dns_findings": dns_findings,
            "secret_findings": secret_findings,
            "listener_findings": listener_findings,
            "allow_list_finding": allow_list_finding,
            "findings_table": findings_table,
            "db_finding": db_finding,
            "pool_finding": pool_finding,
            "disk_finding": disk_finding,
            "local_backup_finding": local_backup_finding,
            "offsite_backup_finding": offsite_backup_finding,
            "wal_archive_finding": wal_archive_finding,
            "static_finding": static_finding,
        }

"""Filters: the health check's findings (probes, certificate, containers, database, pooler, disk,
static volume). A finding is ``{name, check, ok, detail}``; each filter's documentation is in the
``<filter>.yml`` file beside this one."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from ansible_collections.pdezzy.infra.plugins.plugin_utils.findings import (
    command_result,
    error_text,
    finding,
)

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
            findings.append(finding(fallback, "running", False, "does not exist"))
            continue
        if not isinstance(container, Mapping):
            raise TypeError("container_findings: every entry must be an inspection document or null")
        name = str(container.get("Name") or fallback).lstrip("/")
        state = container.get("State") or {}
        if state.get("Restarting"):
            findings.append(
                finding(name, "running", False, f"restarting (restarts: {container.get('RestartCount', 0)})")
            )
        elif not state.get("Running"):
            findings.append(
                finding(name, "running", False, f"{state.get('Status', 'stopped')}, exit code {state.get('ExitCode')}")
            )
        else:
            findings.append(finding(name, "running", True, f"up since {state.get('StartedAt', '?')}"))
        health = (state.get("Health") or {}).get("Status")
        if health is not None:
            detail = health
            if health != "healthy":
                log = (state.get("Health") or {}).get("Log") or []
                if log:
                    detail += f": {str(log[-1].get('Output', '')).strip()[:200]}"
            findings.append(finding(name, "health", health == "healthy", detail))
        exposed = []
        for container_port, bindings in ((container.get("HostConfig") or {}).get("PortBindings") or {}).items():
            for binding in bindings or []:
                address = binding.get("HostIp", "")
                host_port = int(binding.get("HostPort") or 0)
                if address in ALL_ADDRESSES and host_port not in allowed:
                    exposed.append(f"{host_port}->{container_port} on all addresses")
        if exposed:
            findings.append(finding(name, "ports", False, "; ".join(exposed)))
        else:
            findings.append(finding(name, "ports", True, "published only as designed"))
    return findings


# --- health-check findings from command results ---------------------------------------------
def db_finding(result: Any, name: str) -> dict[str, Any]:
    """Django in a replica querying its database: ``print(vendor, host, port)`` after ``SELECT 1``."""
    result = command_result(result, "db_finding")
    stdout = str(result.get("stdout") or "").strip()
    if result.get("rc") == 0 and stdout.startswith("postgresql "):
        return finding(name, "database", True, "postgresql at " + ":".join(stdout.split()[1:]))
    if result.get("rc") == 0:
        return finding(name, "database", False, stdout or "no answer")
    lines = [line.strip() for line in error_text(result).splitlines() if line.strip()]
    # The exception's line of Django's traceback (e.g. OperationalError: ...), else the last line.
    errors = [line for line in lines if "Error: " in line] or lines
    return finding(name, "database", False, (errors[-1] if errors else "no answer")[:200])


def pool_finding(result: Any, max_wait: int = 5, name: str = "pgbouncer") -> dict[str, Any]:
    """PgBouncer's ``SHOW POOLS`` as CSV: fails when a client waited ``max_wait`` seconds or more."""
    result = command_result(result, "pool_finding")
    if result.get("rc") != 0:
        return finding(name, "pool", False, (error_text(result).strip() or "no answer")[:200])
    try:
        pools = list(csv.DictReader(io.StringIO(str(result.get("stdout") or ""))))
        active, idle, waiting, waits = (
            [int(pool[column]) for pool in pools] for column in ("sv_active", "sv_idle", "cl_waiting", "maxwait")
        )
    except (KeyError, ValueError, TypeError) as error:
        return finding(name, "pool", False, f"unreadable SHOW POOLS output ({error})")
    longest = max(waits, default=0)
    detail = (
        f"{sum(active)} active and {sum(idle)} idle server connections, "
        f"{sum(waiting)} clients waiting (longest {longest} s)"
    )
    return finding(name, "pool", longest < int(max_wait), detail)


def disk_finding(
    result: Any, max_percent: float = 85, name: str = "/", min_free_gb: float | None = None
) -> dict[str, Any]:
    """``df -Pk <path>``: fails when the file system is ``max_percent`` full or more, or, with
    ``min_free_gb``, when less than that is free."""
    result = command_result(result, "disk_finding")
    lines = str(result.get("stdout") or "").strip().splitlines()
    fields = lines[-1].split() if len(lines) > 1 else []
    if result.get("rc") != 0 or len(fields) < 5 or not fields[4].rstrip("%").isdigit() or not fields[3].isdigit():
        return finding(name, "disk", False, (error_text(result).strip() or "no df output")[:200])
    if min_free_gb is not None:
        free_gb = round(int(fields[3]) / 1048576, 1)
        return finding(
            name, "disk", free_gb >= float(min_free_gb), f"{free_gb} GB free, need {float(min_free_gb):g} GB"
        )
    used = int(fields[4].rstrip("%"))
    return finding(name, "disk", used < float(max_percent), f"{used} % used, limit {float(max_percent):g} %")


# --- static_finding ------------------------------------------------------------------------------


def static_finding(result: Any, release: str, name: str = "static volume") -> dict[str, Any]:
    """``rsync --archive --dry-run --itemize-changes --delete RELEASE/static/ VOLUME/``: the volume
    holds exactly the release's collected files when rsync would change no file."""
    result = command_result(result, "static_finding")
    if result.get("rc") != 0:
        error = error_text(result)
        if "change_dir" in error:
            detail = f"release {release} keeps no collected static files: deploy again"
            return finding(name, "release files", False, detail)
        lines = [line.strip() for line in error.splitlines() if line.strip()]
        return finding(name, "release files", False, (lines[-1] if lines else "not compared")[:200])
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
        return finding(name, "release files", True, f"exactly the files of release {release}")
    parts = [
        f"{len(paths)} {what} (e.g. {paths[0]})"
        for paths, what in ((missing, "missing"), (differing, "differing"), (extra, f"not release {release}'s"))
        if paths
    ]
    return finding(name, "release files", False, ("not release " + release + "'s files: " + ", ".join(parts))[:200])


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "probe_finding": probe_finding,
            "cert_finding": cert_finding,
            "container_findings": container_findings,
            "db_finding": db_finding,
            "pool_finding": pool_finding,
            "disk_finding": disk_finding,
            "static_finding": static_finding,
        }

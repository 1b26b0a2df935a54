"""Filters: the pre-deploy check's findings (DNS, secrets, listeners, SSH allow-list). A finding is
``{name, check, ok, detail}``; each filter's documentation is in the ``<filter>.yml`` file beside
this one."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

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


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "dns_findings": dns_findings,
            "secret_findings": secret_findings,
            "listener_findings": listener_findings,
            "allow_list_finding": allow_list_finding,
        }

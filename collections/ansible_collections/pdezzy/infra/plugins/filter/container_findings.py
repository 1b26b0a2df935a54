"""Filter: findings about containers from `docker inspect` data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: container_findings
short_description: Turn container inspection data into pass/fail findings
version_added: 0.1.0
description:
  - Takes C(docker inspect) documents (the C(container) result of M(community.docker.docker_container_info),
    or a list of them) and returns one finding per container and check.
  - C(running) fails for a container that is not running or is restarting; C(health) fails for
    C(unhealthy) or C(starting) (a container without a healthcheck passes); C(ports) fails for a
    port published on all addresses (C(0.0.0.0), C(::) or empty) that is not in O(public_ports).
options:
  _input:
    description: Inspection documents; C(null) entries (containers that do not exist) are reported as missing.
    type: list
    elements: dict
    required: true
  public_ports:
    description: Host ports that may be published on all addresses.
    type: list
    elements: int
    default: [80, 443]
  names:
    description: Names for the entries, used for missing containers (same order as the input).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Report the stack's containers
  ansible.builtin.debug:
    msg: "{{ info.results | map(attribute='container') | pdezzy.infra.container_findings(names=containers) }}"
"""

RETURN = r"""
_value:
  description: Findings, each C({name, check, ok, detail}).
  type: list
  elements: dict
"""

ALL_ADDRESSES = {"", "0.0.0.0", "::"}


def _finding(name: str, check: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "check": check, "ok": ok, "detail": detail}


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


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"container_findings": container_findings}

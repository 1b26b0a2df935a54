"""Filter: who holds the ports the stack needs? (from `ss -Htlnp`)"""

from __future__ import annotations

import re
from typing import Any

DOCUMENTATION = r"""
name: listener_findings
short_description: One finding per port, failing when a process other than ours listens on it
version_added: 0.2.0
description:
  - Parses the output of C(ss -Htlnp) (TCP listeners with their processes, no header) and returns a
    finding per port. A port passes when nothing listens on it or only allowed processes do
    (C(docker-proxy), which publishes our nginx container's ports).
options:
  _input:
    description: Output of C(ss -Htlnp).
    type: str
    required: true
  ports:
    description: Ports to check.
    type: list
    elements: int
    required: true
  allowed:
    description: Process names that count as ours.
    type: list
    elements: str
    default: [docker-proxy]
"""

EXAMPLES = r"""
- name: Web ports
  ansible.builtin.debug:
    msg: "{{ ss.stdout | pdezzy.infra.listener_findings([80, 443]) }}"
"""

RETURN = r"""
_value:
  description: Findings C({name=port N, check=listener, ok, detail}), one per port, in the given order.
  type: list
  elements: dict
"""

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


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"listener_findings": listener_findings}

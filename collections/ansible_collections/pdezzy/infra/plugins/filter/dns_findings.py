"""Filter: do the domains' DNS answers point at the host?"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: dns_findings
short_description: Turn the A/AAAA answers for each domain into findings against the host's addresses
version_added: 0.2.0
description:
  - Takes a mapping of domain to the answers of its DNS lookup (for example
    C(community.general.dig), which answers C(NXDOMAIN) or an empty string when there is no
    record) and compares them with the addresses of the host.
  - A domain passes when it has at least one address and every address is one of the host's; a
    record left pointing at an old server sends part of the visitors (and Let's Encrypt's
    validation) elsewhere.
options:
  _input:
    description: Domain to the answers of its lookup; non-address answers (C(NXDOMAIN), error text) are reported.
    type: dict
    required: true
  expected:
    description:
      - The host's addresses. Entries that are not IP addresses (a host name used as
        C(ansible_host)) are ignored; at least one must be an address.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Check the domains
  ansible.builtin.debug:
    msg: >-
      {{ {'example.org': query('community.general.dig', 'example.org', 'qtype=A')}
         | pdezzy.infra.dns_findings(expected=[ansible_host, ansible_default_ipv4.address]) }}
"""

RETURN = r"""
_value:
  description: Findings C({name, check=dns, ok, detail}), one per domain, in the input's order.
  type: list
  elements: dict
"""

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: object) -> Address | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _finding(name: str, answers: Any, wanted: set[Address]) -> dict[str, Any]:
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
    return [_finding(str(name), result, wanted) for name, result in answers.items()]


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"dns_findings": dns_findings}

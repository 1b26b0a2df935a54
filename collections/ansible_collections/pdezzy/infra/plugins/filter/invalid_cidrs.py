"""Filter: entries of a list that are not valid IP addresses or CIDR networks."""

from __future__ import annotations

import ipaddress
from typing import Any

DOCUMENTATION = r"""
name: invalid_cidrs
short_description: List the entries that are not valid IPv4/IPv6 addresses or CIDR networks
version_added: 0.1.0
description:
  - Checks every entry of a list with Python's C(ipaddress) module and returns those that do not
    parse as an address (V(203.0.113.7)) or a network (V(203.0.113.0/24), V(2001:db8::/32)).
  - A network with host bits set (V(203.0.113.7/24)) is invalid unless O(strict=false).
  - An empty result means every entry is valid, so the filter fits an C(assert) directly.
options:
  _input:
    description: The entries to check.
    type: list
    elements: raw
    required: true
  strict:
    description: Reject networks that have host bits set.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Refuse a malformed SSH allow-list
  ansible.builtin.assert:
    that: base_ssh_allowed_cidrs | pdezzy.infra.invalid_cidrs | length == 0
    fail_msg: "base_ssh_allowed_cidrs: not a CIDR: {{ base_ssh_allowed_cidrs | pdezzy.infra.invalid_cidrs }}"
"""

RETURN = r"""
_value:
  description: The invalid entries, in input order, as given (non-strings included).
  type: list
  elements: raw
"""


def invalid_cidrs(entries: Any, strict: bool = True) -> list[Any]:
    """Return the entries of ``entries`` that are not addresses or CIDR networks."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, (list, tuple)):
        raise TypeError(f"invalid_cidrs expects a list, got {type(entries).__name__}")
    bad: list[Any] = []
    for entry in entries:
        if not isinstance(entry, str) or entry != entry.strip() or not entry:
            bad.append(entry)
            continue
        try:
            ipaddress.ip_network(entry, strict=strict)
        except ValueError:
            bad.append(entry)
    return bad


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"invalid_cidrs": invalid_cidrs}

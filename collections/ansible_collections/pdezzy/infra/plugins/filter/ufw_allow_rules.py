"""Filter: the base role's UFW rules (SSH allow-list, web ports, extra rules) as records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DOCUMENTATION = r"""
name: ufw_allow_rules
short_description: The rules the base role keeps in UFW, as records for pdezzy.infra.ufw_rules
version_added: 0.4.0
description:
  - Builds, in this order, one rule per SSH allow-list entry (TCP to the SSH port from that
    source), one per open TCP port (from anywhere) and the extra rules as given.
  - Every rule's comment starts with O(prefix), the mark of the rules the list owns (the
    module deletes a marked rule that is no longer listed). An extra rule keeps its own comment
    after the prefix, C(extra rule) when it has none.
  - Ports are given to ufw as text; the extra rules' other keys are passed through unchanged.
options:
  _input:
    description: The SSH allow-list (C(base_ssh_allowed_cidrs)), addresses or networks.
    type: list
    elements: str
    required: true
  ssh_port:
    description: The SSH port (C(base_ssh_port)).
    type: int
    required: true
  open_ports:
    description: TCP ports open to the world (C(base_ufw_open_tcp_ports)).
    type: list
    elements: int
    default: []
  extra_rules:
    description: Further rules (C(base_ufw_extra_rules)), each a mapping of pdezzy.infra.ufw_rules' rule options.
    type: list
    elements: dict
    default: []
  prefix:
    description: The comment prefix that marks the rules as the list's.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Keep the firewall's rules
  pdezzy.infra.ufw_rules:
    rules: >-
      {{ base_ssh_allowed_cidrs | pdezzy.infra.ufw_allow_rules(ssh_port=22, open_ports=[80, 443],
         extra_rules=base_ufw_extra_rules, prefix='pdezzy: ') }}
    purge_prefix: "pdezzy: "
"""

RETURN = r"""
_value:
  description: >-
    The rules: C({from_ip, port, proto, comment}) per allow-list entry, C({port, proto, comment}) per
    open port, then each extra rule with its comment prefixed.
  type: list
  elements: dict
"""


def _port(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise TypeError(f"ufw_allow_rules: {what} must be a port number, got {value!r}")
    return str(int(value))


def ufw_allow_rules(
    cidrs: Sequence[str],
    ssh_port: int,
    open_ports: Sequence[int] = (),
    extra_rules: Sequence[Mapping[str, Any]] = (),
    prefix: str = "",
) -> list[dict[str, Any]]:
    """The allow-list's, the open ports' and the extra rules, each comment marked with ``prefix``."""
    if isinstance(cidrs, (str, Mapping)) or not isinstance(cidrs, Sequence):
        raise TypeError(f"ufw_allow_rules expects the allow-list as a list, got {type(cidrs).__name__}")
    if not isinstance(prefix, str) or not prefix:
        raise TypeError("ufw_allow_rules: prefix must be a non-empty string")
    ssh = _port(ssh_port, "ssh_port")
    rules: list[dict[str, Any]] = [
        {"from_ip": cidr, "port": ssh, "proto": "tcp", "comment": f"{prefix}ssh allow-list"} for cidr in cidrs
    ]
    rules += [{"port": _port(port, "an open port"), "proto": "tcp", "comment": f"{prefix}web"} for port in open_ports]
    for rule in extra_rules:
        if not isinstance(rule, Mapping):
            raise TypeError(f"ufw_allow_rules: an extra rule must be a mapping, got {rule!r}")
        rules.append({**rule, "comment": f"{prefix}{rule.get('comment', 'extra rule')}"})
    return rules


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"ufw_allow_rules": ufw_allow_rules}

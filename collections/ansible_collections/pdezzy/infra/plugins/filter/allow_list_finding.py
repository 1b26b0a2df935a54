"""Filter: is an address inside an allow-list of networks?"""

from __future__ import annotations

import ipaddress
from typing import Any

DOCUMENTATION = r"""
name: allow_list_finding
short_description: A finding that passes when an address is inside one of the allowed networks
version_added: 0.2.0
description:
  - Used before a deploy to make sure the operator's own address is in the SSH allow-list, so the
    firewall does not lock the operator out.
options:
  _input:
    description: The address (IPv4 or IPv6; an empty string when it is not known).
    type: str
    required: true
  networks:
    description: The allow-list (addresses or CIDR networks).
    type: list
    elements: str
    required: true
  name:
    description: Name shown in the finding.
    type: str
    default: operator
"""

EXAMPLES = r"""
- name: The operator keeps SSH
  ansible.builtin.debug:
    msg: "{{ '203.0.113.7' | pdezzy.infra.allow_list_finding(base_ssh_allowed_cidrs) }}"
"""

RETURN = r"""
_value:
  description: A finding C({name, check=allow-list, ok, detail}).
  type: dict
"""


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
        return {"allow_list_finding": allow_list_finding}

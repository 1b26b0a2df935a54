"""Filter: entries of a list that are not DNS host names a certificate can carry."""

from __future__ import annotations

import re
from typing import Any

DOCUMENTATION = r"""
name: invalid_domains
short_description: List the entries that are not fully qualified DNS host names
version_added: 0.3.0
description:
  - Checks every entry of a list against the syntax of a host name in a certificate and an nginx
    C(server_name) - at least two labels of letters, digits and inner hyphens, each of 1 to 63
    characters, 253 characters in all, and a top-level label of 2 to 63 letters.
  - No wildcard, no trailing dot, no port, no white space.
  - An empty result means every entry is valid, so the filter fits an C(assert) directly.
  - The one domain check of the roles (nginx, certbot).
options:
  _input:
    description: The entries to check.
    type: list
    elements: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse a domain list with a malformed name
  ansible.builtin.assert:
    that: certbot_domains | pdezzy.infra.invalid_domains | length == 0
    fail_msg: "certbot_domains: not a domain name: {{ certbot_domains | pdezzy.infra.invalid_domains | join(', ') }}"
"""

RETURN = r"""
_value:
  description: The invalid entries, in input order, as given (non-strings included).
  type: list
  elements: raw
"""

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z)(?:{_LABEL}\.)+[A-Za-z]{{2,63}}\Z")


def invalid_domains(entries: Any) -> list[Any]:
    """Return the entries of ``entries`` that are not fully qualified host names."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, (list, tuple)):
        raise TypeError(f"invalid_domains expects a list, got {type(entries).__name__}")
    return [entry for entry in entries if not isinstance(entry, str) or not _DOMAIN.match(entry)]


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"invalid_domains": invalid_domains}

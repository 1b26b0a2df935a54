"""Filters: the entries of a list that are not valid values of one kind (input validation).

Each returns the invalid entries in input order, as given, so that it fits an ``assert``
directly (an empty result means every entry is valid). Each filter's documentation is in the
``<filter>.yml`` file beside this one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# The top-level label: letters, or an internationalised one in punycode (xn--p1ai).
_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z)(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})\Z")


def _invalid(entries: Any, filter_name: str, valid: Callable[[str], bool]) -> list[Any]:
    """The entries that are not strings, have surrounding white space or fail ``valid``."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, (list, tuple)):
        raise TypeError(f"{filter_name} expects a list, got {type(entries).__name__}")
    return [entry for entry in entries if not isinstance(entry, str) or entry != entry.strip() or not valid(entry)]


def _is_network(entry: str, strict: bool) -> bool:
    try:
        ipaddress.ip_network(entry, strict=strict)
    except ValueError:
        return False
    return True


def invalid_cidrs(entries: Any, strict: bool = True) -> list[Any]:
    """Return the entries of ``entries`` that are not addresses or CIDR networks."""
    return _invalid(entries, "invalid_cidrs", lambda entry: _is_network(entry, strict))


def invalid_domains(entries: Any) -> list[Any]:
    """Return the entries of ``entries`` that are not fully qualified host names."""
    return _invalid(entries, "invalid_domains", lambda entry: _DOMAIN.match(entry) is not None)


def untidy_secrets(secrets: Any) -> list[str]:
    """Return the names, in ``secrets`` (name: value), of the string values with white space at
    either end or a line break anywhere: a secret pasted with its newline, or two lines."""
    if not isinstance(secrets, dict):
        raise TypeError(f"untidy_secrets expects a mapping of names to values, got {type(secrets).__name__}")
    return [
        name
        for name, value in secrets.items()
        if isinstance(value, str) and (value != value.strip() or "\n" in value or "\r" in value)
    ]


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"invalid_cidrs": invalid_cidrs, "invalid_domains": invalid_domains, "untidy_secrets": untidy_secrets}

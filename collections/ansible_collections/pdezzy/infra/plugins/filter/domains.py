"""Filter: domain names in the one form nginx, certbot and Django compare (normalize_domains).

The documentation is in ``normalize_domains.yml`` beside this file.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

try:
    import idna
except ImportError:  # pragma: no cover - the controller's requirements include idna
    idna = None


def _normal(name: str) -> str:
    """``name`` stripped, in lower case, without one trailing dot, non-ASCII labels in punycode
    (IDNA 2008 with UTS #46 mapping, as browsers resolve them). A name that cannot be encoded is
    returned in lower case for the domain check to refuse."""
    name = name.strip().lower()
    if name.endswith(".") and not name.endswith(".."):
        name = name[:-1]
    if name.isascii():
        return name
    if idna is None:
        raise AnsibleFilterError(f"normalize_domains: {name!r} is an internationalised name; it needs the idna package")
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        return name


def normalize_domains(entries: Any) -> list[Any]:
    """Return ``entries`` normalised (see ``_normal``); non-strings are returned as given, and a
    name given twice in any form appears once, where it first appeared."""
    if isinstance(entries, (str, bytes)) or not isinstance(entries, (list, tuple)):
        raise AnsibleFilterError(f"normalize_domains expects a list, got {type(entries).__name__}")
    result: list[Any] = []
    for entry in entries:
        value = _normal(entry) if isinstance(entry, str) else entry
        if value not in result:
            result.append(value)
    return result


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"normalize_domains": normalize_domains}

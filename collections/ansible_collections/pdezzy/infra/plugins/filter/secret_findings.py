"""Filter: are the vaulted settings filled in? (never shows a value)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: secret_findings
short_description: One finding per required secret, failing when it is missing, empty or a placeholder
version_added: 0.2.0
description:
  - Takes a mapping of variable names to their values (V(None) for an undefined variable) and
    returns one finding per name. A value passes when it is a non-empty string, or a non-empty
    list of non-empty strings, and contains none of the placeholder markers (case-insensitive).
  - The detail never contains the value, only what is wrong with it.
options:
  _input:
    description: Variable name to value.
    type: dict
    required: true
  placeholders:
    description: Substrings that mark a value copied from a template and never filled in.
    type: list
    elements: str
    default: [REPLACE, CHANGE-ME, CHANGEME]
"""

EXAMPLES = r"""
- name: Vault settings
  ansible.builtin.debug:
    msg: >-
      {{ {'postgres_password': postgres_password | default(none)} | pdezzy.infra.secret_findings }}
"""

RETURN = r"""
_value:
  description: Findings C({name, check=secret, ok, detail}), in the input's order.
  type: list
  elements: dict
"""

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


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"secret_findings": secret_findings}

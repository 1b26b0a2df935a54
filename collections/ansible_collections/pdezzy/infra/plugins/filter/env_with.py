"""Filter: an env file (KEY=VALUE lines) with some values replaced."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: env_with
short_description: An env file with the given variables set to the given values
version_added: 0.4.0
description:
  - Takes the text of an env file (C(KEY=VALUE) lines, as Docker's C(--env-file) reads them) and
    returns it with every variable of O(values) set to its value there, in place; a variable the
    file lacks is added at its end. Comments, blank lines and every other line are kept as they are.
  - A release's configuration given this run's secrets - a rollback puts a release's image and
    non-secret settings back, never a secret rotated since.
  - Refuses a name that is not a variable name and a value with a line break, which an env file
    cannot carry.
options:
  _input:
    description: The env file's text.
    type: str
    required: true
  values:
    description: Variable names mapped to their new values (converted with C(str())).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The release's .env with this run's secret key
  ansible.builtin.copy:
    content: "{{ __release_env | pdezzy.infra.env_with({'SECRET_KEY': app_secret_key}) }}"
    dest: /opt/pdezzy/app/releases/v1-0123456789/env
    mode: "0600"
  no_log: true
"""

RETURN = r"""
_value:
  description: The env file's text with the values set, ending with a line break.
  type: str
"""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def env_with(text: Any, values: Any) -> str:
    """``text`` (an env file) with the variables of ``values`` set to their values."""
    if not isinstance(text, str):
        raise TypeError(f"env_with expects the env file's text, got {type(text).__name__}")
    if not isinstance(values, Mapping):
        raise TypeError(f"env_with expects a mapping of names to values, got {type(values).__name__}")
    wanted: dict[str, str] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"env_with: not a variable name: {name!r}")
        if value is None or isinstance(value, (Mapping, list, tuple, set)):
            raise ValueError(f"env_with: the value of {name} is not a scalar")
        rendered = str(value)
        if "\n" in rendered or "\r" in rendered:
            raise ValueError(f"env_with: the value of {name} has a line break")  # the value itself never shown
        wanted[name] = rendered
    lines, seen = [], set()
    for line in text.splitlines():
        name, equals, _value = line.partition("=")
        if equals and name in wanted and not line.lstrip().startswith("#"):
            lines.append(f"{name}={wanted[name]}")
            seen.add(name)
        else:
            lines.append(line)
    lines += [f"{name}={value}" for name, value in wanted.items() if name not in seen]
    return "\n".join(lines) + "\n"


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"env_with": env_with}

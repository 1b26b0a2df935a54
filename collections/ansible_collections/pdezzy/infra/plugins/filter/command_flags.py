"""Filter: turn a settings mapping into repeated command-line flags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: command_flags
short_description: Turn a mapping of settings into repeated C(flag key=value) arguments
version_added: 0.1.0
description:
  - 'Renders C({"max_connections": 100, "fsync": true}) as
    C(["-c", "fsync=on", "-c", "max_connections=100"]), the form C(postgres -c) and similar daemons take.'
  - Keys are sorted, so the result is stable and a container's command only changes when a setting does.
  - Booleans become O(true_value)/O(false_value); other scalars are converted with C(str()).
  - A key that is empty or contains white space or C(=), and a value that contains a newline, are
    refused, so a setting can never smuggle a second argument in.
options:
  _input:
    description: Settings to render.
    type: dict
    required: true
  flag:
    description: The flag placed before every pair; empty for bare C(key=value) arguments.
    type: str
    default: "-c"
  true_value:
    description: How C(true) is written.
    type: str
    default: "on"
  false_value:
    description: How C(false) is written.
    type: str
    default: "off"
"""

EXAMPLES = r"""
- name: Run PostgreSQL with tuned settings
  community.docker.docker_container:
    name: postgres
    image: postgres:15
    command: "{{ ['postgres'] + postgres_settings | pdezzy.infra.command_flags }}"
"""

RETURN = r"""
_value:
  description: The arguments, flag and C(key=value) alternating, keys sorted.
  type: list
  elements: str
"""


def _render(value: Any, true_value: str, false_value: str) -> str:
    if isinstance(value, bool):
        return true_value if value else false_value
    if value is None or isinstance(value, (Mapping, list, tuple, set)):
        raise ValueError(f"command_flags: value {value!r} is not a scalar")
    return str(value)


def command_flags(settings: Any, flag: str = "-c", true_value: str = "on", false_value: str = "off") -> list[str]:
    """Render ``settings`` as ``[flag, "key=value", ...]`` in sorted key order."""
    if not isinstance(settings, Mapping):
        raise TypeError(f"command_flags expects a mapping, got {type(settings).__name__}")
    args: list[str] = []
    for key in sorted(settings, key=str):
        name = str(key)
        if not name or any(c.isspace() for c in name) or "=" in name:
            raise ValueError(f"command_flags: invalid setting name {name!r}")
        value = _render(settings[key], true_value, false_value)
        if "\n" in value or "\r" in value:
            raise ValueError(f"command_flags: value of {name!r} contains a newline")
        if flag:
            args.append(flag)
        args.append(f"{name}={value}")
    return args


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"command_flags": command_flags}

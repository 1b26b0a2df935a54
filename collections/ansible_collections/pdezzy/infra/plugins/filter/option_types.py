"""Filters: numbers and booleans given as text (``-e key=value``), found with the roles' own specs.

``ansible-playbook -e key=value`` passes every value as a string. A role's argument spec accepts
the string ``"1"`` for an ``int`` option, but the role then compares text with numbers (or takes
``"false"`` for true). These filters find such values before a play changes anything. Each
filter's documentation is in the ``<filter>.yml`` file beside this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCALAR_TYPES = {"int": "an integer", "float": "a number", "bool": "a boolean (true or false)"}
_SHOWN_CHARACTERS = 40


def scalar_option_types(specs: Any) -> dict[str, str]:
    """Map every top-level option of type int, float or bool, in every entry point of the given
    parsed ``meta/argument_specs.yml`` documents, to its type."""
    if not isinstance(specs, (list, tuple)):
        raise TypeError(f"scalar_option_types expects a list of argument specs, got {type(specs).__name__}")
    types: dict[str, str] = {}
    for document in specs:
        if not isinstance(document, Mapping) or not isinstance(document.get("argument_specs"), Mapping):
            raise ValueError("scalar_option_types: a document without argument_specs")
        for entry_point in document["argument_specs"].values():
            for name, option in (entry_point or {}).get("options", {}).items():
                kind = (option or {}).get("type")
                if kind in SCALAR_TYPES:
                    types[name] = kind
    return dict(sorted(types.items()))


def mistyped_options(values: Any, types: Any) -> list[str]:
    """One message per option of ``types`` whose value in ``values`` is a string."""
    if not isinstance(values, Mapping) or not isinstance(types, Mapping):
        raise TypeError("mistyped_options expects two mappings: option values and option types")
    messages = []
    for name, kind in types.items():
        value = values.get(name)
        if not isinstance(value, str):
            continue
        shown = value if len(value) <= _SHOWN_CHARACTERS else value[:_SHOWN_CHARACTERS] + "..."
        messages.append(f"{name} must be {SCALAR_TYPES.get(kind, kind)}, not the text {shown!r}")
    return messages


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"scalar_option_types": scalar_option_types, "mistyped_options": mistyped_options}

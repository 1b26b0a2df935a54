"""Filter: one label's value on each container of a docker_host_info listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DOCUMENTATION = r"""
name: container_labels
short_description: The value of one label on each container, in order
version_added: 0.4.0
description:
  - Takes the containers of C(community.docker.docker_host_info) (C(containers), each with its
    C(Labels)) and returns the value of label O(name) for each, an empty string where a container
    has no such label (or no labels).
  - A label's name may hold dots (C(pdezzy.release)), which Jinja's C(map(attribute=...)) would
    read as a path.
options:
  _input:
    description: The containers.
    type: list
    elements: dict
    required: true
  name:
    description: The label's name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The release each app container runs
  ansible.builtin.set_fact:
    releases: "{{ host_info.containers | pdezzy.infra.container_labels('pdezzy.release') }}"
  # ["web-3-1a2b", "web-3-1a2b", ""]
"""

RETURN = r"""
_value:
  description: One value per container, in input order; C('') for a container without the label.
  type: list
  elements: str
"""


def container_labels(containers: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    """``name``'s value on each container ('' where it is absent)."""
    if isinstance(containers, (str, Mapping)) or not isinstance(containers, Sequence):
        raise TypeError(f"container_labels expects a list of containers, got {type(containers).__name__}")
    if not isinstance(name, str) or not name:
        raise TypeError("container_labels: the label's name must be a non-empty string")
    values = []
    for container in containers:
        if not isinstance(container, Mapping):
            raise TypeError(f"container_labels: a container must be a mapping, got {container!r}")
        labels = container.get("Labels") or {}
        values.append(str(labels.get(name, "")))
    return values


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"container_labels": container_labels}

"""Filter: image references to prune, keeping the newest N of a repository."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: stale_images
short_description: Pick the image tags to prune, keeping the newest ones for rollback
version_added: 0.1.0
description:
  - Takes the C(images) list of M(community.docker.docker_host_info) (each with C(RepoTags) and
    C(Created)) and returns the C(repository:tag) references beyond the newest O(keep).
  - References in O(protect) (the version being deployed, the one running) are never returned
    and count towards O(keep).
  - Untagged images (C(<none>:<none>)) are ignored.
options:
  _input:
    description: Images as returned by docker_host_info (C(RepoTags), C(Created) in Unix seconds).
    type: list
    elements: dict
    required: true
  keep:
    description: How many tagged images to keep, newest first. At least 1.
    type: int
    default: 3
  protect:
    description: References that must be kept.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Remove app images beyond the newest three
  community.docker.docker_image_remove:
    name: "{{ item }}"
  loop: "{{ images.images | pdezzy.infra.stale_images(keep=3, protect=['pdezzy-app:1.4.2']) }}"
"""

RETURN = r"""
_value:
  description: References to remove, oldest last.
  type: list
  elements: str
"""


def stale_images(images: Any, keep: int = 3, protect: list[str] | None = None) -> list[str]:
    """Return the tagged references beyond the newest ``keep``, never those in ``protect``."""
    if not isinstance(images, list):
        raise TypeError(f"stale_images expects a list of images, got {type(images).__name__}")
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"stale_images: keep must be an integer of at least 1, got {keep!r}")
    protected = set(protect or [])
    tagged: list[tuple[float, str]] = []
    for image in images:
        if not isinstance(image, Mapping):
            raise TypeError("stale_images: every image must be a mapping")
        created = float(image.get("Created") or 0)
        for ref in image.get("RepoTags") or []:
            if ref and ref != "<none>:<none>":
                tagged.append((created, ref))
    tagged.sort(key=lambda item: (item[0], item[1]), reverse=True)
    kept = [ref for _created, ref in tagged if ref in protected]
    stale: list[str] = []
    for _created, ref in tagged:
        if ref in protected:
            continue
        if len(kept) < keep:
            kept.append(ref)
        else:
            stale.append(ref)
    return stale


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"stale_images": stale_images}

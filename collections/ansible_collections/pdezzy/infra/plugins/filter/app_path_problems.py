"""Filter: what is wrong with the static and media directories Django reports for an app image."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: app_path_problems
short_description: Check the STATIC_ROOT and MEDIA_ROOT an app image's Django reports
version_added: 0.5.0
description:
  - Takes the report the app role's settings probe prints (C(static_root), C(media_root) and
    C(workdir), absolute paths inside the image; C('') for a setting that is not set) and returns
    the reasons the stack cannot mount its static and media volumes there, each a sentence that
    names the setting or variable to change. An empty list means the paths can be used.
  - A path is refused when it is not set, not absolute, the root, the app's working directory or
    one of its parents (a volume there would hide the code), or when the two overlap.
  - A non-empty I(static_root) or I(media_root) (the inventory's C(app_static_root),
    C(app_media_root)) must equal what Django reports.
options:
  _input:
    description: The probe's report.
    type: dict
    required: true
  static_root:
    description: The inventory's expected STATIC_ROOT; empty to take Django's.
    type: str
    default: ""
  media_root:
    description: The inventory's expected MEDIA_ROOT; empty to take Django's.
    type: str
    default: ""
  version:
    description: The app version the image is of, for the messages.
    type: str
    default: the image
"""

EXAMPLES = r"""
- name: Refuse paths the volumes cannot be mounted at
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' ') }}"
  vars:
    __problems: "{{ __app_settings | pdezzy.infra.app_path_problems(static_root=app_static_root) }}"
"""

RETURN = r"""
_value:
  description: The problems, one sentence each; empty when both paths can be used.
  type: list
  elements: str
"""

_SETTINGS = (("static_root", "STATIC_ROOT", "app_static_root"), ("media_root", "MEDIA_ROOT", "app_media_root"))


def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def app_path_problems(
    report: Any, static_root: str = "", media_root: str = "", version: str = "the image"
) -> list[str]:
    """The reasons the reported STATIC_ROOT and MEDIA_ROOT cannot be used; [] when they can."""
    if not isinstance(report, Mapping):
        raise TypeError(f"app_path_problems expects the probe's report as a dict, got {type(report).__name__}")
    expected = {"static_root": str(static_root or ""), "media_root": str(media_root or "")}
    workdir = posixpath.normpath(str(report.get("workdir") or "/"))
    problems: list[str] = []
    paths: dict[str, str] = {}
    for key, setting, variable in _SETTINGS:
        value = str(report.get(key) or "")
        if not value:
            problems.append(
                f"Django's {setting} is not set in {version}: set it in the app's settings to an absolute path "
                f"outside the code (collectstatic and uploads go there; the stack mounts a volume there)."
            )
            continue
        if not posixpath.isabs(value):
            problems.append(f"Django's {setting} in {version} is {value!r}, not an absolute path.")
            continue
        value = posixpath.normpath(value)
        if _inside(workdir, value):
            problems.append(
                f"Django's {setting} in {version} is {value}, which holds the app's code ({workdir}): a volume "
                f"mounted there would hide it. Set {setting} to a directory of its own "
                f"(e.g. {posixpath.join(workdir, key.split('_', maxsplit=1)[0])})."
            )
            continue
        if expected[key] and posixpath.normpath(expected[key]) != value:
            problems.append(
                f"{variable} is {expected[key]} but Django's {setting} in {version} is {value}: remove {variable} "
                f"(the role asks Django) or make the app's settings agree."
            )
            continue
        paths[key] = value
    static, media = paths.get("static_root"), paths.get("media_root")
    if static and media and (_inside(static, media) or _inside(media, static)):
        problems.append(
            f"Django's STATIC_ROOT ({paths['static_root']}) and MEDIA_ROOT ({paths['media_root']}) in {version} "
            f"overlap: collectstatic would mix with the uploads. Give each a directory of its own."
        )
    return problems


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"app_path_problems": app_path_problems}

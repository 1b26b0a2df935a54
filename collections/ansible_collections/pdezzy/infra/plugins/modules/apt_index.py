#!/usr/bin/python
"""Ansible module: refresh the apt package index only when it is missing or stale."""

from __future__ import annotations

DOCUMENTATION = r"""
module: apt_index
short_description: Refresh the apt package index when it is missing, stale or a repository changed
version_added: 0.2.0
description:
  - Runs C(apt-get update) when no package list has been downloaded yet (a fresh image), when the
    last successful update is older than O(valid_time), or when O(force) is set (for instance
    because a repository was just added). Otherwise does nothing.
  - The last successful update is the mtime of C(/var/lib/apt/periodic/update-success-stamp),
    the stamp C(apt.systemd.daily) and M(ansible.builtin.apt) use; this module touches it after
    each successful update.
  - Never reports a change (a fresh index changes nothing a run is meant to report); RV(updated)
    tells whether it ran. Run it with C(check_mode=false) so a dry run sees a current index.
options:
  valid_time:
    description: Seconds an index stays current.
    type: int
    default: 3600
  force:
    description: Refresh whatever the index's age.
    type: bool
    default: false
author:
  - pdezzy infrastructure team
"""

EXAMPLES = r"""
- name: Refresh the apt package index when it is missing or older than an hour
  pdezzy.infra.apt_index:
    valid_time: 3600
  check_mode: false

- name: Refresh it now that a repository was added
  pdezzy.infra.apt_index:
    force: "{{ repo_result is changed }}"
  check_mode: false
"""

RETURN = r"""
updated:
  description: Whether C(apt-get update) ran.
  type: bool
  returned: always
reason:
  description: Why it ran, or C(current).
  type: str
  returned: always
  sample: no package lists
age:
  description: Seconds since the last successful update before this run (0 after an update).
  type: int
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pdezzy.infra.plugins.module_utils.apt_index import AptIndexError, refresh


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "valid_time": {"type": "int", "default": 3600},
            "force": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    if module.params["valid_time"] < 0:
        module.fail_json(msg="valid_time must not be negative")

    def run(argv: list[str]) -> tuple[int, str, str]:
        return module.run_command(argv, environ_update={"DEBIAN_FRONTEND": "noninteractive"})

    try:
        result = refresh(module.params["valid_time"], module.params["force"], run)
    except AptIndexError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()

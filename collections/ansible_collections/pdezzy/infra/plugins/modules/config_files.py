#!/usr/bin/python
"""Ansible module: bring a role's directories and configuration files to a wanted state in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: config_files
short_description: Directories and small text files, all of a role's in one call
version_added: 0.2.0
description:
  - Creates or fixes every directory in O(directories), then writes every file in O(files) whose
    content, owner, group or mode differ from what is asked, in the order given.
  - One module call for the whole set, so a run that changes nothing costs one round trip, not
    one per file. Render templates on the controller with the C(ansible.builtin.template) lookup
    and pass the text as O(files[].content).
  - A file is written next to its target, checked with O(files[].validate) when given, then
    renamed over the target, so readers never see half a file and a file that fails its check
    never replaces the old one. A symbolic link at a file's path is replaced by the file.
  - Points each symbolic link of O(links) at its target, replacing a file or another link.
  - Returns which paths changed, so handlers can act on the file that concerns them (see the
    examples).
  - Supports check mode and diff mode. Put C(no_log) on the task when a file holds a secret.
options:
  directories:
    description: Directories to create (with their parents) or fix.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: str, required: true}
      owner: {description: User name or uid; unchanged when omitted., type: str}
      group: {description: Group name or gid; unchanged when omitted., type: str}
      mode: {description: "Quoted octal, e.g. C('0755'); new directories get 0755 when omitted.", type: str}
  files:
    description: Files and their whole content.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path; its directory must exist or be in O(directories)., type: str, required: true}
      content: {description: The whole text of the file (UTF-8)., type: str, required: true}
      owner: {description: User name or uid; unchanged (root for a new file) when omitted., type: str}
      group: {description: Group name or gid; unchanged when omitted., type: str}
      mode: {description: "Quoted octal, e.g. C('0640'); unchanged (0644 for a new file) when omitted.", type: str}
      validate:
        description: Command that checks the new file before it replaces the old one; C(%s) is the new file.
        type: str
  links:
    description: Symbolic links, made after the directories and files.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path of the link., type: str, required: true}
      src: {description: What the link points at., type: str, required: true}
notes:
  - Owners and groups must exist in a real run; in check mode a missing one is a warning, since an
    earlier task of the same run may create it.
author:
  - pdezzy infrastructure team
"""

EXAMPLES = r"""
- name: Write the role's configuration files
  pdezzy.infra.config_files:
    directories:
      - {path: /etc/systemd/journald.conf.d, owner: root, group: root, mode: "0755"}
    files:
      - path: /etc/systemd/journald.conf.d/50-pdezzy.conf
        content: "{{ lookup('ansible.builtin.template', 'journald.conf.j2') }}"
        owner: root
        group: root
        mode: "0644"
      - path: /etc/ssh/sshd_config.d/00-pdezzy.conf
        content: "{{ lookup('ansible.builtin.template', 'sshd_hardening.conf.j2') }}"
        mode: "0600"
        validate: /usr/sbin/sshd -t -f %s
  register: base_files
  notify: restart journald

# handlers/main.yml
- name: Restart journald
  ansible.builtin.systemd_service:
    name: systemd-journald
    state: restarted
  when: "'/etc/systemd/journald.conf.d/50-pdezzy.conf' in base_files.changed_paths"
"""

RETURN = r"""
changed_paths:
  description: Paths that were (or in check mode would be) created or changed, in order.
  type: list
  elements: str
  returned: always
  sample: [/etc/systemd/journald.conf.d/50-pdezzy.conf]
changes:
  description: What changed per path, one of C(created), C(content), C(attributes), C(link).
  type: dict
  returned: always
  sample: {/etc/systemd/journald.conf.d/50-pdezzy.conf: content}
diff:
  description: Before and after text of each file whose content changed.
  type: list
  elements: dict
  returned: in diff mode
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pdezzy.infra.plugins.module_utils.config_files import (
    ConfigFilesError,
    DirSpec,
    FileSpec,
    LinkSpec,
    converge,
)

ATTRS = {"owner": {"type": "str"}, "group": {"type": "str"}, "mode": {"type": "str"}}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "directories": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {"path": {"type": "str", "required": True}, **ATTRS},
            },
            "links": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {"path": {"type": "str", "required": True}, "src": {"type": "str", "required": True}},
            },
            "files": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "path": {"type": "str", "required": True},
                    "content": {"type": "str", "required": True},
                    "validate": {"type": "str"},
                    **ATTRS,
                },
            },
        },
        supports_check_mode=True,
    )

    def run(command: str) -> tuple[int, str, str]:
        return module.run_command(command)

    try:
        result = converge(
            [DirSpec(**item) for item in module.params["directories"]],
            [FileSpec(**item) for item in module.params["files"]],
            check=module.check_mode,
            diff=module._diff,
            run=run,
            links=[LinkSpec(**item) for item in module.params["links"]],
        )
    except (ConfigFilesError, OSError) as exc:
        module.fail_json(msg=str(exc))
    warnings = result.pop("warnings")
    for warning in warnings:  # type: ignore[union-attr]
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

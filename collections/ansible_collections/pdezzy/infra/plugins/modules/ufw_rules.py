#!/usr/bin/python
"""Ansible module: a list of UFW rules, in place in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: ufw_rules
short_description: Keep a list of UFW rules in place in one call, asking ufw which ones it lacks
version_added: 0.2.0
description:
  - For each rule of O(rules), in order, asks C(ufw --dry-run) whether ufw already has it and adds
    it when not. ufw's own answer decides, so rules written by hand or by other tools in ufw's
    extended syntax are recognised as they are.
  - One module call for the whole list; a run that changes nothing runs only the dry runs.
  - A rule that differs only in its comment is updated (ufw replaces the comment).
  - Rules not in the list are left alone, unless O(purge_prefix) is given - then the rules whose
    comment starts with it (the list's own, from earlier runs) and that the list no longer has are
    deleted, first. Rules of other tools or written by hand keep their place.
  - Policies, logging and enabling are ufw's files (C(/etc/default/ufw), C(/etc/ufw/ufw.conf)), not
    this module's business.
options:
  rules:
    description: The rules.
    type: list
    elements: dict
    required: true
    suboptions:
      rule:
        description: What to do with matching traffic.
        type: str
        choices: [allow, deny, reject, limit]
        default: allow
      port:
        description: Destination port (a number or a string) or range (C(6000:6010)); every port when omitted.
        type: raw
      proto: {description: Protocol., type: str, choices: [tcp, udp, any], default: tcp}
      from_ip: {description: Source address or network; C(any) for everyone., type: str, default: any}
      comment:
        description: Comment stored with the rule (one line, no single quotes).
        type: str
  purge_prefix:
    description:
      - Comment prefix of the rules this list owns. Every rule of O(rules) must carry it; a rule in
        ufw's rule files that carries it and is not in O(rules) is deleted.
      - Omitted, nothing is deleted.
    type: str
  rule_files:
    description: ufw's rule files, read to find the rules O(purge_prefix) owns.
    type: list
    elements: path
    default: [/etc/ufw/user.rules, /etc/ufw/user6.rules]
requirements:
  - ufw on the managed host
author:
  - pdezzy infrastructure team (@pdezzy)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: ufw's own dry run tells which rules are missing; nothing is added or deleted.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: SSH from the allow-list only, the web ports from everyone
  pdezzy.infra.ufw_rules:
    rules:
      - {port: "22", from_ip: 203.0.113.7/32, comment: ssh allow-list}
      - {port: "80", comment: web}
      - {port: "443", comment: web}
  notify: reload ufw

- name: The same, and an address removed from the allow-list loses its rule
  pdezzy.infra.ufw_rules:
    purge_prefix: "pdezzy: "
    rules:
      - {port: "22", from_ip: 203.0.113.7/32, comment: "pdezzy: ssh allow-list"}
      - {port: "443", comment: "pdezzy: web"}
"""

RETURN = r"""
added:
  description: The rules that were (or in check mode would be) added or updated, one label each.
  type: list
  elements: str
  returned: always
  sample: ["allow 22/tcp from 203.0.113.7/32"]
removed:
  description: The rules that were (or in check mode would be) deleted under O(purge_prefix), one label each.
  type: list
  elements: str
  returned: always
  sample: ["allow 22/tcp from 198.51.100.4"]
"""

from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pdezzy.infra.plugins.module_utils.ufw_rules import Rule, UfwRulesError, converge


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "rules": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "rule": {"type": "str", "choices": ["allow", "deny", "reject", "limit"], "default": "allow"},
                    "port": {"type": "raw"},
                    "proto": {"type": "str", "choices": ["tcp", "udp", "any"], "default": "tcp"},
                    "from_ip": {"type": "str", "default": "any"},
                    "comment": {"type": "str"},
                },
            },
            "purge_prefix": {"type": "str"},
            "rule_files": {
                "type": "list",
                "elements": "path",
                "default": ["/etc/ufw/user.rules", "/etc/ufw/user6.rules"],
            },
        },
        supports_check_mode=True,
    )
    ufw = module.get_bin_path("ufw", required=True)

    def run(argv: list[str]) -> tuple[int, str, str]:
        return module.run_command(argv)

    try:
        rules = [
            Rule(**{**item, "port": None if item["port"] is None else str(item["port"])})
            for item in module.params["rules"]
        ]
        files = [Path(name) for name in module.params["rule_files"]]
        result = converge(
            rules,
            check=module.check_mode,
            run=run,
            ufw=ufw,
            purge_prefix=module.params["purge_prefix"],
            rule_files=[path.read_text(encoding="utf-8") for path in files if path.exists()],
        )
    except UfwRulesError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

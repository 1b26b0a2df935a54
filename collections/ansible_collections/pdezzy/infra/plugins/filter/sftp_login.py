"""Filter: the login (user, host, port) of a restic SFTP repository URL."""

from __future__ import annotations

import re
from typing import Any

DOCUMENTATION = r"""
name: sftp_login
short_description: The user, host and port of a restic SFTP repository
version_added: 0.4.0
description:
  - Reads restic's two SFTP forms, C(sftp:[USER@]HOST:/PATH) and
    C(sftp://[USER@]HOST[:PORT]//PATH), and returns the login ssh is given. An empty mapping means
    the repository is not an SFTP one, or not a well-formed one; the caller refuses it.
  - A user or a host that starts with C(-), or holds white space or characters a host name or an
    address does not have, is not well-formed - ssh would read it as an option.
  - The host is a name (letters, digits, dots, hyphens, underscores), an IPv4 address or a
    bracketed IPv6 address (the brackets are dropped).
options:
  _input:
    description: The repository, as restic takes it (C(backup_offsite_repository)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The login of the off-host repository
  ansible.builtin.debug:
    msg: "{{ 'sftp://restic@backup.example.com:2222//srv/restic' | pdezzy.infra.sftp_login }}"
  # {"user": "restic", "host": "backup.example.com", "port": 2222}
"""

RETURN = r"""
_value:
  description: C(user) (empty when the URL names none), C(host) and C(port) (22 unless given); empty when not SFTP.
  type: dict
"""

_USER = r"(?:(?P<user>[A-Za-z0-9_][A-Za-z0-9._-]*)@)?"
_HOST = r"(?P<host>[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?|\[[0-9A-Fa-f:.]+\])"
_URL_FORM = re.compile(rf"sftp://{_USER}{_HOST}(?::(?P<port>[0-9]{{1,5}}))?//?\S*\Z")
_SHORT_FORM = re.compile(rf"sftp:(?!//){_USER}{_HOST}:\S+\Z")


def sftp_login(repository: Any) -> dict[str, Any]:
    """``{"user", "host", "port"}`` of an SFTP repository; ``{}`` when it is not a valid one."""
    if not isinstance(repository, str):
        raise TypeError(f"sftp_login expects the repository as a string, got {type(repository).__name__}")
    match = _URL_FORM.match(repository) or _SHORT_FORM.match(repository)
    if match is None:
        return {}
    port = int(match.groupdict().get("port") or 22)
    if not 1 <= port <= 65535:
        return {}
    return {"user": match.group("user") or "", "host": match.group("host").strip("[]"), "port": port}


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"sftp_login": sftp_login}

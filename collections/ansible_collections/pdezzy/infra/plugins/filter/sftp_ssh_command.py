"""Filter: the ssh command restic runs for an SFTP repository (its sftp.command option)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: sftp_ssh_command
short_description: The ssh command restic's C(sftp.command) option is given for an SFTP login
version_added: 0.4.0
description:
  - Takes the login of pdezzy.infra.sftp_login and returns the ssh command that reaches the
    repository with the role's key and the backup host's known keys only, never asking anything
    (C(BatchMode)), with keep-alives, and starts the SFTP subsystem.
  - An empty login (not an SFTP repository) gives an empty command. The words are quoted for a
    shell where they need it (restic splits the option as a shell does).
options:
  _input:
    description: The login, C({user, host, port}) as pdezzy.infra.sftp_login returns it, or C({}).
    type: dict
    required: true
  key_file:
    description: The private key's path on the host.
    type: path
    required: true
  known_hosts_file:
    description: The backup host's known keys' path on the host.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: The ssh command of the off-host repository
  ansible.builtin.debug:
    msg: >-
      {{ 'sftp:restic@backup.example.com:/srv/restic' | pdezzy.infra.sftp_login
         | pdezzy.infra.sftp_ssh_command(key_file='/etc/pdezzy-restic/id_sftp',
                                         known_hosts_file='/etc/pdezzy-restic/known_hosts') }}
  # ssh -i /etc/pdezzy-restic/id_sftp -o IdentitiesOnly=yes ... -p 22 restic@backup.example.com -s sftp
"""

RETURN = r"""
_value:
  description: The command, or an empty string for an empty login.
  type: str
"""


def sftp_ssh_command(login: Mapping[str, Any], key_file: str, known_hosts_file: str) -> str:
    """ssh's words for restic, joined as a shell reads them; '' for an empty login."""
    if not isinstance(login, Mapping):
        raise TypeError(f"sftp_ssh_command expects a login mapping, got {type(login).__name__}")
    if not login:
        return ""
    host, user, port = login.get("host"), login.get("user") or "", login.get("port", 22)
    bad_host = not isinstance(host, str) or not host or host.startswith("-")
    if bad_host or not isinstance(user, str) or user.startswith("-"):
        raise ValueError(f"sftp_ssh_command: not a login ssh can take: {dict(login)!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"sftp_ssh_command: port must be 1-65535, got {port!r}")
    for name, path in (("key_file", key_file), ("known_hosts_file", known_hosts_file)):
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"sftp_ssh_command: {name} must be an absolute path, got {path!r}")
    words = [
        "ssh", "-i", key_file, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts_file}",
        "-o", "ServerAliveInterval=60", "-p", str(port), f"{user}@{host}" if user else host, "-s", "sftp",
    ]  # fmt: skip
    return shlex.join(words)


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"sftp_ssh_command": sftp_ssh_command}

"""Filter: the environment git fetches with, its credentials read from files."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: git_env
short_description: The environment of a git fetch whose credentials stay in root's files
version_added: 0.4.0
description:
  - Git never prompts (C(GIT_TERMINAL_PROMPT=0)).
  - With a deploy key (O(_input.key_file)), C(GIT_SSH_COMMAND) makes ssh use that key only, and
    check the host against O(_input.known_hosts_file) when one is given (C(StrictHostKeyChecking=yes)),
    or accept a new host's key the first time otherwise (C(accept-new)).
  - With a token (O(_input.token_file)), a credential helper given through C(GIT_CONFIG_*) answers
    git's C(get) with the user name and the file's content. The token is never in the environment,
    a URL or a command line, only its file's path is.
  - Paths and the user name are quoted for the shell git runs them in.
options:
  _input:
    description: The settings; an empty path means the credential is not used.
    type: dict
    required: true
    suboptions:
      key_file:
        description: The deploy key's path on the host.
        type: str
        default: ""
      known_hosts_file:
        description: The git host's known keys' path; used with O(_input.key_file) only.
        type: str
        default: ""
      token_file:
        description: The token's path on the host.
        type: str
        default: ""
      username:
        description: The user name that goes with the token.
        type: str
        default: x-access-token
"""

EXAMPLES = r"""
- name: Fetch with a token kept in a file
  ansible.builtin.git:
    repo: https://git.example.com/team/app.git
    dest: /srv/app/repo
  environment: "{{ {'token_file': '/srv/app/.git-token', 'username': 'deploy'} | pdezzy.infra.git_env }}"
"""

RETURN = r"""
_value:
  description: Environment variables for git.
  type: dict
"""

_KEYS = {"key_file", "known_hosts_file", "token_file", "username"}


def _path(settings: Mapping[str, Any], key: str) -> str:
    value = settings.get(key) or ""
    if not isinstance(value, str) or (value and not value.startswith("/")):
        raise ValueError(f"git_env: {key} must be an absolute path or empty, got {value!r}")
    return value


def git_env(settings: Mapping[str, Any]) -> dict[str, str]:
    """GIT_* variables for a fetch with a deploy key, a token in a file, or neither."""
    if not isinstance(settings, Mapping):
        raise TypeError(f"git_env expects a mapping of settings, got {type(settings).__name__}")
    unknown = sorted(set(settings) - _KEYS)
    if unknown:
        raise ValueError(f"git_env: unknown settings {unknown}; known: {sorted(_KEYS)}")
    key_file, known_hosts, token_file = (_path(settings, k) for k in ("key_file", "known_hosts_file", "token_file"))
    username = settings.get("username") or "x-access-token"
    if not isinstance(username, str) or any(c in username for c in "\r\n"):
        raise ValueError("git_env: username must be one line of text")
    env = {"GIT_TERMINAL_PROMPT": "0"}
    if key_file:
        command = ["ssh", "-i", key_file, "-o", "IdentitiesOnly=yes"]
        if known_hosts:
            command += ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}"]
        else:
            command += ["-o", "StrictHostKeyChecking=accept-new"]
        env["GIT_SSH_COMMAND"] = shlex.join(command)
    if token_file:
        helper = (
            f'!f() {{ test "$1" = get && echo username={shlex.quote(username)}'
            f' && printf "password=%s\\n" "$(cat {shlex.quote(token_file)})"; }}; f'
        )
        env.update({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "credential.helper", "GIT_CONFIG_VALUE_0": helper})
    return env


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"git_env": git_env}

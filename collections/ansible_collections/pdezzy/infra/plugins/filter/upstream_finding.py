"""Filter: a health row comparing nginx's upstream with the replicas the stack runs."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: upstream_finding
short_description: A health row - does nginx's upstream name exactly the app's replicas
version_added: 0.4.0
description:
  - Takes the registered result of reading nginx's site file (C(ansible.builtin.slurp)) and the
    servers it should balance over (C(nginx_upstream_servers), C(HOST:PORT)), and returns one
    health row (C(name), C(check), C(ok), C(detail)) for P(pdezzy.infra.findings_table#filter).
  - Fails when the upstream names a server that is not a replica (a replica removed by a deploy
    with fewer replicas, say), misses one, or the file cannot be read or holds no upstream.
options:
  _input:
    description: The slurp result of the site file.
    type: dict
    required: true
  servers:
    description: The servers the upstream should name, C(HOST:PORT).
    type: list
    elements: str
    required: true
  upstream:
    description: The upstream block's name.
    type: str
    default: pdezzy_app
"""

EXAMPLES = r"""
- name: Read nginx's site file
  ansible.builtin.slurp:
    src: /opt/pdezzy/nginx/conf.d/pdezzy.conf
  register: __site
  failed_when: false

- name: Show the row
  ansible.builtin.debug:
    msg: "{{ __site | pdezzy.infra.upstream_finding(['app-1:8006', 'app-2:8006']) }}"
"""

RETURN = r"""
_value:
  description: One health row; C(detail) names the servers, or what is extra and what is missing.
  type: dict
"""


def _servers(text: str, upstream: str) -> list[str] | None:
    block = re.search(rf"^\s*upstream\s+{re.escape(upstream)}\s*\{{(.*?)^\s*\}}", text, re.M | re.S)
    if block is None:
        return None
    return re.findall(r"^\s*server\s+(\S+?)(?:\s[^;]*)?;", block.group(1), re.M)


def upstream_finding(result: Any, servers: Any, upstream: str = "pdezzy_app") -> dict[str, Any]:
    """The health row of nginx's upstream against ``servers``."""
    if not isinstance(result, Mapping):
        raise TypeError(f"upstream_finding expects a slurp result, got {type(result).__name__}")
    if isinstance(servers, (str, bytes)) or not isinstance(servers, (list, tuple)):
        raise TypeError(f"upstream_finding expects the servers as a list, got {type(servers).__name__}")
    row = {"name": "nginx", "check": "upstream"}
    if result.get("failed") or "content" not in result:
        return {**row, "ok": False, "detail": f"site file not read: {result.get('msg', 'no content')}"[:200]}
    try:
        text = base64.b64decode(result["content"]).decode()
    except (ValueError, UnicodeDecodeError):
        return {**row, "ok": False, "detail": "site file not readable as text"}
    named = _servers(text, upstream)
    if named is None:
        return {**row, "ok": False, "detail": f"no upstream {upstream} in the site file"}
    wanted = [str(server) for server in servers]
    extra = [server for server in named if server not in wanted]
    missing = [server for server in wanted if server not in named]
    if not extra and not missing:
        return {**row, "ok": True, "detail": ", ".join(named)}
    problems = ([f"names {', '.join(extra)}, not a replica"] if extra else []) + (
        [f"misses {', '.join(missing)}"] if missing else []
    )
    return {**row, "ok": False, "detail": "; ".join(problems)}


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"upstream_finding": upstream_finding}

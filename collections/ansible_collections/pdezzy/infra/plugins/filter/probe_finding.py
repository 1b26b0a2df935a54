"""Filter: a probe result as a finding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: probe_finding
short_description: Turn a pdezzy.infra.probe result into a finding
version_added: 0.1.0
description:
  - Returns C({name, check, ok, detail}) for a M(pdezzy.infra.probe) result (registered with
    O(ignore) of failures, i.e. C(fail_on_error=false)), ready for C(findings_table).
  - The detail is the probe's problems, or its status and latency when it passed.
options:
  _input:
    description: The registered probe result (also a loop item of C(results)).
    type: dict
    required: true
  check:
    description: The check's label, e.g. C(api).
    type: str
    required: true
  name:
    description: What was probed; default the probed host, port and path from the result's invocation.
    type: str
"""

EXAMPLES = r"""
- name: Report the API probe
  ansible.builtin.debug:
    msg: "{{ [api | pdezzy.infra.probe_finding('api')] | pdezzy.infra.findings_table }}"
"""

RETURN = r"""
_value:
  description: C({name, check, ok, detail}).
  type: dict
"""


def _target(result: Mapping[str, Any]) -> str:
    args = (result.get("invocation") or {}).get("module_args") or {}
    if not args and isinstance(result.get("item"), (str, int)):
        return str(result["item"])
    scheme = args.get("scheme", "https")
    kind = args.get("kind", "http")
    host = args.get("server_name") or args.get("host", "?")
    port = args.get("port")
    if kind == "tcp":
        return f"{host}:{port}"
    prefix = {"websocket": "wss" if scheme == "https" else "ws"}.get(kind, scheme)
    return f"{prefix}://{host}{':' + str(port) if port else ''}{args.get('path', '/')}"


def probe_finding(result: Any, check: str, name: str | None = None) -> dict[str, Any]:
    if not isinstance(result, Mapping) or "ok" not in result:
        raise TypeError("probe_finding expects a registered pdezzy.infra.probe result")
    problems = list(result.get("problems") or [])
    if problems:
        detail = "; ".join(problems)
    else:
        status = result.get("status")
        detail = (f"{status} " if status else "open ") + f"in {result.get('latency_ms', '?')} ms"
    return {"name": name or _target(result), "check": check, "ok": bool(result["ok"]), "detail": detail}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"probe_finding": probe_finding}

#!/usr/bin/python
"""Ansible module: probe an HTTP(S), TCP or WebSocket endpoint the way a client would."""

from __future__ import annotations

DOCUMENTATION = r"""
module: probe
short_description: Probe an HTTP(S), TCP or WebSocket endpoint, aimed at an address with a given Host/SNI
version_added: 0.1.0
description:
  - Connects to O(host) (an address or a name) and speaks to it as a client of O(server_name) would,
    with that name as TLS SNI and as the HTTP C(Host) header. So a check can aim at one server
    behind DNS, or at a site before DNS points at it.
  - C(http) checks the status, a substring of the body and values in a JSON body. C(tcp) only
    connects, with a TLS handshake when O(scheme=https). C(websocket) performs the upgrade, checks
    C(Sec-WebSocket-Accept) and, with O(ws_message), that the message comes back.
  - Returns the latency and, for TLS, the protocol, cipher and the certificate's subject, issuer,
    names, expiry and days left.
  - Never changes anything. A failed probe fails the task unless O(fail_on_error=false), which
    lets a playbook collect every result and report them together.
options:
  kind:
    description: What to probe.
    type: str
    choices: [http, tcp, websocket]
    default: http
  host:
    description: Address or name to connect to.
    type: str
    required: true
  port:
    description: Port; default 443 for O(scheme=https), 80 otherwise.
    type: int
  scheme:
    description: C(https) wraps the connection in TLS.
    type: str
    choices: [http, https]
    default: https
  server_name:
    description: Host header and TLS SNI; defaults to O(host).
    type: str
  path:
    description: Request path.
    type: str
    default: /
  method:
    description: HTTP method (C(http) only).
    type: str
    default: GET
  headers:
    description:
      - Extra request headers (HTTP, and the WebSocket handshake), such as C(Authorization) for a site
        behind basic auth.
      - Never printed back (they may carry credentials).
    type: dict
    default: {}
  expected_status:
    description: Acceptable HTTP status codes.
    type: list
    elements: int
    default: [200]
  body_contains:
    description: A substring the body must contain.
    type: str
  json_expect:
    description:
      - 'Dotted paths and the values they must have in a JSON body,
        e.g. C({"status": "ok", "checks.redis": "ok"}).'
    type: dict
  validate_certs:
    description: Verify the certificate chain and name.
    type: bool
    default: true
  ca_path:
    description: CA bundle to verify against instead of the system's.
    type: path
  timeout:
    description: Seconds for connecting and for each read.
    type: float
    default: 5
  retries:
    description: Further attempts after a failure.
    type: int
    default: 0
  delay:
    description: Seconds before the first retry; each later wait is O(backoff) times longer.
    type: float
    default: 1
  backoff:
    description: Multiplier of the wait between retries.
    type: float
    default: 2
  ws_message:
    description: Text frame sent after a WebSocket upgrade; the probe expects it back.
    type: str
  fail_on_error:
    description: Fail the task when the probe fails.
    type: bool
    default: true
author:
  - pdezzy infrastructure team (@pdezzy)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The probe only reads; it runs the same in check mode and never reports a change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: The API answers through nginx with a valid certificate
  pdezzy.infra.probe:
    host: 72.60.170.141
    server_name: pineriverapp.com
    path: /api/health/
    json_expect: {status: ok}
    retries: 3

- name: WebSocket upgrade through the edge
  pdezzy.infra.probe:
    kind: websocket
    host: 127.0.0.1
    server_name: pineriverapp.com
    path: /ws/echo/
    ws_message: ping
    validate_certs: false

- name: PostgreSQL listens on loopback
  pdezzy.infra.probe:
    kind: tcp
    scheme: http
    host: 127.0.0.1
    port: 5433
"""

RETURN = r"""
ok:
  description: Whether every check passed.
  type: bool
  returned: always
problems:
  description: What failed, one sentence each.
  type: list
  elements: str
  returned: always
latency_ms:
  description: Duration of the last attempt.
  type: float
  returned: always
attempts:
  description: Attempts made.
  type: int
  returned: always
status:
  description: HTTP status (101 for a WebSocket upgrade).
  type: int
  returned: when kind is http or websocket and an answer came
body:
  description: Start of the response body (4 KiB).
  type: str
  returned: when kind is http
json:
  description: The parsed body.
  type: raw
  returned: when json_expect is set and the body is JSON
received:
  description: The WebSocket message received back.
  type: str
  returned: when ws_message is set
tls:
  description: TLS facts; null for plain connections.
  type: dict
  returned: always
  contains:
    protocol: {description: "Negotiated protocol, e.g. TLSv1.3.", type: str}
    cipher: {description: Negotiated cipher., type: str}
    subject: {description: Certificate subject CN., type: str}
    issuer: {description: Issuer CN., type: str}
    sans: {description: DNS names., type: list, elements: str}
    not_after: {description: Expiry (ISO 8601)., type: str}
    days_left: {description: Whole days until expiry., type: int}
    serial: {description: Serial number (hex)., type: str}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pdezzy.infra.plugins.module_utils.probe import ProbeSpec, run_probe

SPEC_FIELDS = (
    "kind",
    "host",
    "port",
    "scheme",
    "server_name",
    "path",
    "method",
    "headers",
    "expected_status",
    "body_contains",
    "json_expect",
    "validate_certs",
    "ca_path",
    "timeout",
    "ws_message",
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "kind": {"type": "str", "choices": ["http", "tcp", "websocket"], "default": "http"},
            "host": {"type": "str", "required": True},
            "port": {"type": "int"},
            "scheme": {"type": "str", "choices": ["http", "https"], "default": "https"},
            "server_name": {"type": "str"},
            "path": {"type": "str", "default": "/"},
            "method": {"type": "str", "default": "GET"},
            "headers": {"type": "dict", "default": {}, "no_log": True},
            "expected_status": {"type": "list", "elements": "int", "default": [200]},
            "body_contains": {"type": "str"},
            "json_expect": {"type": "dict"},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
            "timeout": {"type": "float", "default": 5},
            "retries": {"type": "int", "default": 0},
            "delay": {"type": "float", "default": 1},
            "backoff": {"type": "float", "default": 2},
            "ws_message": {"type": "str"},
            "fail_on_error": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["retries"] < 0 or params["timeout"] <= 0 or params["delay"] < 0 or params["backoff"] < 1:
        module.fail_json(msg="retries and delay must not be negative, timeout must be positive, backoff at least 1")
    spec = ProbeSpec(**{name: params[name] for name in SPEC_FIELDS if params[name] is not None})
    result = run_probe(spec, retries=params["retries"], delay=params["delay"], backoff=params["backoff"])
    result["changed"] = False
    if not result["ok"] and params["fail_on_error"]:
        module.fail_json(msg="; ".join(result["problems"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

"""Filter: the TLS facts of a probe as a certificate finding."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: cert_finding
short_description: A finding about the certificate a probe saw, failing below a number of days left
version_added: 0.1.0
description:
  - Takes the C(tls) facts of a M(pdezzy.infra.probe) result (or the output of C(cert_info)) and
    returns C({name, check, ok, detail}); it fails when there was no certificate or when
    C(days_left) is not above O(min_days).
options:
  _input:
    description: TLS facts (C(days_left), C(subject), C(issuer), C(protocol)); null when there were none.
    type: dict
    required: true
  name:
    description: What the certificate is for.
    type: str
    required: true
  min_days:
    description: Days the certificate must still be valid for.
    type: int
    default: 14
"""

EXAMPLES = r"""
- name: Certificate finding of the API probe
  ansible.builtin.set_fact:
    cert: "{{ api.tls | pdezzy.infra.cert_finding('https://pineriverapp.com', min_days=14) }}"
"""

RETURN = r"""
_value:
  description: C({name, check, ok, detail}) with check C(certificate).
  type: dict
"""


def cert_finding(tls: Any, name: str, min_days: int = 14) -> dict[str, Any]:
    if tls is None or (isinstance(tls, Mapping) and "days_left" not in tls):
        return {"name": name, "check": "certificate", "ok": False, "detail": "no certificate was seen"}
    if not isinstance(tls, Mapping):
        raise TypeError("cert_finding expects the tls facts of a probe result")
    days = int(tls["days_left"])
    detail = f"{tls.get('subject', '?')} by {tls.get('issuer', '?')}, {days} days left"
    if tls.get("protocol"):
        detail += f", {tls['protocol']}"
    if days <= min_days:
        detail += f" (needs more than {min_days})"
    return {"name": name, "check": "certificate", "ok": days > min_days, "detail": detail}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"cert_finding": cert_finding}

"""Filter: facts of a PEM certificate (names, expiry, days left)."""

from __future__ import annotations

import datetime
import ssl
from typing import Any

from ansible_collections.pdezzy.infra.plugins.module_utils.probe import certificate_facts, decode_pem_certificate

DOCUMENTATION = r"""
name: cert_info
short_description: Subject, issuer, names, expiry and days left of a PEM certificate
version_added: 0.1.0
description:
  - Decodes the first certificate of a PEM text (for example a slurped C(fullchain.pem)) with
    Python's own C(ssl) decoder and returns its facts, C(days_left) included.
options:
  _input:
    description: PEM text.
    type: str
    required: true
  now:
    description: ISO 8601 time to count from (default the current time, UTC).
    type: str
"""

EXAMPLES = r"""
- name: Fail when the certificate expires within 14 days
  ansible.builtin.assert:
    that: (pem.content | b64decode | pdezzy.infra.cert_info).days_left > 14
"""

RETURN = r"""
_value:
  description: C({subject, issuer, sans, not_after, days_left, serial}).
  type: dict
"""

BEGIN = "-----BEGIN CERTIFICATE-----"
END = "-----END CERTIFICATE-----"


def cert_info(pem: Any, now: str | None = None) -> dict[str, Any]:
    if not isinstance(pem, str) or BEGIN not in pem or END not in pem:
        raise ValueError("cert_info expects PEM text with a certificate")
    first = pem[pem.index(BEGIN) : pem.index(END) + len(END)] + "\n"
    try:
        decoded = decode_pem_certificate(first)
    except ssl.SSLError as error:
        raise ValueError(f"cert_info: not a valid certificate: {error}") from error
    moment = datetime.datetime.fromisoformat(now) if now else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return certificate_facts(decoded, moment)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"cert_info": cert_info}

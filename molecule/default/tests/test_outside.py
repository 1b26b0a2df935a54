"""The outside view of the converged site: what a host on the internet finds.

From the peer: a TCP scan of all 65535 ports, ssh-audit, and the response headers. From the
controller (another host on the same network; sslyze is a native build for its Python): a TLS
scan against Mozilla's "intermediate" configuration. The only findings allowed are the test
CA's own: pebble's certificate chains to a CA no trust store has.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
import testinfra
from conftest import ssh_audit_from

testinfra_hosts = ["ansible://vps"]

DOMAIN = "site.test"
# What sslyze's Mozilla check finds in pebble's certificates, which a real CA's do not have.
TEST_CA_FINDINGS = {"certificate_path_validation", "maximum_certificate_lifespan"}
SCAN = base64.b64encode((Path(__file__).parent / "portscan.py").read_bytes()).decode()


@pytest.fixture(scope="module")
def peer(host) -> testinfra.host.Host:
    return testinfra.get_host("ansible://peer-default", ansible_inventory=host.backend.ansible_inventory)


@pytest.fixture(scope="module")
def address(peer) -> str:
    return peer.check_output("getent hosts vps-default").split()[0]


def test_a_scan_of_every_tcp_port_finds_ssh_and_the_web_ports_only(peer, address: str) -> None:
    out = peer.check_output(f"echo {SCAN} | base64 -d > /tmp/portscan.py && python3 /tmp/portscan.py {address}")
    assert json.loads(out) == [22, 80, 443]


def test_ssh_audit_finds_nothing_to_fail_or_warn(peer) -> None:
    rc, report, notes = ssh_audit_from(peer, "vps-default")
    assert notes == [], notes
    assert rc == 0, report


def test_the_site_answers_with_its_security_headers(peer, address: str) -> None:
    out = peer.check_output(f"curl -sk -D - -o /dev/null --resolve {DOMAIN}:443:{address} https://{DOMAIN}/ || true")
    fields = {}
    for line in out.strip().splitlines()[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    assert fields["strict-transport-security"].startswith("max-age=31536000")
    assert fields["x-content-type-options"] == "nosniff"
    assert fields["x-frame-options"] == "SAMEORIGIN"
    assert fields["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "object-src 'none'" in fields["content-security-policy"]
    assert "frame-ancestors 'self'" in fields["content-security-policy"]
    assert "camera=()" in fields["permissions-policy"]
    assert fields["server"] == "nginx", fields["server"]  # no version


def test_a_tls_scan_against_mozillas_intermediate_profile_finds_only_the_test_cas_certificate(
    address: str, tmp_path: Path
) -> None:
    sslyze = os.environ.get("PDEZZY_SSLYZE") or "/nonexistent"
    assert Path(sslyze).exists(), "PDEZZY_SSLYZE: scripts/harness molecule installs the scanner"
    report = tmp_path / "sslyze.json"
    result = subprocess.run(
        [sslyze, "--mozilla_config=intermediate", f"--json_out={report}", f"{DOMAIN}:443{{{address}}}"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(result.stdout)
    scan = json.loads(report.read_text())["server_scan_results"][0]
    assert scan["scan_status"] == "COMPLETED", scan
    # The compliance section lists one "* check: reason" line per finding.
    compliance = result.stdout.partition("COMPLIANCE AGAINST TLS CONFIGURATION")[2]
    findings = {line.strip()[2:].partition(":")[0] for line in compliance.splitlines() if line.strip().startswith("* ")}
    # Only the test CA's own properties: a chain to a root no trust store has (the control: the
    # scan does see it), and pebble's certificate lifetime.
    assert "certificate_path_validation" in findings, compliance
    assert findings <= TEST_CA_FINDINGS, compliance

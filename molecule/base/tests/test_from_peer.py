"""Real connections from a second host on the network: what the internet sees of the VPS."""

from __future__ import annotations

import time

import pytest
from conftest import ssh_audit_from

testinfra_hosts = ["ansible://peer"]

VPS = "vps-base"
SSH = "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"


def probe(host, port: int, bind: str | None = None) -> str:
    """Return 'open', 'refused' or 'filtered' for a TCP connect from the peer."""
    source = f"-s {bind} " if bind else ""
    result = host.run(f"nc -z -v -w 4 {source}{VPS} {port}")
    if result.rc == 0:
        return "open"
    if "refused" in result.stderr:
        return "refused"
    if "timed out" in result.stderr:
        return "filtered"
    raise AssertionError(f"unexpected nc result for port {port}: {result.stderr!r}")


def test_key_login_as_deploy_works(host) -> None:
    result = host.run(f"{SSH} deploy@{VPS} 'id -un && sudo -n true && echo sudo-ok'")
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["deploy", "sudo-ok"]


def test_root_login_is_refused_even_with_an_authorised_key(host) -> None:
    result = host.run(f"{SSH} root@{VPS} true")
    assert result.rc == 255
    assert "Permission denied" in result.stderr


def test_password_login_is_not_offered(host) -> None:
    result = host.run(
        f"{SSH} -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive deploy@{VPS} true"
    )
    assert result.rc == 255
    # The server lists the methods it accepts: public key only.
    assert "Permission denied (publickey)" in result.stderr


def test_weak_key_exchange_is_refused(host) -> None:
    result = host.run(f"{SSH} -o KexAlgorithms=diffie-hellman-group14-sha1 deploy@{VPS} true")
    assert result.rc == 255
    assert "no matching key exchange method" in result.stderr


@pytest.mark.parametrize("port", [80, 443])
def test_web_ports_are_allowed(host, port: int) -> None:
    assert probe(host, port) == "open"


def test_port_not_allowed_by_ufw_is_filtered(host) -> None:
    # The VPS listens on 8080 (prepare.yml), but UFW has no rule for it.
    assert probe(host, 8080) == "filtered"


def test_ssh_from_an_address_outside_the_allow_list_is_filtered(host) -> None:
    address = host.interface("eth0").addresses[0]
    other = ".".join([*address.split(".")[:3], "200"])
    host.run(f"ip addr add {other}/32 dev eth0")
    try:
        assert probe(host, 22, bind=other) == "filtered"
        assert probe(host, 22) == "open"
    finally:
        host.run(f"ip addr del {other}/32 dev eth0")


def test_ssh_audit_from_the_peer_finds_nothing_to_fail_or_warn(host) -> None:
    """ssh-audit (the controller's pinned copy, pure Python) run on the peer against the VPS."""
    rc, report, notes = ssh_audit_from(host, VPS)
    assert notes == [], notes
    assert rc == 0, report  # ssh-audit's "good"
    keys = {entry["algorithm"] for entry in report["key"]}
    assert "ecdsa-sha2-nistp256" not in keys
    assert {"ssh-ed25519", "rsa-sha2-512"} <= keys


def test_host_keys_offered_are_ed25519_and_rsa_of_3072_bits_or_more(host) -> None:
    """The host keys, fetched from the peer by OpenSSH's ssh-keyscan. (ssh-audit cannot size them:
    its own client knows no post-quantum key exchange, and the VPS offers no other.) OpenSSH 9.8
    and newer hold back a source's connections for a while after unfinished ones, such as
    ssh-audit's: the scan is tried again for up to a minute."""
    scan = f"ssh-keyscan -t ed25519,rsa,ecdsa {VPS} 2>/dev/null | ssh-keygen -l -f -"
    result = host.run(scan)
    for _ in range(30):
        if result.rc == 0:
            break
        time.sleep(2)
        result = host.run(scan)
    assert result.rc == 0, result.stderr
    scanned = result.stdout.strip()
    sizes = {line.split()[-1]: int(line.split()[0]) for line in scanned.splitlines()}
    assert set(sizes) == {"(ED25519)", "(RSA)"}, scanned
    assert sizes["(RSA)"] >= 3072

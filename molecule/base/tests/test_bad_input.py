"""Bad input fails in validation, names the variable, and changes nothing on the VPS."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_refused

testinfra_hosts = ["ansible://vps"]

PLAYBOOK = Path(__file__).resolve().parents[1] / "bad_input.yml"
GOOD_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq1ZQ0m4j2fQ2rX8m0pQkU2kq2V9Yc0m8eA1b2c3d4e operator"

CASES = {
    "empty allow-list": ({"base_ssh_allowed_cidrs": []}, "base_ssh_allowed_cidrs is empty"),
    "malformed CIDR": (
        {"base_ssh_allowed_cidrs": ["203.0.113.0/33", "10.0.0.1"]},
        "base_ssh_allowed_cidrs has entries that are not IP addresses or CIDR networks: 203.0.113.0/33",
    ),
    "deploy user without keys": ({"base_deploy_authorized_keys": []}, "base_deploy_authorized_keys is empty"),
    "key that is not a public key": (
        {"base_deploy_authorized_keys": ["not a key"]},
        "base_deploy_authorized_keys has entries that are not SSH public keys",
    ),
    "allow-list of wrong type": ({"base_ssh_allowed_cidrs": {"a": 1}}, "base_ssh_allowed_cidrs"),
    "unknown UFW logging level": ({"base_ufw_logging": "loud"}, "base_ufw_logging"),
    "RSA host keys below 3072 bits": (
        {"base_ssh_rsa_host_key_bits": 2048},
        "base_ssh_rsa_host_key_bits must be at least 3072 (it is 2048)",
    ),
    "an ECDSA host key": ({"base_ssh_host_key_types": ["ed25519", "ecdsa"]}, "base_ssh_host_key_types"),
    "an allow-list that admits the world": (
        {"base_ssh_allowed_cidrs": ["0.0.0.0/0"]},
        "base_ssh_allowed_cidrs admits every address (0.0.0.0/0)",
    ),
    "an allow-list that would lock this run out": (
        {"base_ssh_client_address": "198.51.100.7"},
        "This run connects from 198.51.100.7, which base_ssh_allowed_cidrs",
    ),
    "key exchange methods this OpenSSH does not know": (
        {"base_ssh_kex_algorithms": ["no-such-kex@example.org"]},
        "None of base_ssh_kex_algorithms (no-such-kex@example.org) is known to this host's OpenSSH",
    ),
    "production without an alert command": (
        {"base_alert_required": True},
        "base_alert_required is on and base_alert_command is empty: a failed nightly backup",
    ),
    "production with the vault's placeholder for the alert command": (
        {"base_alert_required": True, "base_alert_command": "REPLACE-ME"},
        "base_alert_required is on and base_alert_command is a placeholder",
    ),
    "journal size without a unit systemd knows": (
        {"base_journal_max_use": "500 megs"},
        "base_journal_max_use must be a size such as 500M",
    ),
}

WATCHED = [
    "/etc/ssh/sshd_config.d/01-pdezzy-hardening.conf",
    "/home/deploy/.ssh/authorized_keys",
    "/etc/ufw/user.rules",
    "/etc/sysctl.d/90-pdezzy-base.conf",
    "/etc/systemd/journald.conf.d/50-pdezzy.conf",
]


def snapshot(host) -> str:
    return host.check_output("sha256sum " + " ".join(WATCHED) + " && ufw status numbered")


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_with_nothing_changed(host, run_playbook, case: str) -> None:
    overrides, message = CASES[case]
    extra = {"base_deploy_authorized_keys": [GOOD_KEY], "base_ssh_allowed_cidrs": ["192.0.2.0/24"], **overrides}
    before = snapshot(host)
    result = run_playbook(PLAYBOOK, extra)
    assert_refused(result, message)
    assert snapshot(host) == before

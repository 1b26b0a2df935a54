"""Re-runs of the converged role: a changed file triggers only its own handler, extra UFW rules
are added once, and a run that changes nothing says so."""

from __future__ import annotations

import re
from pathlib import Path

testinfra_hosts = ["ansible://vps"]

CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
JOURNALD_DROPIN = "/etc/systemd/journald.conf.d/50-pdezzy.conf"


def changed(result) -> int:
    match = re.search(r"vps-base\s*:\s*ok=\d+\s+changed=(\d+)", result.output)
    assert match, result.output
    return int(match.group(1))


def unit_value(host, unit: str, prop: str) -> str:
    return host.check_output(f"systemctl show -p {prop} --value {unit}")


def test_a_hand_edited_file_is_put_back_and_only_its_handler_runs(host, run_playbook) -> None:
    original = host.file(JOURNALD_DROPIN).content_string
    journald_start = unit_value(host, "systemd-journald", "ActiveEnterTimestampMonotonic")
    fail2ban_pid = unit_value(host, "fail2ban", "MainPID")
    host.run_expect([0], f"echo 'SystemMaxUse=1G' >> {JOURNALD_DROPIN}")
    result = run_playbook(CONVERGE)
    assert result.returncode == 0, result.output
    assert host.file(JOURNALD_DROPIN).content_string == original
    assert "RUNNING HANDLER [base : Restart journald]" in result.output
    # The file task and the journald restart; no other handler (ssh, ufw, fail2ban, sysctl).
    assert changed(result) == 2, result.output
    assert unit_value(host, "systemd-journald", "ActiveEnterTimestampMonotonic") != journald_start
    assert unit_value(host, "fail2ban", "MainPID") == fail2ban_pid


def test_the_roles_ufw_rules_are_exactly_the_configured_ones(host, run_playbook) -> None:
    """Rules added by the lists are removed with them; another tool's rule keeps its place."""
    peer = host.check_output("getent hosts peer-base").split()[0]
    more = {
        "base_ssh_allowed_cidrs": [f"{peer}/32", "198.51.100.0/24"],
        "base_ufw_extra_rules": [{"port": 8081, "from_ip": "192.0.2.0/24", "comment": "probe"}],
    }
    other_tool = "ufw allow from 10.9.0.0/16 to any port 9100 proto tcp comment 'node exporter'"
    host.check_output(other_tool)
    try:
        first = run_playbook(CONVERGE, more)
        assert first.returncode == 0, first.output
        added = host.check_output("ufw show added")
        assert "ufw allow from 198.51.100.0/24 to any port 22 proto tcp comment 'pdezzy: ssh allow-list'" in added
        assert "ufw allow from 192.0.2.0/24 to any port 8081 proto tcp comment 'pdezzy: probe'" in added
        assert "198.51.100.0/24" in host.check_output("fail2ban-client get sshd ignoreip")
        again = run_playbook(CONVERGE, more)
        assert again.returncode == 0, again.output
        assert changed(again) == 0, again.output
        # The address and the extra rule leave the lists: their rules go, nothing else does.
        back = run_playbook(CONVERGE)
        assert back.returncode == 0, back.output
        added = host.check_output("ufw show added")
        assert "198.51.100.0/24" not in added
        assert "8081" not in added
        assert f"ufw allow from {peer} to any port 22 proto tcp comment 'pdezzy: ssh allow-list'" in added
        assert other_tool in added
        assert "198.51.100.0/24" not in host.check_output("fail2ban-client get sshd ignoreip")
    finally:
        host.run("ufw delete allow from 10.9.0.0/16 to any port 9100 proto tcp")

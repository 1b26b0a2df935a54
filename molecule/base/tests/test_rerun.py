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


def test_extra_ufw_rules_are_added_once(host, run_playbook) -> None:
    extra = {"base_ufw_extra_rules": [{"port": 8081, "from_ip": "192.0.2.0/24", "comment": "probe"}]}
    try:
        first = run_playbook(CONVERGE, extra)
        assert first.returncode == 0, first.output
        assert changed(first) == 1, first.output
        added = host.check_output("ufw show added")
        assert "ufw allow from 192.0.2.0/24 to any port 8081 proto tcp comment 'probe'" in added
        second = run_playbook(CONVERGE, extra)
        assert second.returncode == 0, second.output
        assert changed(second) == 0, second.output
    finally:
        host.run("ufw delete allow proto tcp from 192.0.2.0/24 to any port 8081")
    assert "8081" not in host.check_output("ufw show added")

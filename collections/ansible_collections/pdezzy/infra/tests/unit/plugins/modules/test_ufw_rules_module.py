"""The ufw_rules module run as Ansible runs it, with a ufw stand-in on PATH."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

RunModule = Callable[..., "tuple[int, dict]"]

# Records each call; answers a dry run of a rule in rules.txt as ufw does for an existing rule.
FAKE_UFW = """#!/bin/sh
echo "$*" >> "$UFW_LOG"
if [ "$1" = --dry-run ]; then
  shift
  if grep -qxF -- "$*" "$UFW_RULES"; then
    echo 'Skipping adding existing rule'; echo 'Skipping adding existing rule (v6)'
  else
    echo 'Rules updated'
  fi
else
  echo "$*" >> "$UFW_RULES"; echo 'Rule added'
fi
"""


def run_ufw_rules(run_module: RunModule, tmp_path: Path, args: dict, with_ufw: bool = True) -> tuple[int, dict]:
    """The module with the ufw stand-in (or no ufw at all) first on PATH."""
    bin_dir = tmp_path / ("bin" if with_ufw else "empty-bin")
    bin_dir.mkdir(exist_ok=True)
    if with_ufw:
        (bin_dir / "ufw").write_text(FAKE_UFW)
        (bin_dir / "ufw").chmod(0o755)
    (tmp_path / "rules.txt").touch()
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "UFW_LOG": str(tmp_path / "calls.txt"),
        "UFW_RULES": str(tmp_path / "rules.txt"),
    }
    return run_module("ufw_rules", args, env)


def test_adds_then_reports_no_change(tmp_path: Path, run_module: RunModule) -> None:
    args = {"rules": [{"port": "22", "from_ip": "192.0.2.0/24", "comment": "ssh"}, {"port": 80}]}
    rc, first = run_ufw_rules(run_module, tmp_path, args)
    assert rc == 0, first
    assert first["added"] == ["allow 22/tcp from 192.0.2.0/24", "allow 80/tcp from any"]
    assert (tmp_path / "rules.txt").read_text().splitlines() == [
        "allow proto tcp from 192.0.2.0/24 to any port 22 comment ssh",
        "allow proto tcp from any to any port 80",
    ]
    rc, second = run_ufw_rules(run_module, tmp_path, args)
    assert rc == 0
    assert second["changed"] is False


def test_bad_input_and_missing_ufw_fail(tmp_path: Path, run_module: RunModule) -> None:
    rc, result = run_ufw_rules(run_module, tmp_path, {"rules": [{"port": "22", "proto": "icmp"}]})
    assert rc == 1
    assert "proto" in result["msg"]
    if shutil.which("ufw", path="/sbin:/usr/sbin:/usr/local/sbin"):
        pytest.skip("this machine has ufw in a system path the module also searches")
    rc, result = run_ufw_rules(run_module, tmp_path, {"rules": [{"port": "22"}]}, with_ufw=False)
    assert rc == 1
    assert "ufw" in result["msg"]

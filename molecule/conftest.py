"""Fixtures shared by the Molecule scenarios' testinfra tests."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env["ANSIBLE_ROLES_PATH"] = str(PROJECT / "roles")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(PROJECT / "collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


@pytest.fixture
def run_playbook() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a playbook against the scenario's inventory; returns the completed process.

    The output (stdout + stderr, white space folded) is in ``result.output``.
    """

    def run(playbook: Path, extra_vars: dict[str, Any] | None = None, *args: str) -> subprocess.CompletedProcess[str]:
        inventory = str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)  # as Molecule passes it
        command = ["ansible-playbook", "-i", inventory, str(playbook), *args]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        result = subprocess.run(command, capture_output=True, text=True, env=ansible_env(), timeout=600, check=False)
        result.output = " ".join((result.stdout + result.stderr).split())  # type: ignore[attr-defined]
        return result

    return run


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    """The run failed before changing anything, and said ``message``."""
    output = result.output  # type: ignore[attr-defined]
    assert result.returncode != 0, output
    assert message in output, output
    assert "changed=0" in output, output

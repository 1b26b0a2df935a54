"""Run ansible or ansible-playbook with the JSON stdout callback and read the one host's answer to
the first task: how the inventory and wiring tests see values templated as a run sees them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def first_task_answer(command: list[str]) -> dict[str, Any]:
    """The result of the first task on the only host (nothing connects: ``debug`` runs here)."""
    env = dict(os.environ, ANSIBLE_STRATEGY="linear", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    env["ANSIBLE_STDOUT_CALLBACK"] = "json"
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / "collections")
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # ansible.cfg's task timer prints a line before the JSON document and its summary after.
    document = result.stdout[result.stdout.index("\n{") + 1 :]
    hosts = json.JSONDecoder().raw_decode(document)[0]["plays"][0]["tasks"][0]["hosts"]
    (answer,) = hosts.values()
    return answer

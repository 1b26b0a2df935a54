"""Run a module of the collection as Ansible runs it: a child process reading its arguments from a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

COLLECTIONS = Path(__file__).resolve().parents[7]

RunModule = Callable[..., "tuple[int, dict]"]


@pytest.fixture
def run_module(tmp_path: Path) -> RunModule:
    """``run_module(name, args, env=None)`` -> (exit code, parsed JSON result).

    ``env`` replaces the child's environment (PYTHONPATH is always set to find the collection).
    """

    def run(name: str, args: dict, env: dict[str, str] | None = None) -> tuple[int, dict]:
        args_file = tmp_path / "args.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        child_env = {**(os.environ if env is None else env)}
        child_env["PYTHONPATH"] = os.pathsep.join([str(COLLECTIONS), *sys.path])
        done = subprocess.run(
            [sys.executable, "-m", f"ansible_collections.pdezzy.infra.plugins.modules.{name}", str(args_file)],
            capture_output=True,
            text=True,
            env=child_env,
            check=False,
        )
        return done.returncode, json.loads(done.stdout)

    return run

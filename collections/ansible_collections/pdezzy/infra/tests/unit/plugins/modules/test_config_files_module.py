"""The config_files module run as Ansible runs it: a child process reading its arguments from a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ansible_collections.pdezzy.infra.plugins.module_utils import config_files

COLLECTIONS = Path(config_files.__file__).resolve().parents[4]


def run_module(tmp_path: Path, args: dict) -> tuple[int, dict]:
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(COLLECTIONS), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "ansible_collections.pdezzy.infra.plugins.modules.config_files", str(args_file)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_writes_then_reports_no_change(tmp_path: Path) -> None:
    target = tmp_path / "out" / "app.conf"
    args = {
        "directories": [{"path": str(target.parent), "mode": "0750"}],
        "files": [{"path": str(target), "content": "key = value\n", "mode": "0640"}],
        "_ansible_diff": True,
    }
    rc, first = run_module(tmp_path, args)
    assert rc == 0, first
    assert first["changed"] is True
    assert first["changed_paths"] == [str(target.parent), str(target)]
    assert first["diff"][0]["after"] == "key = value\n"
    rc, second = run_module(tmp_path, args)
    assert rc == 0
    assert second["changed"] is False


def test_check_mode_and_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "app.conf"
    rc, result = run_module(tmp_path, {"files": [{"path": str(target), "content": "x"}], "_ansible_check_mode": True})
    assert rc == 0
    assert result["changed"] is True
    assert not target.exists()
    rc, result = run_module(tmp_path, {"files": [{"path": str(target)}]})
    assert rc == 1
    assert "content" in result["msg"]
    rc, result = run_module(tmp_path, {"files": [{"path": str(target), "content": "x", "mode": "u=rw"}]})
    assert rc == 1
    assert "quoted octal" in result["msg"]
    assert not target.exists()

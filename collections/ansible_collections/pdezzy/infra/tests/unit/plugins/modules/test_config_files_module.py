"""The config_files module run as Ansible runs it: a child process reading its arguments from a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

RunModule = Callable[..., "tuple[int, dict]"]


def test_writes_then_reports_no_change(tmp_path: Path, run_module: RunModule) -> None:
    target = tmp_path / "out" / "app.conf"
    args = {
        "directories": [{"path": str(target.parent), "mode": "0750"}],
        "files": [{"path": str(target), "content": "key = value\n", "mode": "0640"}],
        "_ansible_diff": True,
    }
    rc, first = run_module("config_files", args)
    assert rc == 0, first
    assert first["changed"] is True
    assert first["changed_paths"] == [str(target.parent), str(target)]
    assert first["diff"][0]["after"] == "key = value\n"
    rc, second = run_module("config_files", args)
    assert rc == 0
    assert second["changed"] is False


def test_check_mode_and_bad_input(tmp_path: Path, run_module: RunModule) -> None:
    target = tmp_path / "app.conf"
    rc, result = run_module(
        "config_files", {"files": [{"path": str(target), "content": "x"}], "_ansible_check_mode": True}
    )
    assert rc == 0
    assert result["changed"] is True
    assert not target.exists()
    rc, result = run_module("config_files", {"files": [{"path": str(target)}]})
    assert rc == 1
    assert "content" in result["msg"]
    rc, result = run_module("config_files", {"files": [{"path": str(target), "content": "x", "mode": "u=rw"}]})
    assert rc == 1
    assert "quoted octal" in result["msg"]
    assert not target.exists()

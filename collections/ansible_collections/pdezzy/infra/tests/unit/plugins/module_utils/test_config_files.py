"""config_files against a real file system: creation, idempotence, check mode, validation, bad input."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from ansible_collections.pdezzy.infra.plugins.module_utils import config_files as cf


def run(command: str) -> tuple[int, str, str]:
    done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def converge(dirs: list[cf.DirSpec], files: list[cf.FileSpec], check: bool = False) -> dict:
    return cf.converge(dirs, files, check=check, diff=True, run=run)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_directories_and_files_then_changes_nothing(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "app.d"
    dirs = [cf.DirSpec(str(conf), mode="0750")]
    files = [
        cf.FileSpec(str(conf / "a.conf"), "a = 1\n", mode="0640"),
        cf.FileSpec(str(tmp_path / "b.conf"), "b = 2\n"),
    ]
    first = converge(dirs, files)
    assert first["changed"] is True
    assert first["changes"] == {
        str(conf): "created",
        str(conf / "a.conf"): "created",
        str(tmp_path / "b.conf"): "created",
    }
    assert (conf / "a.conf").read_text() == "a = 1\n"
    assert mode_of(conf) == 0o750
    assert mode_of(conf / "a.conf") == 0o640
    assert mode_of(tmp_path / "b.conf") == 0o644
    second = converge(dirs, files)
    assert second["changed"] is False
    assert second["changed_paths"] == []
    assert second["diff"] == []


def test_content_change_is_reported_with_a_diff_and_keeps_the_old_mode(tmp_path: Path) -> None:
    target = tmp_path / "x.conf"
    target.write_text("old\n")
    target.chmod(0o600)
    result = converge([], [cf.FileSpec(str(target), "new\n")])
    assert result["changes"] == {str(target): "content"}
    assert result["diff"] == [
        {"before_header": str(target), "after_header": str(target), "before": "old\n", "after": "new\n"}
    ]
    assert target.read_text() == "new\n"
    assert mode_of(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.conf"]


def test_only_attributes_differ(tmp_path: Path) -> None:
    target = tmp_path / "x.conf"
    target.write_text("same\n")
    target.chmod(0o666)
    result = converge([], [cf.FileSpec(str(target), "same\n", mode="0644")])
    assert result["changes"] == {str(target): "attributes"}
    assert result["diff"] == []
    assert mode_of(target) == 0o644


def test_check_mode_reports_but_touches_nothing(tmp_path: Path) -> None:
    existing = tmp_path / "x.conf"
    existing.write_text("old\n")
    new_dir = tmp_path / "new"
    result = converge(
        [cf.DirSpec(str(new_dir))],
        [cf.FileSpec(str(existing), "new\n"), cf.FileSpec(str(new_dir / "y.conf"), "y\n")],
        check=True,
    )
    assert result["changed_paths"] == [str(new_dir), str(existing), str(new_dir / "y.conf")]
    assert existing.read_text() == "old\n"
    assert not new_dir.exists()


def test_validation_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "x.conf"
    target.write_text("good\n")
    spec = cf.FileSpec(str(target), "bad\n", validate="grep -q good %s")
    with pytest.raises(cf.ConfigFilesError, match="validation failed"):
        converge([], [spec])
    assert target.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.conf"]


def test_validation_sees_the_new_content(tmp_path: Path) -> None:
    target = tmp_path / "x.conf"
    result = converge([], [cf.FileSpec(str(target), "good\n", validate="grep -q good %s")])
    assert result["changed"] is True
    assert target.read_text() == "good\n"


def test_validate_without_placeholder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(cf.ConfigFilesError, match="must contain %s"):
        converge([], [cf.FileSpec(str(tmp_path / "x"), "x", validate="true")])


def test_symlink_is_replaced_by_the_file(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_text("real\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    converge([], [cf.FileSpec(str(link), "mine\n")])
    assert not link.is_symlink()
    assert link.read_text() == "mine\n"
    assert real.read_text() == "real\n"


def test_owner_and_group_by_name_and_number(tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.write_text("x")
    uid, gid = os.getuid(), os.getgid()
    assert converge([], [cf.FileSpec(str(target), "x", owner=str(uid), group=str(gid))])["changed"] is False
    if uid == 0:
        result = converge([], [cf.FileSpec(str(target), "x", owner="nobody", group="nogroup")])
        assert result["changes"] == {str(target): "attributes"}
        assert target.stat().st_uid == cf.lookup_id("nobody", "owner")


def test_unknown_owner_fails_a_real_run_and_warns_in_check_mode(tmp_path: Path) -> None:
    spec = cf.FileSpec(str(tmp_path / "x"), "x", owner="no-such-user-here")
    with pytest.raises(cf.ConfigFilesError, match="owner 'no-such-user-here' does not exist"):
        converge([], [spec])
    result = converge([], [spec], check=True)
    assert result["warnings"] == [f"{tmp_path / 'x'}: owner 'no-such-user-here' does not exist (yet)"]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("mode", ["644x", "0999", "rw-r--r--", "", "12", 420])
def test_bad_modes_are_refused(tmp_path: Path, mode: object) -> None:
    with pytest.raises(cf.ConfigFilesError, match="quoted octal"):
        converge([], [cf.FileSpec(str(tmp_path / "x"), "x", mode=mode)])  # type: ignore[arg-type]


def test_bad_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(cf.ConfigFilesError, match="absolute"):
        converge([], [cf.FileSpec("etc/x.conf", "x")])
    with pytest.raises(cf.ConfigFilesError, match="listed twice"):
        converge([cf.DirSpec(str(tmp_path))], [cf.FileSpec(str(tmp_path), "x")])
    (tmp_path / "d").mkdir()
    with pytest.raises(cf.ConfigFilesError, match="not a regular file"):
        converge([], [cf.FileSpec(str(tmp_path / "d"), "x")])
    (tmp_path / "f").write_text("")
    with pytest.raises(cf.ConfigFilesError, match="not a directory"):
        converge([cf.DirSpec(str(tmp_path / "f"))], [])
    with pytest.raises(cf.ConfigFilesError, match="does not exist"):
        converge([], [cf.FileSpec(str(tmp_path / "missing" / "x"), "x")])


def test_binary_or_large_content_is_not_put_in_the_diff(tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.write_bytes(b"\xff\xfe")
    result = converge([], [cf.FileSpec(str(target), "a" * (cf.DIFF_LIMIT + 1))])
    assert result["diff"][0]["before"].startswith("(not shown")
    assert target.read_text() == "a" * (cf.DIFF_LIMIT + 1)


def test_links_are_made_fixed_and_left_alone(tmp_path: Path) -> None:
    zone = tmp_path / "zoneinfo-Berlin"
    zone.write_text("TZif")
    localtime = tmp_path / "localtime"
    localtime.write_text("a copied zone file")
    link = cf.LinkSpec(str(localtime), str(zone))
    first = cf.converge([], [], links=[link], check=False, diff=True, run=run)
    assert first["changes"] == {str(localtime): "link"}
    assert os.readlink(localtime) == str(zone)
    assert cf.converge([], [], links=[link], check=False, diff=True, run=run)["changed"] is False
    other = cf.LinkSpec(str(localtime), "/usr/share/zoneinfo/UTC")
    assert cf.converge([], [], links=[other], check=True, diff=True, run=run)["changed_paths"] == [str(localtime)]
    assert os.readlink(localtime) == str(zone)
    new = cf.LinkSpec(str(tmp_path / "new-link"), str(zone))
    assert cf.converge([], [], links=[new], check=False, diff=True, run=run)["changes"] == {new.path: "created"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["localtime", "new-link", "zoneinfo-Berlin"]
    with pytest.raises(cf.ConfigFilesError, match="is a directory"):
        cf.converge([], [], links=[cf.LinkSpec(str(tmp_path), str(zone))], check=False, diff=True, run=run)

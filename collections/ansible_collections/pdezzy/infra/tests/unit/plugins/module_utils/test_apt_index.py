"""apt_index: when the index is refreshed, and what is recorded afterwards."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from ansible_collections.pdezzy.infra.plugins.module_utils import apt_index as a


class Apt:
    def __init__(self, rc: int = 0, err: str = "") -> None:
        self.calls: list[list[str]] = []
        self.rc, self.err = rc, err

    def __call__(self, argv: Sequence[str]) -> tuple[int, str, str]:
        self.calls.append(list(argv))
        return self.rc, "", self.err


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    directory = tmp_path / "lists"
    directory.mkdir()
    return directory


def add_list(lists: Path) -> None:
    (lists / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4").write_bytes(b"x")


def test_fresh_image_without_lists_is_refreshed_and_stamped(tmp_path: Path, lists: Path) -> None:
    (lists / "lock").touch()
    (lists / "partial").mkdir()
    apt, stamp = Apt(), tmp_path / "periodic" / "update-success-stamp"
    result = a.refresh(3600, False, apt, str(lists), str(stamp))
    assert result == {"updated": True, "reason": "no package lists", "age": 0}
    assert apt.calls == [["apt-get", "update", "-q", "-o", "Acquire::Retries=3"]]
    assert abs(stamp.stat().st_mtime - time.time()) < 5


def test_current_index_is_left_alone(tmp_path: Path, lists: Path) -> None:
    add_list(lists)
    stamp = tmp_path / "stamp"
    stamp.touch()
    apt = Apt()
    result = a.refresh(3600, False, apt, str(lists), str(stamp))
    assert result["updated"] is False
    assert result["reason"] == "current"
    assert apt.calls == []


def test_stale_or_unrecorded_index_is_refreshed(tmp_path: Path, lists: Path) -> None:
    add_list(lists)
    stamp = tmp_path / "stamp"
    stamp.touch()
    two_hours_ago = time.time() - 7200
    os.utime(stamp, (two_hours_ago, two_hours_ago))
    result = a.refresh(3600, False, Apt(), str(lists), str(stamp))
    assert result["updated"] is True
    assert result["reason"].startswith("last updated 7")
    stamp.unlink()
    assert a.refresh(3600, False, Apt(), str(lists), str(stamp))["reason"] == "no record of a successful update"


def test_force_refreshes_a_current_index(tmp_path: Path, lists: Path) -> None:
    add_list(lists)
    stamp = tmp_path / "stamp"
    stamp.touch()
    assert a.refresh(3600, True, Apt(), str(lists), str(stamp))["reason"] == "asked to"


def test_failed_update_raises_and_records_nothing(tmp_path: Path, lists: Path) -> None:
    stamp = tmp_path / "stamp"
    with pytest.raises(a.AptIndexError, match=r"no package lists.*Could not resolve"):
        a.refresh(3600, False, Apt(100, "E: Could not resolve 'deb.debian.org'"), str(lists), str(stamp))
    assert not stamp.exists()


def test_reason_edge_cases() -> None:
    assert a.reason_to_update(0, False, True, 0.0) is None
    assert a.reason_to_update(0, False, True, 0.5) is not None
    with pytest.raises(ValueError, match="negative"):
        a.reason_to_update(-1, False, True, 0.0)
    assert a.index_age("/nonexistent/stamp") is None

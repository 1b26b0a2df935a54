"""Decide whether the apt package index needs ``apt-get update``, and run it when it does.

The index is refreshed when there are no package lists at all (a fresh image), when the last
successful update is older than the allowed age, or when asked to (a repository was added).
The time of the last successful update is the mtime of apt's own stamp file, which
``apt.systemd.daily`` and Ansible's apt module use too.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable, Sequence

Runner = Callable[[Sequence[str]], "tuple[int, str, str]"]

LISTS_DIR = "/var/lib/apt/lists"
STAMP = "/var/lib/apt/periodic/update-success-stamp"


class AptIndexError(Exception):
    """apt-get update failed."""


def has_lists(lists_dir: str = LISTS_DIR) -> bool:
    """Whether any repository's package list has been downloaded (plain or compressed)."""
    return bool(glob.glob(os.path.join(glob.escape(lists_dir), "*_Packages*")))


def index_age(stamp: str = STAMP, now: float | None = None) -> float | None:
    """Seconds since the last successful update, or None when it is not known."""
    try:
        mtime = os.stat(stamp).st_mtime
    except FileNotFoundError:
        return None
    return max(0.0, (time.time() if now is None else now) - mtime)


def reason_to_update(valid_time: int, force: bool, lists: bool, age: float | None) -> str | None:
    """Why the index must be refreshed, or None when it is current."""
    if valid_time < 0:
        raise ValueError("valid_time must not be negative")
    if force:
        return "asked to"
    if not lists:
        return "no package lists"
    if age is None:
        return "no record of a successful update"
    if age > valid_time:
        return f"last updated {int(age)} s ago, more than {valid_time} s"
    return None


def refresh(
    valid_time: int, force: bool, run: Runner, lists_dir: str = LISTS_DIR, stamp: str = STAMP
) -> dict[str, object]:
    """Run ``apt-get update`` when needed; record success in the stamp file."""
    age = index_age(stamp)
    reason = reason_to_update(valid_time, force, has_lists(lists_dir), age)
    if reason is None:
        return {"updated": False, "reason": "current", "age": int(age or 0)}
    rc, out, err = run(["apt-get", "update", "-q", "-o", "Acquire::Retries=3"])
    if rc != 0:
        raise AptIndexError(f"apt-get update failed ({reason}): {(err or out).strip()[-2000:]}")
    os.makedirs(os.path.dirname(stamp), exist_ok=True)
    with open(stamp, "a", encoding="utf-8"):
        os.utime(stamp)
    return {"updated": True, "reason": reason, "age": 0}

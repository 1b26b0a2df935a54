"""The harness's addresses and ports (constants.env beside this file) as a mapping."""

from __future__ import annotations

from pathlib import Path

FILE = Path(__file__).resolve().parent / "constants.env"


def load(path: Path = FILE) -> dict[str, str]:
    """KEY=VALUE lines of ``path``; comments and blank lines are skipped."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


HARNESS = load()

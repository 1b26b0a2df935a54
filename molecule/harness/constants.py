"""The harness's addresses and ports (constants.env beside this file) as a mapping."""

from __future__ import annotations

import re
from pathlib import Path

FILE = Path(__file__).resolve().parent / "constants.env"
# Names of variables whose values are secrets (an inventory's passwords, keys, tokens): what a
# test or the bench hides in what it prints and looks for in what a run printed.
SECRET_NAME = re.compile(r"password|secret|_key$|token|passphrase")


def key_body(pem: str) -> list[str]:
    """The lines of a PEM private key that are secret: its body, without the BEGIN/END lines."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


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

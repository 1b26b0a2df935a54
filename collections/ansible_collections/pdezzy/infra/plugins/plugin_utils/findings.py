"""What the findings filters share: a finding's shape and the reading of registered results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def finding(name: str, check: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "check": check, "ok": ok, "detail": detail}


def command_result(result: Any, filter_name: str) -> Mapping[str, Any]:
    """A registered command-like result (rc, stdout, stderr), or a module failure (msg)."""
    if not isinstance(result, Mapping):
        raise TypeError(f"{filter_name} expects a registered task result, got {type(result).__name__}")
    return result


def error_text(result: Mapping[str, Any]) -> str:
    """What went wrong, for one line of a table: stderr, or the module's message."""
    return str(result.get("stderr") or result.get("msg") or "")


def last_error_line(result: Mapping[str, Any]) -> str:
    """A failed command's last word (its last non-empty line of stderr, or the module's message)."""
    lines = [line.strip() for line in error_text(result).splitlines() if line.strip()]
    return (lines[-1] if lines else "no answer")[:200]


def host_clock(now: Any, filter_name: str) -> float:
    """The host's clock in seconds since the epoch (``date +%s``'s output or a number)."""
    try:
        return float(str(now).strip())
    except ValueError:
        raise TypeError(f"{filter_name}: now must be seconds since the epoch, got {now!r}") from None


def minutes(seconds: float) -> str:
    return f"{max(seconds, 0) / 60:.1f} min"

"""Bench section tests: the jobs' wall times of a saved `scripts/harness test` log."""

from __future__ import annotations

import re
import time
from pathlib import Path

from common import HARNESS, Row, log, row, run

# A passed job's line in a `scripts/harness test` log: its name, seconds and controller CPU.
PASSED_JOB = r"job: ([\w@]+) passed in (\d+) s(?: \(CPU on the controller: (\d+) s\))?"


def parse_test_log(label: str, text: str) -> list[Row]:
    """Rows of a `scripts/harness test` log: each passed job's wall time ("scenario JOB", which
    scripts/lanes.py reads to plan a machine's first run) and its CPU on the controller, and the
    whole run's time."""
    rows: list[Row] = []
    for name, seconds, cpu in re.findall(PASSED_JOB, text):
        rows.append(row("tests", f"{label}: scenario {name}", [float(seconds)], "s"))
        if cpu:
            rows.append(row("tests", f"{label}: controller CPU of {name}", [float(cpu)], "s"))
    total = re.search(r"all tests passed in (\d+) s", text)
    lanes = re.search(r"molecule: \d+ jobs in (\d+) lanes", text)
    if total:
        note = f"jobs in {lanes.group(1)} lanes at once" if lanes else "jobs one after another"
        rows.append(row("tests", f"{label}: whole run", [float(total.group(1))], "s", note))
    return rows


def bench_tests(logs: list[str]) -> list[Row]:
    rows: list[Row] = []
    for item in logs:
        label, _, path = item.partition("=")
        rows += parse_test_log(label, Path(path).read_text())
    if not logs:
        log("tests: scripts/harness test (caches as they are: a warm run on a used machine)")
        start = time.monotonic()
        result = run([str(HARNESS), "test"], check=False, timeout=5400)
        text = result.stdout + result.stderr
        rows += parse_test_log("this run", text)
        rows.append(row("tests", "this run: whole (bench clock)", [time.monotonic() - start], "s",
                        "passed" if result.returncode == 0 else "FAILED"))  # fmt: skip
    return rows

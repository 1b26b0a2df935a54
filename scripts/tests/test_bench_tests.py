from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]

# Lines as `scripts/harness test` prints them (colours included).
LOG = (
    "\x1b[1;34m==> job: static passed in 200 s (CPU on the controller: 194 s)\x1b[0m\n"
    "\x1b[1;34m==> molecule: 13 jobs in 3 lanes: [default@trixie] [app@bookworm] [sandbox@bookworm]\x1b[0m\n"
    "\x1b[1;34m==> job: app@bookworm passed in 2531 s (CPU on the controller: 1480 s)\x1b[0m\n"
    "\x1b[1;34m==> job: redis@bookworm passed in 229 s\x1b[0m\n"
    "\x1b[1;31mERROR: ==> job: nginx@bookworm FAILED after 394 s\x1b[0m\n"
    "\x1b[1;34m==> all tests passed in 2829 s\x1b[0m\n"
)


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("PDEZZY_VPS_SUITE", os.environ.get("PDEZZY_VPS_SUITE", "trixie"))
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    for name in ("common", "testtimes"):
        sys.modules.pop(name, None)
    return importlib.import_module("testtimes")


def figures(rows: list[dict]) -> dict[str, float]:
    return {row["figure"]: row["median"] for row in rows}


def test_a_log_gives_each_passed_jobs_time_and_cpu_and_the_whole_run(bench: ModuleType) -> None:
    rows = bench.parse_test_log("cold", LOG)
    assert figures(rows) == {
        "cold: scenario static": 200,
        "cold: controller CPU of static": 194,
        "cold: scenario app@bookworm": 2531,
        "cold: controller CPU of app@bookworm": 1480,
        "cold: scenario redis@bookworm": 229,
        "cold: whole run": 2829,
    }
    assert rows[-1]["note"] == "jobs in 3 lanes at once"


def test_the_lane_planner_reads_the_jobs_times_and_only_them(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(REPO / "scripts"))
    import lanes

    results = tmp_path / "results.json"
    results.write_text(json.dumps({"tests": {"rows": bench.parse_test_log("cold", LOG)}}))
    assert lanes.measured(tmp_path / "none", results) == {"static": 200, "app@bookworm": 2531, "redis@bookworm": 229}


def test_a_failed_run_has_no_whole_run_figure(bench: ModuleType) -> None:
    rows = bench.parse_test_log("warm", "==> job: static FAILED after 12 s\n")
    assert rows == []

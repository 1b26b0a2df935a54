from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import lanes


def results_file(tmp_path: Path, figures: dict[str, int]) -> Path:
    rows = [
        {"figure": f"CI run at abc (3 lanes): scenario {job}", "median": seconds} for job, seconds in figures.items()
    ]
    rows.append({"figure": "CI run at abc (3 lanes): whole run", "median": 9999})
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"tests": {"rows": rows}}))
    return path


def test_this_machines_runs_override_the_bench_figures(tmp_path: Path) -> None:
    durations = tmp_path / "durations"
    durations.mkdir()
    (durations / "app@bookworm").write_text("700\n")
    (durations / "broken").write_text("not a number\n")
    known = lanes.measured(durations, results_file(tmp_path, {"app@bookworm": 1700, "redis@bookworm": 200}))
    assert known == {"app@bookworm": 700, "redis@bookworm": 200}


def test_missing_or_malformed_files_give_no_figures(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("{not json")
    assert lanes.measured(tmp_path / "nowhere", tmp_path / "results.json") == {}
    assert lanes.measured(tmp_path / "nowhere", tmp_path / "absent.json") == {}


def test_weights_fall_back_to_the_other_release_then_the_mean() -> None:
    known = {"base@bookworm": 400, "app@bookworm": 1000}
    got = lanes.weights(["base@trixie", "app@bookworm", "new@bookworm"], known)
    assert got == {"base@trixie": 400, "app@bookworm": 1000, "new@bookworm": 700}
    assert lanes.weights(["x"], {}) == {"x": lanes.FALLBACK_SECONDS}


def test_longest_first_to_the_least_loaded_lane() -> None:
    weights = {"a": 100, "b": 60, "c": 50, "d": 40, "e": 10}
    # a→0 (100), b→1 (60), c→1 (110), d→0 (140), e→1 (120)
    assert lanes.plan(list(weights), 2, weights) == [["a", "d"], ["b", "c", "e"]]


def test_one_scenarios_jobs_share_a_lane() -> None:
    weights = {"base@trixie": 400, "base@bookworm": 400, "app@bookworm": 700, "redis@bookworm": 200}
    plan = lanes.plan(list(weights), 3, weights)
    lane_of_base = [i for i, lane in enumerate(plan) for job in lane if job.startswith("base@")]
    assert len(set(lane_of_base)) == 1
    assert sorted(job for lane in plan for job in lane) == sorted(weights)


def test_the_sandbox_job_starts_its_lane() -> None:
    weights = {"default@trixie": 2000, "app@bookworm": 900, "sandbox@bookworm": 300, "redis@bookworm": 950}
    plan = lanes.plan(list(weights), 2, weights)
    lane = next(lane for lane in plan if "sandbox@bookworm" in lane)
    assert lane[0] == "sandbox@bookworm"
    assert len(lane) > 1


def test_no_empty_lane_and_no_job_twice() -> None:
    weights = {"a": 1, "b": 2}
    assert lanes.plan(["a", "b", "a"], 5, weights) == [["b"], ["a"]]


def test_bad_lane_counts_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        lanes.plan(["a"], 0, {"a": 1})
    assert lanes.main(["0", "d", "r", "a"]) == 2
    assert lanes.main(["three", "d", "r", "a"]) == 2
    assert "usage" in capsys.readouterr().err


def test_main_prints_one_lane_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = results_file(tmp_path, {"a@x": 30, "b@x": 20, "c@x": 10})
    assert lanes.main(["2", str(tmp_path / "none"), str(results), "a@x", "b@x", "c@x"]) == 0
    assert capsys.readouterr().out.splitlines() == ["a@x", "b@x c@x"]


def test_the_jobs_on_the_sandbox_network_share_a_lane_and_start_it() -> None:
    weights = {"default@trixie": 2000, "sandbox@bookworm": 500, "app@bookworm": 900, "controller@trixie": 700}
    plan = lanes.plan(list(weights), 3, weights)
    lane = next(lane for lane in plan if "sandbox@bookworm" in lane)
    assert lane[:2] == ["sandbox@bookworm", "controller@trixie"]


def test_the_static_checks_start_a_lane_without_the_sandbox_jobs() -> None:
    weights = {"static": 200, "default@trixie": 2000, "sandbox@bookworm": 500, "app@bookworm": 900, "redis@x": 100}
    plan = lanes.plan(list(weights), 3, weights)
    static_lane = next(lane for lane in plan if "static" in lane)
    assert static_lane[0] == "static"
    assert "sandbox@bookworm" not in static_lane
    assert next(lane for lane in plan if "sandbox@bookworm" in lane)[0] == "sandbox@bookworm"
    assert sorted(job for lane in plan for job in lane) == sorted(weights)


def test_with_one_lane_the_sandbox_goes_first_then_the_static_checks() -> None:
    weights = {"redis@x": 100, "static": 200, "sandbox@bookworm": 500}
    assert lanes.plan(list(weights), 1, weights) == [["sandbox@bookworm", "static", "redis@x"]]
    assert lanes.plan(["static"], 3, {"static": 200}) == [["static"]]

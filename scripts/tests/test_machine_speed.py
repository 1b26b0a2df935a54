from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import machine_speed


def test_more_work_takes_more_cpu_time() -> None:
    small = machine_speed.speed(iterations=20_000, tries=3)
    large = machine_speed.speed(iterations=2_000_000, tries=1)
    assert 0 <= small < large


def test_the_figure_is_printed_with_two_decimals(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(machine_speed, "speed", lambda: machine_speed.workload(50_000))
    assert machine_speed.main([]) == 0
    printed = capsys.readouterr().out.strip()
    assert float(printed) >= 0
    assert len(printed.split(".")[1]) == 2


@pytest.mark.parametrize(("iterations", "tries"), [(0, 3), (10, 0), (-1, 1)])
def test_no_work_is_refused(iterations: int, tries: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        machine_speed.speed(iterations, tries)


def test_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert machine_speed.main(["--fast"]) == 2
    assert "usage" in capsys.readouterr().err

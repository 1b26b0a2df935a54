"""The bench's report: bench/RESULTS.md rendered from bench/results.json."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

SECTIONS = ["converge", "serving", "database", "deploy", "recovery", "chaos", "tests"]


def number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def render(state: dict[str, Any]) -> str:
    cores = os.cpu_count()
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.node()}, {cores} cores, {memory} GiB, {platform.system()} {platform.release()}.",
        "Each figure is min / median / max over n runs, both sides of a ratio measured in the same run.",
        "Written by `scripts/harness bench`; sections run at different times carry their own date and commit.",
        "",
        "| section | figure | min | median | max | unit | n | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for section in SECTIONS:
        data = state.get(section)
        if not data:
            continue
        for r in data["rows"]:
            lines.append(
                f"| {section} | {r['figure']} | {number(r['min'])} | {number(r['median'])} | {number(r['max'])} "
                f"| {r['unit']} | {r['n']} | {r['note']} |"
            )
    # Sections measured before the VPS release was recorded ran on Debian 12.
    lines += ["", "| section | date (UTC) | commit | VPS |", "|---|---|---|---|"]
    lines += [
        f"| {s} | {state[s]['date']} | {state[s]['commit']} | {state[s].get('suite', 'bookworm')} |"
        for s in SECTIONS
        if s in state
    ]
    return "\n".join(lines) + "\n"


def state_from_results(text: str) -> dict[str, Any]:
    """The state a RESULTS.md was rendered from (figures as rounded there), for a checkout without STATE."""
    state: dict[str, Any] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] in SECTIONS:
            section, figure, low, median, high, unit, runs, note = cells
            values = {"min": float(low), "median": float(median), "max": float(high), "n": int(runs)}
            entry = {"section": section, "figure": figure, "unit": unit, "note": note, **values}
            state.setdefault(section, {"rows": []})["rows"].append(entry)
        elif len(cells) in (3, 4) and cells[0] in state:
            state[cells[0]].update(date=cells[1], commit=cells[2], suite=(cells[3:] or ["bookworm"])[0])
    return state

#!/usr/bin/env python3
"""Benchmarks of the pdezzy stack on the local sandbox VPS; prints a table, writes bench/RESULTS.md.

    scripts/harness bench                      every section
    scripts/harness bench serving deploy       some sections (others keep their last figures)
    scripts/harness bench tests --log warm=F   scenario wall times from a saved `harness test` log

Sections: converge, serving, database, deploy, recovery, chaos (the fault-injection matrix,
bench/chaos.py: every pair; BENCH_CHAOS_SEED replays the moments of one run), tests. BENCH_RUNS
(default 3) sets the runs per figure; BENCH_COLD_RUNS (default BENCH_RUNS) the cold site.yml runs,
which take minutes each.
Figures, not pass/fail: nothing here fails on speed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time

import chaos
from common import REPO, RESULTS, STATE, Row, converged_sandbox, log, run, stop_backup_host, suite
from converge import bench_converge
from database import bench_database
from deploy import bench_deploy
from recovery import bench_recovery
from report import SECTIONS, render, state_from_results
from serving import bench_serving
from testtimes import bench_tests


def bench_chaos() -> list[Row]:
    """Every pair of the fault-injection matrix (bench/chaos.py) on the sandbox."""
    seed = int(os.environ.get("BENCH_CHAOS_SEED") or random.SystemRandom().randrange(10**6))
    log(f"chaos: seed {seed}")
    converged_sandbox()
    chaos.with_offsite()
    outcomes = chaos.run_pairs(chaos.pairs(), seed)
    for outcome in outcomes:
        log(f"chaos: {outcome}")
    stop_backup_host()
    return chaos.rows(outcomes)


def main(argv: list[str]) -> None:
    logs = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--log"]
    chosen = [a for a in argv if a in SECTIONS] or ([] if logs else SECTIONS)
    if logs and "tests" not in chosen:
        chosen.append("tests")
    unknown = [a for a in argv if a not in SECTIONS and a != "--log" and a not in logs]
    if unknown:
        raise SystemExit(f"unknown argument(s) {unknown}; sections: {', '.join(SECTIONS)}")
    if STATE.exists():
        state = json.loads(STATE.read_text())
    else:
        state = state_from_results(RESULTS.read_text()) if RESULTS.exists() else {}
    commit = run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]).stdout.strip()
    dirty = run(["git", "-C", str(REPO), "status", "--porcelain"]).stdout.strip()
    benches = {
        "converge": bench_converge,
        "serving": bench_serving,
        "database": bench_database,
        "deploy": bench_deploy,
        "recovery": bench_recovery,
        "chaos": bench_chaos,
        "tests": lambda: bench_tests(logs),
    }
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    for section in chosen:
        log(f"section {section}")
        rows = benches[section]()
        state[section] = {
            "rows": rows,
            "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "commit": commit + ("+changes" if dirty else ""),
            # The tests section's jobs name their own release (SCENARIO@suite()).
            "suite": suite() if section != "tests" else "per job",
        }
        STATE.parent.mkdir(parents=True, exist_ok=True)
        STATE.write_text(json.dumps(state, indent=1))
        RESULTS.write_text(render(state))
    print(render(state))


if __name__ == "__main__":
    main(sys.argv[1:])

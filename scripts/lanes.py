"""Split the test jobs into lanes that run at once, balanced on measured wall times.

A job is SCENARIO@SUITE (a Molecule scenario on a Debian release), ``sandbox@SUITE`` (the
sandbox test), ``controller@SUITE`` (the second controller) or ``static`` (lint, sanity and
unit tests). Rules:
- the jobs of one scenario share a lane: its instances and Molecule state are named after the
  scenario, so two of its jobs cannot run at once;
- groups go longest first, each to the lane with the least work so far;
- the jobs on the sandbox network (``sandbox@SUITE``, ``controller@SUITE``) share a lane and go
  first in it: the network has a fixed subnet, which Docker can only give while the address
  pools are not yet in use by the scenarios' networks, and one job's clean-up removes it;
- ``static`` is planned last, into the least loaded lane without the sandbox's jobs, and goes
  first in it (so that a lint error stops the run within minutes; never before the sandbox's
  jobs, which must be first in theirs).

A job weighs its last passing run on this machine (``DURATIONS/<job>``, written by the
harness), else its figure in the bench's tests section (``bench/results.json``, from a CI run),
else the same scenario on another release, else the mean of the known figures.

    python scripts/lanes.py LANES DURATIONS RESULTS JOB...   -> one line of jobs per lane
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

FALLBACK_SECONDS = 300
SANDBOX = "sandbox"
# Jobs whose VPS is on the sandbox network.
SANDBOX_NETWORK = {SANDBOX, "controller"}
STATIC = "static"


def scenario(job: str) -> str:
    return job.split("@", 1)[0]


def group(job: str) -> str:
    """The lane group of a job: its scenario, or the sandbox for the jobs on its network."""
    name = scenario(job)
    return SANDBOX if name in SANDBOX_NETWORK else name


def measured(durations: Path, results: Path) -> dict[str, int]:
    """Seconds per job: the bench's CI figures, overridden by this machine's last passing runs."""
    known: dict[str, int] = {}
    try:
        rows = json.loads(results.read_text(encoding="utf-8"))["tests"]["rows"]
        for row in rows:
            if ": scenario " in row["figure"]:
                known[row["figure"].rsplit(": scenario ", 1)[1]] = int(row["median"])
    except (OSError, KeyError, TypeError, ValueError):
        pass
    if durations.is_dir():
        for path in sorted(durations.iterdir()):
            try:
                known[path.name] = int(path.read_text(encoding="utf-8").split()[0])
            except (OSError, IndexError, ValueError):
                continue
    return known


def weights(jobs: Sequence[str], known: Mapping[str, int]) -> dict[str, int]:
    """Each job's weight in seconds (see the module's rules)."""
    default = int(statistics.mean(known.values())) if known else FALLBACK_SECONDS
    by_scenario = {scenario(name): seconds for name, seconds in known.items()}
    return {job: known.get(job, by_scenario.get(scenario(job), default)) for job in jobs}


def plan(jobs: Sequence[str], lanes: int, job_weights: Mapping[str, int]) -> list[list[str]]:
    """The jobs in at most ``lanes`` lanes (never an empty one)."""
    if lanes < 1:
        raise ValueError(f"lanes must be at least 1, not {lanes}")
    unique = list(dict.fromkeys(jobs))
    groups: dict[str, list[str]] = {}
    for job in unique:
        groups.setdefault(group(job), []).append(job)
    static = groups.pop(STATIC, [])
    ordered = sorted(groups.values(), key=lambda members: (-sum(job_weights[j] for j in members), members[0]))
    result: list[list[str]] = [[] for _ in range(min(lanes, len(groups) + bool(static)))]
    load = [0] * len(result)
    for members in ordered:
        lane = min(range(len(result)), key=lambda i: (load[i], i))
        result[lane] += members
        load[lane] += sum(job_weights[j] for j in members)
    if static:
        # Last, to the least loaded lane without the sandbox's jobs (any lane when all have them).
        free = [i for i in range(len(result)) if not any(group(job) == SANDBOX for job in result[i])]
        lane = min(free or range(len(result)), key=lambda i: (load[i], i))
        result[lane] += static
        load[lane] += job_weights[STATIC]
    for lane_jobs in result:
        lane_jobs.sort(key=lambda job: (group(job) != SANDBOX, group(job) != STATIC))  # stable otherwise
    return result


def main(argv: Sequence[str]) -> int:
    if len(argv) < 4 or not argv[0].isdigit():
        print("usage: lanes.py LANES DURATIONS RESULTS JOB...", file=sys.stderr)
        return 2
    if int(argv[0]) < 1:
        print(f"lanes.py: LANES must be at least 1, not {argv[0]}", file=sys.stderr)
        return 2
    jobs = argv[3:]
    job_weights = weights(jobs, measured(Path(argv[1]), Path(argv[2])))
    for lane in plan(jobs, int(argv[0]), job_weights):
        print(" ".join(lane))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

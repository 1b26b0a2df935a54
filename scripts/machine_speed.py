"""CPU seconds a fixed pure-Python workload takes on this machine now, the best of three.

The test suite is CPU-bound on two cores, so its wall time follows this figure, which a shared
host does not keep from day to day. ``scripts/harness test`` prints it at a run's start and end;
compare two runs' times only with it beside them.

    python scripts/machine_speed.py   -> e.g. 0.71
"""

from __future__ import annotations

import sys
import time

ITERATIONS = 10_000_000
TRIES = 3


def workload(iterations: int = ITERATIONS) -> float:
    """CPU seconds (this process's, not the wall clock's) of ``iterations`` rounds of integer work."""
    start = time.process_time()
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return time.process_time() - start


def speed(iterations: int = ITERATIONS, tries: int = TRIES) -> float:
    """The best of ``tries`` workloads: the others met a neighbour's load."""
    if iterations < 1 or tries < 1:
        raise ValueError(f"iterations and tries must be at least 1, not {iterations} and {tries}")
    return min(workload(iterations) for _ in range(tries))


def main(argv: list[str]) -> int:
    if argv:
        print(f"usage: {sys.argv[0]} (no arguments)", file=sys.stderr)
        return 2
    print(f"{speed():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

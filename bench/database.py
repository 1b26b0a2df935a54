"""Bench section database: an API endpoint that queries PostgreSQL through PgBouncer, under load."""

from __future__ import annotations

import subprocess
import time

from common import DOMAIN, PEER, Row, converged_sandbox, log, parse_wrk, peer, row, runs, start_peer, vps

PG_CONNECTIONS = (
    "docker exec postgres psql -X -U pdezzy -d pdezzy -At -c "
    "\"SELECT count(*) FROM pg_stat_activity WHERE datname = 'pdezzy' AND pid <> pg_backend_pid()\""
)


def bench_database() -> list[Row]:
    """200 clients for 40 s on a database-backed endpoint (the demo's /api/health/ queries PostgreSQL
    and Redis), the app keeping persistent connections (CONN_MAX_AGE 600, sandbox inventory),
    PostgreSQL's connections sampled every second through the load."""
    converged_sandbox()
    start_peer()
    url = f"https://{DOMAIN}:443/api/health/"
    loads: list[dict[str, float]] = []
    peaks: list[float] = []
    after: list[float] = []
    for i in range(runs()):
        log(f"database: run {i + 1}/{runs()}")
        load = subprocess.Popen(
            ["docker", "exec", PEER, "wrk", "-t2", "-c200", "-d40s", "--latency", "--timeout", "10s", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        peak = 0
        while load.poll() is None:
            peak = max(peak, int(vps(PG_CONNECTIONS) or 0))
            time.sleep(1)
        loads.append(parse_wrk(load.communicate()[0]))
        peaks.append(float(peak))
        codes = peer(f"for i in 1 2 3 4 5; do curl -sk -o /dev/null -w '%{{http_code}} ' {url}; done").split()
        after.append(float(sum(code == "200" for code in codes)))
    return [
        row("database", "200 clients, 40 s: requests", [r["requests"] for r in loads], "req", "wrk -t2 -c200, HTTPS"),
        row("database", "200 clients: throughput", [r["rps"] for r in loads], "req/s"),
        row("database", "200 clients: p99", [r["p99"] for r in loads], "ms"),
        row("database", "200 clients: failed requests", [r["failed"] for r in loads], "req", "target 0"),
        row("database", "PostgreSQL connections, peak", peaks, "conn", "PgBouncer bound 40; max_connections 100"),
        row("database", "answers 200 right after the load", after, "of 5"),
    ]

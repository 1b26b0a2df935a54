"""Bench section deploy: deploys and rollbacks under load (failed requests, WebSockets kept)."""

from __future__ import annotations

import subprocess
import time
from typing import Any

from common import (
    ADDRESS,
    DOMAIN,
    PEER,
    WS_CLIENTS,
    Row,
    converged_sandbox,
    log,
    parse_wrk,
    playbook,
    row,
    run,
    runs,
    start_peer,
    vps,
)


def under_load(action: Any) -> tuple[dict[str, float], dict[str, float]]:
    """Two wrk loads through nginx for as long as ``action`` runs (plus 2 s either side): 8
    keep-alive connections, and 2 connections that open a new connection for every request
    (``Connection: close``), as a client does that does not reuse connections."""
    url = f"https://{DOMAIN}:443/api/health/"  # explicit port: the peer has no /etc/services
    base = ["docker", "exec", PEER, "wrk", "-t2", "-d900s", "--timeout", "10s"]
    loads = [
        subprocess.Popen([*base, "-c8", url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        subprocess.Popen(
            [*base, "-c2", "-H", "Connection: close", url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ),
    ]
    time.sleep(2)
    try:
        action()
    finally:
        time.sleep(2)
        run(["docker", "exec", PEER, "pkill", "-INT", "wrk"], check=False)
    keepalive, fresh = (parse_wrk(load.communicate(timeout=60)[0]) for load in loads)
    return keepalive, fresh


def bench_deploy() -> list[Row]:
    converged_sandbox()
    start_peer()
    deploys, renewals, rollbacks = [], [], []
    websockets: list[list[float]] = []
    rollback_times: list[float] = []
    for i in range(runs()):
        version = f"bench-{int(time.time())}"
        log(f"deploy: deploy-app.yml {version} under load, run {i + 1}/{runs()}")

        def deploy(version: str = version) -> None:
            _, result = playbook("playbooks/deploy-app.yml", "-e", f"app_version={version}")
            if result.returncode != 0:
                raise RuntimeError(result.stdout[-3000:])

        holders = subprocess.Popen(
            ["docker", "exec", "-w", "/usr/local/bin", PEER, "python3", "ws_hold.py", ADDRESS, DOMAIN, str(WS_CLIENTS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deploys.append(under_load(deploy))
        run(["docker", "exec", PEER, "pkill", "-INT", "-f", "ws_hold.py"], check=False)
        websockets.append([float(v) for v in holders.communicate(timeout=60)[0].split()[-4:]])
        log(f"deploy: rollback.yml to the previous release under load, run {i + 1}/{runs()}")

        def rollback() -> None:
            seconds, result = playbook("playbooks/rollback.yml")
            if result.returncode != 0:
                raise RuntimeError(result.stdout[-3000:])
            rollback_times.append(seconds)

        rollbacks.append(under_load(rollback))
        log(f"deploy: certbot forced renewal under load, run {i + 1}/{runs()}")
        renewals.append(under_load(lambda: vps("/usr/local/sbin/pdezzy-certbot-renew --force-renewal")))
    log("deploy: back to the inventory's version")
    playbook("playbooks/deploy-app.yml")
    held = f"{WS_CLIENTS} WebSocket clients held open, echo every 0.5 s, reconnecting"
    rows: list[Row] = [
        row("deploy", "rollback.yml: wall time", rollback_times, "s", "previous release, image and configuration"),
        row("deploy", "rolling deploy: WebSocket clean closes", [w[0] for w in websockets], "conn", held),
        row("deploy", "rolling deploy: WebSocket unclean closes", [w[1] for w in websockets], "conn", held),
        row("deploy", "rolling deploy: WebSocket failed reconnects", [w[2] for w in websockets], "conn", held),
    ]
    for name, loads in (("rolling deploy", deploys), ("rollback", rollbacks), ("certbot renewal", renewals)):
        keepalive = [k for k, _ in loads]
        fresh = [f for _, f in loads]
        rows += [
            row("deploy", f"{name}: requests", [k["requests"] + f["requests"] for k, f in loads], "req", "both loads"),
            row("deploy", f"{name}: throughput", [k["rps"] + f["rps"] for k, f in loads], "req/s"),
            row(
                "deploy",
                f"{name}: failed requests",
                [k["non2xx"] + k["connect"] + k["timeout"] + f["failed"] for k, f in loads],
                "req",
                "target 0: HTTP errors, refused or timed-out connections, any error on a new connection",
            ),
            row(
                "deploy", f"{name}: new connection per request: failed", [f["failed"] for f in fresh], "req", "wrk -c2"
            ),
            row(
                "deploy",
                f"{name}: keep-alive: read/write errors",
                [k["read"] + k["write"] for k in keepalive],
                "req",
                "wrk -c8: an idle connection closed by nginx's reload; wrk does not retry, browsers do",
            ),
        ]
    return rows

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
import platform
import random
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jinja2
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "molecule" / "harness"))
import acme_dns  # noqa: E402  (points the sandbox's names at it in pebble's DNS)
from constants import HARNESS as CONSTANTS  # noqa: E402  (the harness's addresses and ports)

HARNESS = REPO / "scripts" / "harness"
INVENTORY = REPO / "inventory" / "sandbox"
# The figures behind RESULTS.md, kept with it so a section run on a fresh checkout leaves the
# others' figures in place.
STATE = REPO / "bench" / "results.json"
RESULTS = REPO / "bench" / "RESULTS.md"
VPS = CONSTANTS["SANDBOX_NAME"]
ADDRESS = CONSTANTS["SANDBOX_IP"]
NETWORK = CONSTANTS["SANDBOX_NET"]
DOMAIN = "pdezzy.test"
PEER = "pdezzy-bench-peer"
# The Debian release of the sandbox VPS: scripts/harness bench sets it (its default is the
# harness's first VPS_SUITES entry) and scripts/harness sandbox reads the same variable.
SUITE = os.environ["PDEZZY_VPS_SUITE"]
# Debian's major version of each release the harness builds a VPS image of.
DEBIAN_VERSIONS = {"bookworm": 12, "trixie": 13}
VPS_IMAGE = f"pdezzy/vps:{SUITE}"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WS_CLIENTS = 10
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", str(RUNS)))
SECTIONS = ["converge", "serving", "database", "deploy", "recovery", "chaos", "tests"]

Row = dict[str, Any]


def log(message: str) -> None:
    print(f"\033[1;35m--> {message}\033[0m", file=sys.stderr, flush=True)


def run(command: list[str] | str, check: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    shell = isinstance(command, str)
    return subprocess.run(command, shell=shell, capture_output=True, text=True, check=check, timeout=timeout)


def vps(command: str, check: bool = True) -> str:
    return run(["docker", "exec", VPS, "sh", "-c", command], check=check).stdout.strip()


def peer(command: str, check: bool = True) -> str:
    return run(["docker", "exec", PEER, "sh", "-c", command], check=check).stdout.strip()


def playbook(name: str, *args: str, strategy: str = "") -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a playbook with the repo's ansible.cfg (Mitogen's strategy), or with ``strategy``."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    if strategy:
        env["ANSIBLE_STRATEGY"] = strategy
    command = ["ansible-playbook", "-i", str(INVENTORY), str(REPO / name), *args]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=3600)
    return time.monotonic() - start, result


def recap(output: str) -> dict[str, int]:
    match = re.search(rf"{VPS}\s+:\s+(.*)", output)
    if not match:
        raise RuntimeError("no play recap for the sandbox in:\n" + output[-3000:])
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def row(section: str, figure: str, values: list[float], unit: str, note: str = "") -> Row:
    return {"section": section, "figure": figure, "unit": unit, "note": note, **spread(values)}


# --- the sandbox ---------------------------------------------------------------------------
def fresh_sandbox() -> None:
    run([str(HARNESS), "sandbox-down"])
    run([str(HARNESS), "sandbox-vps"])  # it also forgets the old VPS's cached facts
    dns_to_sandbox()


def dns_to_sandbox() -> None:
    acme_dns.point(acme_dns.inventory_names(INVENTORY), ADDRESS)


def converged_sandbox() -> None:
    """A sandbox with the site deployed (deployed now when it is not)."""
    dns_to_sandbox()
    up = run(["docker", "inspect", "-f", "{{.State.Running}}", VPS], check=False).stdout.strip() == "true"
    if up and playbook("playbooks/health-check.yml")[1].returncode == 0:
        return
    log("deploying the sandbox (scripts/harness sandbox)")
    run([str(HARNESS), "sandbox"], timeout=3600)


def start_peer() -> None:
    """A client container on the sandbox network, with wrk from Debian."""
    if run(["docker", "inspect", "-f", "{{.State.Running}}", PEER], check=False).stdout.strip() == "true":
        return
    run(["docker", "rm", "-f", PEER], check=False)
    run(["docker", "run", "-d", "--name", PEER, "--network", NETWORK, "--add-host", f"{DOMAIN}:{ADDRESS}",
         "--entrypoint", "sleep", VPS_IMAGE, "infinity"])  # fmt: skip
    peer("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk")
    for script in ("ws_rtt.py", "ws_hold.py"):
        run(["docker", "cp", str(REPO / "bench" / script), f"{PEER}:/usr/local/bin/{script}"])


# --- converge ------------------------------------------------------------------------------
def role_packages() -> list[str]:
    base = yaml.safe_load((REPO / "roles/base/vars/main.yml").read_text())["__base_packages"]
    docker_defaults = yaml.safe_load((REPO / "roles/docker/defaults/main.yml").read_text())
    docker_vars = yaml.safe_load((REPO / "roles/docker/vars/main.yml").read_text())
    # The role's own rule for the client package (docker-cli from Debian 13 on), with this VPS's facts.
    facts = {"distribution": "Debian", "distribution_major_version": str(DEBIAN_VERSIONS[SUITE])}
    cli = yaml.safe_load(jinja2.Template(docker_vars["__docker_distro_cli_packages"]).render(ansible_facts=facts))
    return base + docker_defaults["docker_distro_packages"] + cli + docker_vars["__docker_python_packages"]


def booted(container: str) -> None:
    """Wait until systemd in ``container`` has finished booting (its bus exists only after a moment)."""
    for _ in range(120):
        state = run(["docker", "exec", container, "systemctl", "is-system-running"], check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{container} did not finish booting")


def fresh_vps_container(name: str) -> None:
    """A new, booted container ``name`` of the VPS image on the sandbox network, with the platform
    every VPS gets (molecule/harness/platform.py); one of that name is removed first."""
    run(["docker", "rm", "-f", "-v", name], check=False)
    args = run([sys.executable, str(REPO / "molecule/harness/platform.py")]).stdout.split()
    run(["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, *args, VPS_IMAGE])
    booted(name)


def apt_floor(packages: list[str]) -> float:
    """One apt-get install of exactly the roles' packages on an equally fresh VPS container."""
    name = "pdezzy-bench-floor"
    fresh_vps_container(name)
    install = (
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        + " ".join(packages)
    )
    start = time.monotonic()
    run(["docker", "exec", name, "sh", "-c", install])
    seconds = time.monotonic() - start
    run(["docker", "rm", "-f", "-v", name], check=False)
    return seconds


def site_images() -> list[str]:
    """The service images the site pulls (the app's base image comes with its build)."""
    images = []
    for role, key in (("postgres", "postgres_image"), ("redis", "redis_image"), ("nginx", "nginx_image"),
                      ("certbot", "certbot_image")):  # fmt: skip
        images.append(yaml.safe_load((REPO / f"roles/{role}/defaults/main.yml").read_text())[key])
    return images


def site_floor(packages: list[str]) -> float:
    """The least any tool could do to stand the sandbox's site up on an equally fresh VPS: one
    apt-get of the site's packages, pulling its images and building the app image, nothing else."""
    name = "pdezzy-bench-site-floor"
    fresh_vps_container(name)
    inventory = yaml.safe_load((INVENTORY / "group_vars/all/main.yml").read_text())
    # The sandbox inventory's engine settings: the harness registry as Docker Hub's mirror.
    registry = f"{CONSTANTS['SANDBOX_GATEWAY']}:{CONSTANTS['REGISTRY_PORT']}"
    daemon = {
        "registry-mirrors": [f"http://{registry}"],
        "insecure-registries": [registry],
        **inventory.get("docker_daemon_options", {}),
    }
    write_daemon = f"mkdir -p /etc/docker && echo {shlex.quote(json.dumps(daemon))} > /etc/docker/daemon.json"
    run(["docker", "exec", name, "sh", "-c", write_daemon])
    run(["docker", "cp", str(REPO / "examples" / "pdezzy-app"), f"{name}:/root/app"])
    work = (
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        + " ".join(packages)
        + " && "
        + " && ".join(f"docker pull -q {image}" for image in site_images())
        + " && docker build -q -t pdezzy-app:floor /root/app"
    )
    start = time.monotonic()
    run(["docker", "exec", name, "sh", "-c", work], timeout=1800)
    seconds = time.monotonic() - start
    run(["docker", "rm", "-f", "-v", name], check=False)
    return seconds


def bench_converge() -> list[Row]:
    packages = role_packages()
    ours, floor, ours_noop = [], [], []
    for i in range(RUNS):
        log(f"converge: base + docker on a fresh VPS, run {i + 1}/{RUNS}")
        fresh_sandbox()
        seconds, result = playbook("site.yml", "--tags", "base,docker", "-e", "ansible_user=root")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        ours.append(seconds)
        log(f"converge: base + docker no-op re-run, run {i + 1}/{RUNS}")
        seconds, result = playbook("site.yml", "--tags", "base,docker")
        if result.returncode != 0 or recap(result.stdout)["changed"] != 0:
            raise RuntimeError("base + docker re-run failed or changed something:\n" + result.stdout[-3000:])
        ours_noop.append(seconds)
        log(f"converge: apt floor ({len(packages)} packages), run {i + 1}/{RUNS}")
        floor.append(apt_floor(packages))
    ratios = [o / f for o, f in zip(ours, floor, strict=True)]
    cold, cold_changed, site_floors = [], [], []
    for i in range(COLD_RUNS):
        log(f"converge: cold site.yml on a fresh VPS, run {i + 1}/{COLD_RUNS}")
        fresh_sandbox()
        seconds, result = playbook("site.yml", "-e", "ansible_user=root")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        cold.append(seconds)
        cold_changed.append(recap(result.stdout)["changed"])
        log(f"converge: floor of the whole site, run {i + 1}/{COLD_RUNS}")
        site_floors.append(site_floor(packages))
    site_ratios = [c / f for c, f in zip(cold, site_floors, strict=True)]
    noop, tasks, changed, noop_linear = [], [], [], []
    for i in range(RUNS):
        log(f"converge: no-op site.yml re-run {i + 1}/{RUNS}")
        seconds, result = playbook("site.yml")
        counts = recap(result.stdout)
        noop.append(seconds)
        tasks.append(counts["ok"])
        changed.append(counts["changed"])
        log(f"converge: no-op site.yml re-run without Mitogen (linear strategy) {i + 1}/{RUNS}")
        seconds, result = playbook("site.yml", strategy="linear")
        if result.returncode != 0 or recap(result.stdout)["changed"] != 0:
            raise RuntimeError("no-op re-run (linear) failed or changed something:\n" + result.stdout[-3000:])
        noop_linear.append(seconds)
    return [
        row("converge", "cold site.yml, fresh VPS", cold, "s", f"changed {int(statistics.median(cold_changed))}"),
        row(
            "converge",
            "site floor: one apt-get, image pulls, app build",
            site_floors,
            "s",
            f"{len(packages)} packages, {len(site_images())} images; not in it: PgBouncer's image build",
        ),
        row("converge", "cold site.yml / site floor", site_ratios, "x", "same run, fresh VPS each"),
        row("converge", "base+docker, fresh VPS", ours, "s"),
        row("converge", f"apt floor ({len(packages)} packages, one apt-get)", floor, "s"),
        row("converge", "base+docker / apt floor", ratios, "x", "reference: composed geerlingguy roles ~2.25x"),
        row("converge", "no-op base+docker re-run", ours_noop, "s", "reference: composed geerlingguy roles ~15 s"),
        row("converge", "no-op site.yml re-run", noop, "s", "target <= 25 s; ansible.cfg: Mitogen's strategy"),
        row("converge", "no-op site.yml re-run, linear strategy", noop_linear, "s", "ANSIBLE_STRATEGY=linear"),
        row("converge", "no-op re-run: tasks run", [float(t) for t in tasks], "tasks"),
        row("converge", "no-op re-run: changed", [float(c) for c in changed], "tasks", "target 0"),
    ]


# --- serving -------------------------------------------------------------------------------
BARE_NGINX = f"""server {{
    listen 8443 ssl;
    server_name {DOMAIN};
    ssl_certificate /le/live/{DOMAIN}/fullchain.pem;
    ssl_certificate_key /le/live/{DOMAIN}/privkey.pem;
    location /static/ {{ alias /static/; }}
}}
"""


def wrk(url: str, seconds: int = 10, connections: int = 16, extra: str = "") -> dict[str, float]:
    """wrk from the peer; URLs carry their port (the minimal peer has no /etc/services)."""
    out = peer(f"wrk -t2 -c{connections} -d{seconds}s --latency --timeout 10s {extra} {shlex.quote(url)}")
    return parse_wrk(out)


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict[str, float]:
    figures: dict[str, float] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    }
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.MULTILINE)
        if match:
            figures[f"p{pct}"] = to_ms(match.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["non2xx"] = float(non2xx.group(1) if non2xx else 0)
    kinds = ("connect", "read", "write", "timeout")
    for kind, count in zip(kinds, sockets.groups() if sockets else ("0",) * 4, strict=True):
        figures[kind] = float(count)
    figures["socket_errors"] = sum(figures[kind] for kind in kinds)
    figures["failed"] = figures["non2xx"] + figures["socket_errors"]
    return figures


def bench_serving() -> list[Row]:
    converged_sandbox()
    start_peer()
    image = vps("docker inspect -f '{{.Config.Image}}' app-1")
    vps("mkdir -p /opt/bench && cat > /opt/bench/nginx.conf <<'EOF'\n" + BARE_NGINX + "EOF")
    vps("docker rm -f bench-nginx bench-daphne >/dev/null 2>&1 || true")
    vps(
        "docker run -d --name bench-nginx -p 8443:8443 -v pdezzy_static:/static:ro "
        "-v /opt/pdezzy/letsencrypt:/le:ro -v /opt/bench/nginx.conf:/etc/nginx/conf.d/default.conf:ro "
        + yaml.safe_load((REPO / "roles/nginx/defaults/main.yml").read_text())["nginx_image"]
    )
    vps(
        f"docker run -d --name bench-daphne --network pdezzy -p 18006:8006 --env-file /opt/pdezzy/app/.env "
        f"{image} daphne --bind 0.0.0.0 --port 8006 --proxy-headers pdezzy.asgi:application"
    )
    direct = f"http://{ADDRESS}:18006/api/health/"
    peer(f"for i in $(seq 60); do curl -fs -H 'Host: {DOMAIN}' {direct} && break; sleep 1; done")
    static_path = "/static/admin/css/base.css"
    ours, bare, ratio, static_failed = [], [], [], []
    api_ours: list[dict[str, float]] = []
    api_direct: list[dict[str, float]] = []
    ws: list[list[float]] = []
    for i in range(RUNS):
        log(f"serving: run {i + 1}/{RUNS}")
        deployed = wrk(f"https://{DOMAIN}:443{static_path}")
        plain = wrk(f"https://{DOMAIN}:8443{static_path}")
        static_failed.append(deployed["failed"] + plain["failed"])
        ours.append(deployed["rps"])
        bare.append(plain["rps"])
        ratio.append(deployed["rps"] / plain["rps"])
        api_ours.append(wrk(f"https://{DOMAIN}:443/api/health/", connections=4))
        api_direct.append(wrk(f"http://{ADDRESS}:18006/api/health/", connections=4, extra=f"-H 'Host: {DOMAIN}'"))
        ws.append([float(v) for v in peer(f"python3 /usr/local/bin/ws_rtt.py {ADDRESS} {DOMAIN} 500").split()])
    vps("docker rm -f bench-nginx bench-daphne >/dev/null")

    def ratio_of(key: str) -> list[float]:
        return [a[key] / b[key] for a, b in zip(api_ours, api_direct, strict=True)]

    return [
        row("serving", "static file, deployed nginx", ours, "req/s", "wrk -t2 -c16, HTTPS, keep-alive"),
        row("serving", "static file, bare nginx container", bare, "req/s", "same file, certificate and image"),
        row("serving", "static: deployed / bare", ratio, "x", "target >= 0.9"),
        row("serving", "API GET via nginx, p50", [r["p50"] for r in api_ours], "ms", "wrk -c4, /api/health/"),
        row("serving", "API GET via nginx, p99", [r["p99"] for r in api_ours], "ms"),
        row("serving", "API GET direct to Daphne, p50", [r["p50"] for r in api_direct], "ms"),
        row("serving", "API GET direct to Daphne, p99", [r["p99"] for r in api_direct], "ms"),
        row("serving", "API p50: via nginx / direct", ratio_of("p50"), "x"),
        row("serving", "API p99: via nginx / direct", ratio_of("p99"), "x", "target <= 1.2"),
        row("serving", "API via nginx: failed requests", [r["failed"] for r in api_ours], "req", "non-2xx + errors"),
        row("serving", "API direct: failed requests", [r["failed"] for r in api_direct], "req"),
        row("serving", "static: failed requests (both)", static_failed, "req"),
        row("serving", "WebSocket round trip via nginx, p50", [w[0] for w in ws], "ms", "500 echoes, one connection"),
        row("serving", "WebSocket round trip via nginx, p99", [w[1] for w in ws], "ms"),
    ]


# --- database under load -------------------------------------------------------------------
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
    for i in range(RUNS):
        log(f"database: run {i + 1}/{RUNS}")
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


# --- deploy under load ---------------------------------------------------------------------
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
    for i in range(RUNS):
        version = f"bench-{int(time.time())}"
        log(f"deploy: deploy-app.yml {version} under load, run {i + 1}/{RUNS}")

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
        log(f"deploy: rollback.yml to the previous release under load, run {i + 1}/{RUNS}")

        def rollback() -> None:
            seconds, result = playbook("playbooks/rollback.yml")
            if result.returncode != 0:
                raise RuntimeError(result.stdout[-3000:])
            rollback_times.append(seconds)

        rollbacks.append(under_load(rollback))
        log(f"deploy: certbot forced renewal under load, run {i + 1}/{RUNS}")
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


# --- recovery ------------------------------------------------------------------------------
COUNTS = (
    "SELECT sum((xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I', table_name), "
    "false, true, '')))[1]::text::int) FROM information_schema.tables "
    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
)


def until_green(start: float) -> tuple[float, bool]:
    """Seconds from ``start`` until health-check.yml passes; whether it failed at least once."""
    red = False
    for _ in range(120):
        _, result = playbook("playbooks/health-check.yml")
        if result.returncode == 0:
            return time.monotonic() - start, red
        red = True
        time.sleep(1)
    raise RuntimeError("the health check did not turn green within the wait")


def kill_main_process(container: str, check: bool = True) -> None:
    """SIGKILL of the container's main process: a crash, which the restart policy answers."""
    vps(f"kill -9 $(docker inspect -f '{{{{.State.Pid}}}}' {container})", check=check)


def crash(container: str) -> tuple[float, bool]:
    """A crash of the container; seconds until health-check.yml passes again, and whether it failed meanwhile."""
    start = time.monotonic()
    kill_main_process(container)
    return until_green(start)


def sql(query: str) -> str:
    return vps(f'docker exec postgres psql -X -U pdezzy -d pdezzy -At -c "{query}"')


def rows_total() -> float:
    return float(sql(COUNTS))


def point_in_time_restore() -> tuple[float, float, float]:
    """A base backup, rows written, a moment taken, more rows written and some deleted, then
    restore.yml back to the moment: (seconds, rows of the moment missing after it, rows written
    after the moment present after it)."""
    vps("/usr/local/sbin/pdezzy-backup nightly")
    time.sleep(1.5)
    sql("CREATE TABLE bench_pitr (n serial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())")
    sql("INSERT INTO bench_pitr (at) SELECT clock_timestamp() FROM generate_series(1, 1000)")
    time.sleep(1.2)
    at_target = rows_total()
    target = sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.2)
    sql("INSERT INTO bench_pitr (at) SELECT clock_timestamp() FROM generate_series(1, 500)")
    sql("DELETE FROM bench_pitr WHERE n % 10 = 0")
    seconds, result = playbook("playbooks/restore.yml", "-e", json.dumps({"restore_target_time": target}))
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    late = float(sql(f"SELECT count(*) FROM bench_pitr WHERE at > '{target}'"))
    missing = at_target - (rows_total() - late)
    # The database as it was found: a table of the superuser's would stop the next dump restore
    # (it runs as the database's owner).
    sql("DROP TABLE bench_pitr")
    return seconds, missing, late


BACKUP_HOST = CONSTANTS["SANDBOX_BACKUP_NAME"]
OFFSITE = REPO / ".cache" / "bench" / "offsite.json"


def start_backup_host() -> list[str]:
    """An SFTP backup host on the sandbox network (a VPS-image container whose sshd systemd
    starts) and an off-host repository on it; returns the repository's settings as extra vars."""
    key = OFFSITE.parent / "restic_id"
    OFFSITE.parent.mkdir(parents=True, exist_ok=True)
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pdezzy-bench-restic", "-f", str(key)])
    if run(["docker", "inspect", "-f", "{{.State.Running}}", BACKUP_HOST], check=False).stdout.strip() != "true":
        fresh_vps_container(BACKUP_HOST)
        run(["docker", "exec", BACKUP_HOST, "sh", "-c", "useradd --create-home --home-dir /srv/restic --shell /bin/sh "
             "restic && install -d -o restic -g restic -m 0700 /srv/restic/.ssh"])  # fmt: skip
    # This checkout's key, also on a backup host another checkout started.
    authorize = "install -o restic -g restic -m 0600 /dev/stdin /srv/restic/.ssh/authorized_keys"
    public = key.with_suffix(".pub").read_text()
    subprocess.run(["docker", "exec", "-i", BACKUP_HOST, "sh", "-c", authorize], input=public, text=True, check=True,
                   capture_output=True)  # fmt: skip
    host_key = run(["docker", "exec", BACKUP_HOST, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).stdout.split()[:2]
    settings = {
        "backup_offsite_repository": f"sftp:restic@{BACKUP_HOST}:/srv/restic/pdezzy",
        "backup_offsite_password": "bench-restic-password",
        "backup_offsite_sftp_private_key": key.read_text(),
        "backup_offsite_sftp_known_hosts": f"{BACKUP_HOST} {' '.join(host_key)}\n",
    }
    OFFSITE.write_text(json.dumps(settings))
    OFFSITE.chmod(0o600)
    return ["-e", f"@{OFFSITE}"]


def stop_backup_host() -> None:
    """The sandbox as its inventory has it again: no off-host repository, no backup host."""
    _, result = playbook("site.yml")
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    run(["docker", "rm", "-f", "-v", BACKUP_HOST], check=False)


def disaster_recovery(offsite: list[str]) -> tuple[float, float, float]:
    """The sandbox's data copied off the host (the nightly backup, then rows written after it that
    only the WAL archive's off-host copy has), the sandbox VPS removed with its volumes, a new one
    started, and recover.yml run on it as on a first day (as root): (seconds from the new VPS to a
    green health check, seconds of recover.yml, rows lost)."""
    _, result = playbook("site.yml", *offsite)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    vps("/usr/local/sbin/pdezzy-backup nightly")
    sql("CREATE TABLE bench_dr (n serial PRIMARY KEY)")
    sql("INSERT INTO bench_dr SELECT FROM generate_series(1, 1000)")
    segment = sql("SELECT pg_walfile_name(pg_switch_wal())")
    vps(f"for i in $(seq 60); do test -f /var/lib/pdezzy-wal/{segment}.gz && break; sleep 0.5; done")
    vps("systemctl start pdezzy-wal-offsite.service")
    before = rows_total()
    run(["docker", "rm", "-f", "-v", VPS])
    run([str(HARNESS), "sandbox-vps"])  # booted, with the provider's key for root; no facts kept
    start = time.monotonic()
    seconds, result = playbook("playbooks/recover.yml", "-e", "ansible_user=root", *offsite)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    green, _ = until_green(start)
    lost = before - rows_total()
    sql("DROP TABLE bench_dr")
    return green, seconds, lost


def bench_recovery() -> list[Row]:
    converged_sandbox()
    app, db, restart, backup, restore = [], [], [], [], []
    before, after, pitr, lost, late = [], [], [], [], []
    for i in range(RUNS):
        log(f"recovery: run {i + 1}/{RUNS}")
        app.append(crash("app-1"))
        db.append(crash("postgres"))
        start = time.monotonic()
        run(["docker", "restart", VPS])
        restart.append(until_green(start))
        before.append(rows_total())
        seconds, result = playbook("playbooks/backup.yml")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        backup.append(seconds)
        seconds, result = playbook("playbooks/restore.yml")
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:])
        restore.append(seconds)
        after.append(rows_total())
        seconds, missing, extra = point_in_time_restore()
        pitr.append(seconds)
        lost.append(missing)
        late.append(extra)
    log("recovery: disaster recovery onto a new VPS, from an SFTP backup host")
    offsite = start_backup_host()
    dr = [disaster_recovery(offsite) for _ in range(RUNS)]
    stop_backup_host()
    note = "health-check.yml red first: " + ", ".join("yes" if red else "no" for _, red in app + db + restart)
    return [
        row("recovery", "app-1 crash (SIGKILL) to green", [s for s, _ in app], "s", "each check run takes a few s"),
        row("recovery", "postgres crash (SIGKILL) to green", [s for s, _ in db], "s"),
        row("recovery", "VPS container restart to green", [s for s, _ in restart], "s", note),
        row("recovery", "backup.yml", backup, "s"),
        row("recovery", "restore.yml (safety backup + restore)", restore, "s"),
        row("recovery", "rows before backup", before, "rows"),
        row("recovery", "rows after restore", after, "rows", "equal to before"),
        row(
            "recovery",
            "restore.yml -e restore_target_time (safety backup + PITR)",
            pitr,
            "s",
            "newest base backup before the moment + WAL replay; PostgreSQL down meanwhile",
        ),
        row("recovery", "PITR: rows of the moment missing after", lost, "rows", "0 = exact"),
        row("recovery", "PITR: rows written after the moment present after", late, "rows", "0 = exact"),
        row(
            "recovery",
            "DR: new VPS to green health check (recover.yml as root, then health-check.yml)",
            [green for green, _, _ in dr],
            "s",
            "base backup + WAL + media from an SFTP restic repository; engine, images and app build from scratch",
        ),
        row("recovery", "DR: recover.yml alone", [seconds for _, seconds, _ in dr], "s"),
        row(
            "recovery",
            "DR: rows lost (written after the nightly backup, WAL shipped)",
            [lost for _, _, lost in dr],
            "rows",
            "0 = none lost",
        ),
    ]


# --- chaos ---------------------------------------------------------------------------------
def bench_chaos() -> list[Row]:
    """Every pair of the fault-injection matrix (bench/chaos.py) on the sandbox."""
    import chaos  # it imports this module for its helpers

    seed = int(os.environ.get("BENCH_CHAOS_SEED") or random.SystemRandom().randrange(10**6))
    log(f"chaos: seed {seed}")
    converged_sandbox()
    chaos.with_offsite()
    outcomes = chaos.run_pairs(chaos.pairs(), seed)
    for outcome in outcomes:
        log(f"chaos: {outcome}")
    stop_backup_host()
    return chaos.rows(outcomes)


# --- tests ---------------------------------------------------------------------------------
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


# --- report --------------------------------------------------------------------------------
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
            # The tests section's jobs name their own release (SCENARIO@SUITE).
            "suite": SUITE if section != "tests" else "per job",
        }
        STATE.parent.mkdir(parents=True, exist_ok=True)
        STATE.write_text(json.dumps(state, indent=1))
        RESULTS.write_text(render(state))
    print(render(state))


if __name__ == "__main__":
    main(sys.argv[1:])

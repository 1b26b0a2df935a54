"""Bench section serving: requests through nginx to the app, against a bare nginx."""

from __future__ import annotations

import shlex

import yaml
from common import ADDRESS, DOMAIN, REPO, Row, converged_sandbox, log, parse_wrk, peer, row, runs, start_peer, vps

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
    for i in range(runs()):
        log(f"serving: run {i + 1}/{runs()}")
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

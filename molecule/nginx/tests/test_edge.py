"""What a client on the internet sees of the nginx edge (run from the peer host)."""

from __future__ import annotations

import json

import pytest
import testinfra
from testinfra.backend.base import CommandResult

testinfra_hosts = ["ansible://peer"]

DOMAIN = "pdezzy.test"
HEADERS = {
    "strict-transport-security": "max-age=31536000",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()",
}
# The site's policy: its own origin, WebSockets to its own names, no plugins, no foreign forms.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    f"connect-src 'self' wss://{DOMAIN} wss://www.{DOMAIN}; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)


def vps_ip(host) -> str:
    return host.check_output("getent hosts vps-nginx").split()[0]


def curl(host, url: str, *args: str) -> CommandResult:
    ip = vps_ip(host)
    resolve = f"--resolve {DOMAIN}:80:{ip} --resolve {DOMAIN}:443:{ip} --resolve www.{DOMAIN}:443:{ip}"
    return host.run(f"curl -sk --max-time 10 {resolve} -D - -o /tmp/body {' '.join(args)} {url}")


def headers_of(result: CommandResult) -> tuple[int, dict[str, str]]:
    lines = result.stdout.strip().splitlines()
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return status, fields


def test_http_redirects_to_https(host) -> None:
    status, fields = headers_of(curl(host, f"http://{DOMAIN}/some/path?x=1"))
    assert status == 301
    assert fields["location"] == f"https://{DOMAIN}/some/path?x=1"


def test_acme_challenge_is_served_over_http(host) -> None:
    status, _ = headers_of(curl(host, f"http://{DOMAIN}/.well-known/acme-challenge/test-token"))
    assert status == 200
    assert host.file("/tmp/body").content_string == "token-content-123\n"


@pytest.mark.parametrize(
    ("flag", "accepted"), [("-tls1", False), ("-tls1_1", False), ("-tls1_2", True), ("-tls1_3", True)]
)
def test_only_tls_1_2_and_1_3(host, flag: str, accepted: bool) -> None:
    result = host.run(
        f"openssl s_client -connect {vps_ip(host)}:443 -servername {DOMAIN} {flag} -cipher DEFAULT@SECLEVEL=0 "
        "</dev/null"
    )
    assert (result.rc == 0) is accepted, result.stdout + result.stderr
    if accepted:
        assert f"Protocol  : TLSv1.{flag[-1]}" in result.stdout or "TLSv1.3" in result.stdout


@pytest.mark.parametrize("path", ["/api/anything/", "/missing/page", "/static/admin/css/missing.css"])
def test_security_headers_on_success_and_errors(host, path: str) -> None:
    status, fields = headers_of(curl(host, f"https://{DOMAIN}{path}"))
    assert status in (200, 404)
    for name, value in HEADERS.items():
        assert fields.get(name) == value, (path, name, fields)
    assert fields["content-security-policy"] == CSP
    assert fields["server"] == "nginx"  # no version


def test_proxy_passes_host_and_forwarded_headers(host) -> None:
    result = curl(host, f"https://{DOMAIN}/api/echo/")
    status, _ = headers_of(result)
    assert status == 200
    seen = json.loads(host.file("/tmp/body").content_string)
    assert seen["headers"]["Host"] == DOMAIN
    assert seen["headers"]["X-Forwarded-Proto"] == "https"
    assert seen["headers"]["X-Forwarded-For"] == host.interface("eth0").addresses[0]


@pytest.mark.parametrize("path", ["/api/echo/", "/admin/login/"])
def test_a_client_cannot_choose_the_address_the_app_sees(host, path: str) -> None:
    status, _ = headers_of(curl(host, f"https://{DOMAIN}{path}", "-H 'X-Forwarded-For: 203.0.113.9'"))
    assert status == 200
    seen = json.loads(host.file("/tmp/body").content_string)["headers"]
    address = host.interface("eth0").addresses[0]
    assert (seen["X-Forwarded-For"], seen["X-Real-IP"]) == (address, address)


@pytest.mark.parametrize("path", ["/api/echo/", "/admin/login/"])
def test_a_client_cannot_choose_the_host_or_port_the_app_sees(host, path: str) -> None:
    # Many apps build absolute URLs (and password-reset links) from X-Forwarded-Host.
    forged = (
        "-H 'X-Forwarded-Host: evil.example' -H 'X-Forwarded-Port: 8443' -H 'Forwarded: for=1.2.3.4;host=evil.example'"
    )
    status, _ = headers_of(curl(host, f"https://{DOMAIN}{path}", forged))
    assert status == 200
    seen = json.loads(host.file("/tmp/body").content_string)["headers"]
    assert (seen.get("X-Forwarded-Host"), seen.get("X-Forwarded-Port")) == (DOMAIN, "443")
    assert "Forwarded" not in seen, seen


@pytest.mark.parametrize(
    ("group", "accepted"),
    [("X25519", True), ("prime256v1", True), ("secp384r1", True), ("secp521r1", False), ("X448", False)],
)
def test_only_the_intermediate_profiles_key_exchange_groups(host, group: str, accepted: bool) -> None:
    # TLS 1.3: the client offers that one group for the key exchange (signatures are apart).
    result = host.run(
        f"openssl s_client -connect {vps_ip(host)}:443 -servername {DOMAIN} -tls1_3 -groups {group} </dev/null"
    )
    assert (result.rc == 0) is accepted, result.stdout + result.stderr


def test_tls_1_2_settles_on_an_allowed_group(host) -> None:
    # TLS 1.2 ties the groups to the certificate's curve too, so the client offers the refused ones
    # first and the allowed ones after: the exchange uses an allowed one.
    out = host.check_output(
        f"openssl s_client -connect {vps_ip(host)}:443 -servername {DOMAIN} -tls1_2 "
        "-groups secp521r1:X448:X25519:prime256v1 </dev/null 2>/dev/null"
    )
    assert "Server Temp Key: X25519" in out, out


@pytest.mark.parametrize(
    ("name", "disposition"),
    [("page.html", "attachment"), ("icon.svg", "attachment"), ("photo.txt", "attachment"), ("photo.png", None)],
)
def test_uploads_are_served_inert(host, name: str, disposition: str | None) -> None:
    status, fields = headers_of(curl(host, f"https://{DOMAIN}/media/uploads/{name}"))
    assert status == 200
    assert fields.get("content-disposition") == disposition
    # Opened anyway, an upload runs no script and submits no form as the site, and is never sniffed.
    assert fields["content-security-policy"] == (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    assert fields["x-content-type-options"] == "nosniff"
    assert fields["strict-transport-security"].startswith("max-age=31536000")


def test_sign_in_posts_are_rate_limited_per_client(host) -> None:
    ip = vps_ip(host)
    post = (
        f"curl -sk -o /dev/null -w '%{{http_code}}\\n' --resolve {DOMAIN}:443:{ip} -X POST -d u=x "
        f"https://{DOMAIN}/api/token/"
    )
    codes = host.check_output(f"for i in $(seq 20); do {post}; done").split()
    # The burst (10) and the first request pass; the rest of a quick series gets 429.
    assert codes[:11] == ["200"] * 11, codes
    assert set(codes[11:]) == {"429"}, codes
    # Reading the sign-in page, and POSTs elsewhere, are not limited.
    pages = host.check_output(
        f"for i in $(seq 20); do curl -sk -o /dev/null -w '%{{http_code}}\\n' --resolve {DOMAIN}:443:{ip} "
        f"https://{DOMAIN}/api/token/; done"
    ).split()
    assert set(pages) == {"200"}, pages
    other = host.check_output(f"for i in $(seq 20); do {post.replace('/api/token/', '/api/orders/')}; done").split()
    assert set(other) == {"200"}, other


def test_open_websockets_are_limited_per_client(host) -> None:
    # Each client holds its connection open for 6 s after its upgrade request.
    request = (
        "GET /ws/hold/ HTTP/1.1\\r\\nHost: pdezzy.test\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n"
        "Sec-WebSocket-Version: 13\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n\\r\\n"
    )
    hold = (
        f"(printf '{request}'; sleep 6) | timeout 20 openssl s_client -quiet -no_ign_eof -connect {vps_ip(host)}:443 "
        f"-servername {DOMAIN} "
        "2>/dev/null | head -n 1 | cut -d ' ' -f 2"
    )
    # Five at once against a limit of three (the scenario's nginx_websocket_conn_limit_per_ip).
    codes = host.check_output(
        f"rm -f /tmp/ws-codes; for i in 1 2 3 4 5; do ({hold} >> /tmp/ws-codes) & done; wait; cat /tmp/ws-codes"
    )
    assert sorted(codes.split()) == ["101", "101", "101", "429", "429"], codes


def test_uploads_in_flight_never_exhaust_the_edges_memory(host) -> None:
    """Bodies nginx spools (beyond its buffer) go to the host's disk, not to its memory limit."""
    vps = testinfra.get_host("ansible://vps-nginx", ansible_inventory=host.backend.ansible_inventory)
    assert vps.check_output("docker exec nginx stat -f -c %T /var/cache/nginx") != "tmpfs"
    before = vps.check_output("docker inspect -f '{{.RestartCount}}' nginx")
    # 14 slow uploads of 19 MB at once: 266 MB in flight, more than the edge's 256 MiB.
    ip = vps_ip(host)
    host.check_output("head -c 19M /dev/urandom > /tmp/upload.bin")
    upload = (
        f"curl -sk --max-time 120 --limit-rate 2M --resolve {DOMAIN}:443:{ip} -o /dev/null -w '%{{http_code}}\\n'"
        f" --data-binary @/tmp/upload.bin https://{DOMAIN}/api/upload/"
    )
    codes = host.check_output(f"for i in $(seq 14); do {upload} & done; wait").split()
    state = vps.check_output("docker inspect -f '{{.State.Running}} {{.State.OOMKilled}} {{.RestartCount}}' nginx")
    assert state == f"true false {before}", state
    assert codes == ["200"] * 14, codes

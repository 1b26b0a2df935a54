"""What a client on the internet sees of the nginx edge (run from the peer host)."""

from __future__ import annotations

import json

import pytest
from testinfra.backend.base import CommandResult

testinfra_hosts = ["ansible://peer"]

DOMAIN = "pdezzy.test"
HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


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
    assert "default-src 'self'" in fields["content-security-policy"]
    assert fields["server"] == "nginx"  # no version


def test_proxy_passes_host_and_forwarded_headers(host) -> None:
    result = curl(host, f"https://{DOMAIN}/api/echo/")
    status, _ = headers_of(result)
    assert status == 200
    seen = json.loads(host.file("/tmp/body").content_string)
    assert seen["headers"]["Host"] == DOMAIN
    assert seen["headers"]["X-Forwarded-Proto"] == "https"
    assert seen["headers"]["X-Forwarded-For"] == host.interface("eth0").addresses[0]


def test_requests_are_balanced_over_both_replicas(host) -> None:
    replicas = set()
    for _ in range(8):
        curl(host, f"https://{DOMAIN}/api/who/")
        replicas.add(json.loads(host.file("/tmp/body").content_string)["replica"])
    assert len(replicas) == 2


def test_gzip_for_text(host) -> None:
    status, fields = headers_of(curl(host, f"https://{DOMAIN}/static/admin/css/base.css", "-H 'Accept-Encoding: gzip'"))
    assert status == 200
    assert fields["content-encoding"] == "gzip"


def test_static_and_media_cache_lifetimes(host) -> None:
    _, static = headers_of(curl(host, f"https://{DOMAIN}/static/admin/css/base.css"))
    assert static["cache-control"] == "max-age=2592000"
    status, media = headers_of(curl(host, f"https://{DOMAIN}/media/uploads/photo.txt"))
    assert status == 200
    assert media["cache-control"] == "max-age=604800"
    assert media["strict-transport-security"].startswith("max-age=31536000")


def test_websocket_upgrade_reaches_the_upstream(host) -> None:
    result = curl(
        host,
        f"https://{DOMAIN}/ws/echo/",
        "--http1.1 -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13'",
        "-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='",
    )
    status, fields = headers_of(result)
    assert status == 101
    assert fields["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_http2_is_offered(host) -> None:
    result = curl(host, f"https://{DOMAIN}/api/h2/", "--http2", "-w '%{http_version}'")
    assert result.stdout.strip().endswith("2")


def test_unknown_host_gets_no_answer(host) -> None:
    ip = vps_ip(host)
    plain = host.run(f"curl -s --max-time 5 -H 'Host: other.example' http://{ip}/")
    assert plain.rc == 52  # empty reply: 444
    tls = host.run(f"curl -sk --max-time 5 --resolve other.example:443:{ip} https://other.example/")
    assert tls.rc == 35  # handshake rejected


def test_served_certificate_names_the_domain(host) -> None:
    out = host.check_output(
        f"openssl s_client -connect {vps_ip(host)}:443 -servername {DOMAIN} </dev/null 2>/dev/null"
        " | openssl x509 -noout -ext subjectAltName"
    )
    assert f"DNS:{DOMAIN}" in out
    assert f"DNS:www.{DOMAIN}" in out

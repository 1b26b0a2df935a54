"""Probes against real servers on loopback: HTTP, HTTPS with SNI and a private CA, TCP, WebSocket."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ansible_collections.pdezzy.infra.plugins.module_utils import probe as p

# Basic auth of the site's /private/ paths (staging behind basic auth).
AUTH = "Basic " + base64.b64encode(b"qa:staging-pass-1234").decode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/private/") and self.headers.get("Authorization") != AUTH:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.headers.get("Upgrade", "").lower() == "websocket":
            accept = hashlib.sha1((self.headers["Sec-WebSocket-Key"] + p.WS_GUID).encode()).digest()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", base64.b64encode(accept).decode())
            self.end_headers()
            self.wfile.flush()
            _first, second = self.rfile.read(2)
            mask = self.rfile.read(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(second & 0x7F)))
            self.wfile.write(bytes([0x81, len(data)]) + data)
            return
        if self.path == "/health/":
            body = json.dumps({"status": "ok", "checks": {"redis": "ok"}, "host": self.headers["Host"]})
            self.send_response(200)
        else:
            body = "not here"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def serve(server: ThreadingHTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    yield from serve(ThreadingHTTPServer(("127.0.0.1", 0), Handler))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-days", "30", "-subj", "/CN=site.test", "-addext", "subjectAltName=DNS:site.test,DNS:www.site.test",
            "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return directory


@pytest.fixture(scope="module")
def https_server(certificate: Path) -> Iterator[tuple[int, list[str]]]:
    seen_sni: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)  # type: ignore[assignment]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for port in serve(server):
        yield port, seen_sni


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_http_json_checks_pass(http_port: int) -> None:
    spec = p.ProbeSpec(scheme="http", port=http_port, server_name="site.test", path="/health/",
                       json_expect={"status": "ok", "checks.redis": "ok", "host": "site.test"})  # fmt: skip
    result = p.run_probe(spec)
    assert result["ok"], result["problems"]
    assert result["status"] == 200
    assert result["tls"] is None
    assert result["latency_ms"] >= 0


def test_http_reports_every_mismatch(http_port: int) -> None:
    spec = p.ProbeSpec(scheme="http", port=http_port, path="/health/", body_contains="absent",
                       json_expect={"status": "error", "checks.db": "ok"})  # fmt: skip
    result = p.run_probe(spec)
    assert not result["ok"]
    assert result["problems"] == [
        "body does not contain 'absent'",
        "status is 'ok', expected 'error'",
        "checks.db is missing",
    ]


def test_unexpected_status(http_port: int) -> None:
    result = p.run_probe(p.ProbeSpec(scheme="http", port=http_port, path="/nope"))
    assert result["problems"] == ["status 404, expected [200]"]
    assert p.run_probe(p.ProbeSpec(scheme="http", port=http_port, path="/nope", expected_status=[404]))["ok"]


def test_https_with_sni_and_private_ca(https_server: tuple[int, list[str]], certificate: Path) -> None:
    port, seen_sni = https_server
    spec = p.ProbeSpec(port=port, server_name="www.site.test", path="/health/", ca_path=str(certificate / "cert.pem"))
    result = p.run_probe(spec)
    assert result["ok"], result["problems"]
    assert seen_sni[-1] == "www.site.test"
    tls = result["tls"]
    assert tls["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert tls["subject"] == "site.test"
    assert tls["sans"] == ["site.test", "www.site.test"]
    assert 28 <= tls["days_left"] <= 30


def test_https_untrusted_certificate_fails_unless_validation_is_off(https_server: tuple[int, list[str]]) -> None:
    port, _cert = https_server
    failed = p.run_probe(p.ProbeSpec(port=port, server_name="site.test", path="/health/"))
    assert not failed["ok"]
    assert "certificate verify failed" in failed["problems"][0]
    relaxed = p.run_probe(p.ProbeSpec(port=port, server_name="site.test", path="/health/", validate_certs=False))
    assert relaxed["ok"]
    assert relaxed["tls"]["sans"] == ["site.test", "www.site.test"]


def test_name_mismatch_fails(https_server: tuple[int, list[str]], certificate: Path) -> None:
    port, _cert = https_server
    spec = p.ProbeSpec(port=port, server_name="other.test", ca_path=str(certificate / "cert.pem"))
    assert "TLS handshake with other.test failed" in p.run_probe(spec)["problems"][0]


def test_tcp_open_and_refused(http_port: int) -> None:
    assert p.run_probe(p.ProbeSpec(kind="tcp", scheme="http", port=http_port))["ok"]
    refused = p.run_probe(p.ProbeSpec(kind="tcp", scheme="http", port=closed_port()))
    assert not refused["ok"]
    assert refused["problems"][0].startswith("connect to 127.0.0.1:")


def test_retries_with_backoff_count_attempts() -> None:
    result = p.run_probe(p.ProbeSpec(kind="tcp", scheme="http", port=closed_port()), retries=2, delay=0.01)
    assert result["attempts"] == 3
    assert not result["ok"]


def test_websocket_upgrade_and_echo(http_port: int) -> None:
    spec = p.ProbeSpec(kind="websocket", scheme="http", port=http_port, server_name="site.test", path="/ws/",
                       ws_message="ping-7")  # fmt: skip
    result = p.run_probe(spec)
    assert result["ok"], result["problems"]
    assert result["status"] == 101
    assert result["received"] == "ping-7"


@pytest.mark.parametrize("kind", ["http", "websocket"])
def test_extra_headers_get_through_basic_auth(http_port: int, kind: str) -> None:
    spec = {"kind": kind, "scheme": "http", "port": http_port, "server_name": "site.test", "path": "/private/ws/",
            "ws_message": "ping-8", "expected_status": [101 if kind == "websocket" else 404]}  # fmt: skip
    refused = p.run_probe(p.ProbeSpec(**spec))
    assert not refused["ok"]
    assert refused["status"] == 401
    allowed = p.run_probe(p.ProbeSpec(**spec, headers={"Authorization": AUTH}))
    assert allowed["ok"], allowed["problems"]


def test_websocket_refused_upgrade(https_server: tuple[int, list[str]]) -> None:
    port, _cert = https_server
    # A plain HTTP client against a TLS port: the handshake cannot even start.
    result = p.run_probe(p.ProbeSpec(kind="websocket", scheme="http", port=port, timeout=2))
    assert not result["ok"]


def test_json_matches_paths() -> None:
    document = {"a": {"b": 1}, "c": "x"}
    assert p.json_matches({"a.b": 1, "c": "x"}, document) == []
    assert p.json_matches({"a.b.c": 1}, document) == ["a.b.c is missing"]
    assert p.json_matches({"c": "y"}, ["not", "a", "dict"]) == ["c is missing"]


def test_websocket_frame_lengths() -> None:
    assert p.websocket_frame("hi")[1] == 0x80 | 2
    assert p.websocket_frame("x" * 200)[1] == 0x80 | 126
    assert p.websocket_frame("x" * 70000)[1] == 0x80 | 127

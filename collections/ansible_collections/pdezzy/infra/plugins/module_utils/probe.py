"""Network probes: HTTP(S) aimed at an address with a given Host/SNI, TCP connect, WebSocket upgrade.

Plain standard library, so the probe module runs on any managed host with Python 3.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.client
import json
import os
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ProbeError(Exception):
    """A probe could not be carried out (connection refused, handshake failed, bad answer)."""


@dataclass
class ProbeSpec:
    kind: str = "http"
    host: str = "127.0.0.1"
    port: int | None = None
    scheme: str = "https"
    server_name: str | None = None
    path: str = "/"
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: list[int] = field(default_factory=lambda: [200])
    body_contains: str | None = None
    json_expect: dict[str, Any] | None = None
    validate_certs: bool = True
    ca_path: str | None = None
    timeout: float = 5.0
    ws_message: str | None = None

    def effective_port(self) -> int:
        if self.port:
            return self.port
        return 443 if self.scheme == "https" else 80

    def name(self) -> str:
        return self.server_name or self.host


def decode_pem_certificate(pem: str) -> dict[str, Any]:
    """Decode one PEM certificate with the ssl module's own decoder (no third-party library)."""
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
        handle.write(pem)
        path = handle.name
    try:
        return ssl._ssl._test_decode_cert(path)  # type: ignore[attr-defined]
    finally:
        os.unlink(path)


def decode_der_certificate(der: bytes) -> dict[str, Any]:
    """Decode a DER certificate (as a TLS socket returns it)."""
    return decode_pem_certificate(ssl.DER_cert_to_PEM_cert(der))


def certificate_facts(decoded: dict[str, Any], now: datetime.datetime | None = None) -> dict[str, Any]:
    """Subject CN, issuer CN, SANs, expiry and days left of a decoded certificate."""

    def common_name(rdns: Any) -> str:
        for rdn in rdns or ():
            for key, value in rdn:
                if key == "commonName":
                    return str(value)
        return ""

    not_after = datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(decoded["notAfter"]), datetime.UTC)
    now = now or datetime.datetime.now(datetime.UTC)
    return {
        "subject": common_name(decoded.get("subject")),
        "issuer": common_name(decoded.get("issuer")),
        "sans": [value for kind, value in decoded.get("subjectAltName", ()) if kind == "DNS"],
        "not_after": not_after.isoformat(),
        "days_left": (not_after - now).days,
        "serial": decoded.get("serialNumber", ""),
    }


def _tls_context(spec: ProbeSpec) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=spec.ca_path) if spec.ca_path else ssl.create_default_context()
    if not spec.validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def open_connection(spec: ProbeSpec) -> tuple[socket.socket, dict[str, Any] | None]:
    """Connect to host:port; for https wrap in TLS with SNI = server_name. Returns the socket and TLS facts."""
    try:
        raw = socket.create_connection((spec.host, spec.effective_port()), timeout=spec.timeout)
    except OSError as error:
        raise ProbeError(f"connect to {spec.host}:{spec.effective_port()} failed: {error}") from error
    if spec.scheme != "https":
        return raw, None
    try:
        tls = _tls_context(spec).wrap_socket(raw, server_hostname=spec.name())
    except (ssl.SSLError, OSError) as error:
        raw.close()
        raise ProbeError(f"TLS handshake with {spec.name()} failed: {error}") from error
    der = tls.getpeercert(binary_form=True)
    facts: dict[str, Any] = {"protocol": tls.version(), "cipher": (tls.cipher() or ("",))[0]}
    if der:
        facts.update(certificate_facts(decode_der_certificate(der)))
    return tls, facts


def json_matches(expected: dict[str, Any], actual: Any) -> list[str]:
    """Mismatches of ``expected`` (dotted paths to values) in ``actual``; empty when all match."""
    problems = []
    for path, want in expected.items():
        node = actual
        for part in path.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                node = _MISSING
                break
        if node is _MISSING:
            problems.append(f"{path} is missing")
        elif node != want:
            problems.append(f"{path} is {node!r}, expected {want!r}")
    return problems


_MISSING = object()


def probe_http(spec: ProbeSpec) -> dict[str, Any]:
    sock, tls = open_connection(spec)
    connection = http.client.HTTPConnection(spec.name(), spec.effective_port(), timeout=spec.timeout)
    connection.sock = sock
    try:
        headers = {"Host": spec.name(), "User-Agent": "pdezzy-probe", **spec.headers}
        connection.request(spec.method, spec.path, headers=headers)
        response = connection.getresponse()
        body = response.read(1024 * 1024).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        raise ProbeError(f"HTTP request to {spec.name()}{spec.path} failed: {error}") from error
    finally:
        connection.close()
    result: dict[str, Any] = {
        "status": response.status,
        "headers": {k.lower(): v for k, v in response.getheaders()},
        "body": body[:4096],
        "tls": tls,
    }
    problems = []
    if response.status not in spec.expected_status:
        problems.append(f"status {response.status}, expected {spec.expected_status}")
    if spec.body_contains is not None and spec.body_contains not in body:
        problems.append(f"body does not contain {spec.body_contains!r}")
    if spec.json_expect:
        try:
            document = json.loads(body)
        except ValueError:
            problems.append("body is not JSON")
        else:
            result["json"] = document
            problems.extend(json_matches(spec.json_expect, document))
    result["problems"] = problems
    return result


def probe_tcp(spec: ProbeSpec) -> dict[str, Any]:
    sock, tls = open_connection(spec)
    sock.close()
    return {"tls": tls, "problems": []}


def websocket_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    elif len(payload) < 65536:
        header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + len(payload).to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _read_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ProbeError("connection closed during a WebSocket frame")
        data += chunk
    return data


def read_websocket_text(sock: socket.socket) -> str:
    first, second = _read_exact(sock, 2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(_read_exact(sock, 2), "big")
    elif length == 127:
        length = int.from_bytes(_read_exact(sock, 8), "big")
    payload = _read_exact(sock, length)
    if first & 0x0F == 0x8:
        raise ProbeError("server closed the WebSocket")
    return payload.decode("utf-8", "replace")


def probe_websocket(spec: ProbeSpec) -> dict[str, Any]:
    sock, tls = open_connection(spec)
    key = base64.b64encode(os.urandom(16)).decode()
    origin = f"{spec.scheme}://{spec.name()}"
    request = (
        f"GET {spec.path} HTTP/1.1\r\nHost: {spec.name()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in spec.headers.items())
        + "\r\n"
    )
    try:
        sock.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(4096)
            if not chunk:
                raise ProbeError("connection closed during the WebSocket handshake")
            response += chunk
        head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {
            line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line
        }
        problems = []
        if status != 101:
            problems.append(f"status {status}, expected 101 Switching Protocols")
        expected_accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if status == 101 and headers.get("sec-websocket-accept") != expected_accept:
            problems.append("Sec-WebSocket-Accept does not match the key")
        echoed = None
        if status == 101 and spec.ws_message is not None:
            sock.sendall(websocket_frame(spec.ws_message))
            echoed = read_websocket_text(sock)
            if spec.ws_message not in echoed:
                problems.append(f"sent {spec.ws_message!r}, received {echoed!r}")
    except (OSError, ValueError, IndexError) as error:
        raise ProbeError(f"WebSocket exchange with {spec.name()}{spec.path} failed: {error}") from error
    finally:
        sock.close()
    return {"status": status, "headers": headers, "received": echoed, "tls": tls, "problems": problems}


PROBES = {"http": probe_http, "tcp": probe_tcp, "websocket": probe_websocket}


def run_probe(spec: ProbeSpec, retries: int = 0, delay: float = 1.0, backoff: float = 2.0) -> dict[str, Any]:
    """Run the probe, retrying failures with exponential backoff. Always returns a result dict."""
    attempt = 0
    wait = delay
    while True:
        attempt += 1
        started = time.monotonic()
        try:
            result = PROBES[spec.kind](spec)
        except ProbeError as error:
            result = {"problems": [str(error)], "tls": None}
        result["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
        result["attempts"] = attempt
        result["ok"] = not result["problems"]
        if result["ok"] or attempt > retries:
            return result
        time.sleep(wait)
        wait *= backoff

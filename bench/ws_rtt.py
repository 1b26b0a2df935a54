#!/usr/bin/env python3
"""WebSocket round trips through nginx (stdlib only; runs on the bench peer).

ws_rtt.py ADDRESS DOMAIN COUNT  -> prints "p50_ms p99_ms max_ms" over COUNT echo round trips
on one connection to wss://DOMAIN/ws/echo/ at ADDRESS:443 (certificate not verified: the
figure is latency, the health check verifies the certificate).
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import statistics
import struct
import sys
import time


def read_exact(sock: ssl.SSLSocket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def connect(address: str, domain: str) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock = context.wrap_socket(socket.create_connection((address, 443), timeout=10), server_hostname=domain)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/echo/ HTTP/1.1\r\nHost: {domain}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://{domain}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
    return sock


def round_trip(sock: ssl.SSLSocket, payload: bytes) -> None:
    mask = os.urandom(4)
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    _, second = read_exact(sock, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exact(sock, 2))[0]
    if read_exact(sock, length) != payload:
        raise ValueError("echo differs")


def main(address: str, domain: str, count: str) -> None:
    sock = connect(address, domain)
    samples = []
    for i in range(int(count)):
        start = time.perf_counter()
        round_trip(sock, f"rtt-{i}".encode())
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"{statistics.median(samples):.2f} {p99:.2f} {samples[-1]:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:4])

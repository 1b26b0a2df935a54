#!/usr/bin/env python3
"""Test client run inside a container on the stack network (stdlib only).

client.py http URL HOST [METHOD] [JSON_BODY] [BEARER]   -> prints "<status> <body>"
client.py ws-room HOST_A HOST_B DOMAIN ROOM MESSAGE      -> prints what B received
client.py ws-echo HOST DOMAIN MESSAGE                   -> prints the echo
client.py wss-echo HOST DOMAIN CAFILE MESSAGE [PATH]    -> the same over TLS on 443 (through nginx),
                                                           the certificate verified against CAFILE;
                                                           PATH default /ws/echo/, prints the answer
client.py ws-hold HOST DOMAIN CLIENTS STOPFILE           -> CLIENTS WebSockets to /ws/echo/ over TLS on
                                                           443 (unverified), each echoing every 0.2 s and
                                                           reconnecting when closed, until STOPFILE exists;
                                                           prints JSON counts of how they went
                                                           and when each close came
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any


def http(url: str, host: str, method: str = "GET", body: str = "", bearer: str = "") -> None:
    headers = {"Host": host, "Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(url, data=body.encode() or None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        print(error.code, error.read().decode())


class WebSocket:
    def __init__(self, host: str, port: int, path: str, domain: str, cafile: str = "") -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        if cafile == "-":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self.sock = context.wrap_socket(self.sock, server_hostname=domain)
        elif cafile:
            self.sock = ssl.create_default_context(cafile=cafile).wrap_socket(self.sock, server_hostname=domain)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {domain}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://{domain}\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(1024)
            if not chunk:
                raise ConnectionError("closed during handshake")
            response += chunk
        status = response.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(f"handshake refused: {status.decode()}")

    def send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def recv(self) -> str:
        first, second = self._exact(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._exact(8))[0]
        payload = self._exact(length)
        if first & 0x0F == 0x8:
            raise ClosedByServer("closed by server")
        return payload.decode()


class ClosedByServer(ConnectionError):
    """The server sent a close frame: a clean close."""


def hold(host: str, domain: str, stopfile: str, counts: dict[str, Any], lock: threading.Lock) -> None:
    """One client: echo until the stop file exists; on a close, note how and when it ended and reconnect
    (also when stopping, so every close is followed by exactly one reconnect unless that fails)."""
    started = time.monotonic()

    def note(key: str, close: str = "") -> None:
        with lock:
            counts[key] += 1
            if close:
                counts["closes"].append(f"{close}@{time.monotonic() - started:.1f}")

    ws: WebSocket | None = None
    sent = 0
    while True:
        stopping = os.path.exists(stopfile)
        if ws is None:
            try:
                ws = WebSocket(host, 443, "/ws/echo/", domain, cafile="-")
                note("connects")
            except (OSError, ConnectionError):
                note("connect_failures")
                if stopping:
                    return
                time.sleep(0.2)
                continue
        if stopping:
            return
        sent += 1
        try:
            ws.send(f"hold-{sent}")
            note("echoes" if ws.recv() == f"hold-{sent}" else "bad_echoes")
        except ClosedByServer:
            note("clean_closes", "clean")
            ws = None
        except (OSError, ConnectionError):
            note("unclean_closes", "unclean")
            ws = None
        time.sleep(0.2)


def hold_many(host: str, domain: str, clients: int, stopfile: str) -> dict[str, Any]:
    keys = ("connects", "connect_failures", "echoes", "bad_echoes", "clean_closes", "unclean_closes")
    counts: dict[str, Any] = dict.fromkeys(keys, 0)
    counts["closes"] = []  # "clean@12.3": how and when (seconds after the start) each close came
    lock = threading.Lock()
    threads = [threading.Thread(target=hold, args=(host, domain, stopfile, counts, lock)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def main(argv: list[str]) -> None:
    mode = argv[1]
    if mode == "http":
        http(*argv[2:])
    elif mode == "ws-echo":
        host, domain, message = argv[2:5]
        ws = WebSocket(host, 8006, "/ws/echo/", domain)
        ws.send(message)
        print(ws.recv())
    elif mode == "wss-echo":
        host, domain, cafile, message = argv[2:6]
        ws = WebSocket(host, 443, argv[6] if len(argv) > 6 else "/ws/echo/", domain, cafile)
        ws.send(message)
        print(ws.recv())
    elif mode == "ws-room":
        host_a, host_b, domain, room, message = argv[2:7]
        a = WebSocket(host_a, 8006, f"/ws/rooms/{room}/", domain)
        b = WebSocket(host_b, 8006, f"/ws/rooms/{room}/", domain)
        a.send(json.dumps({"message": message}))
        print(b.recv())
    elif mode == "ws-hold":
        host, domain, clients, stopfile = argv[2:6]
        print(json.dumps(hold_many(host, domain, int(clients), stopfile)))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)

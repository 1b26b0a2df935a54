"""Stub app replica for the nginx scenario: echoes what it received, accepts WebSocket upgrades."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.headers.get("Upgrade", "").lower() == "websocket":
            accept = hashlib.sha1((self.headers["Sec-WebSocket-Key"] + WS_GUID).encode()).digest()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", base64.b64encode(accept).decode())
            self.end_headers()
            if self.path.startswith("/ws/hold/"):
                # An open WebSocket: held until the client goes.
                while self.rfile.read(1):
                    pass
            self.close_connection = True
            return
        self.echo()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.echo()

    def echo(self) -> None:
        status = 404 if self.path.startswith("/missing") else 200
        body = json.dumps(
            {"replica": socket.gethostname(), "path": self.path, "headers": dict(self.headers), "padding": "x" * 512}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


ThreadingHTTPServer(("", 8006), Handler).serve_forever()

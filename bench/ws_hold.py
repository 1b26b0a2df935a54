#!/usr/bin/env python3
"""WebSocket clients held open through nginx while something happens (stdlib; runs on the peer).

ws_hold.py ADDRESS DOMAIN CLIENTS  -> until SIGINT: CLIENTS connections to wss://DOMAIN/ws/echo/
at ADDRESS:443, each sending an echo every 0.5 s and reconnecting when its connection ends.
Then prints "clean unclean reconnect_failures echoes": connections the server ended with a
close frame, connections that ended without one (reset, EOF, timeout, echo lost), failed
reconnects, and echoes answered.
"""

from __future__ import annotations

import signal
import sys
import threading
import time

from ws_rtt import connect, read_exact

COUNTS = {"clean": 0, "unclean": 0, "reconnect_failures": 0, "echoes": 0}
LOCK = threading.Lock()
STOP = threading.Event()


def count(key: str) -> None:
    with LOCK:
        COUNTS[key] += 1


def echo(sock, payload: bytes) -> bool:  # noqa: ANN001 (an ssl socket)
    """Send one masked text frame; True when echoed, False when the server sent a close frame."""
    mask = b"\x01\x02\x03\x04"
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    first, second = read_exact(sock, 2)
    data = read_exact(sock, second & 0x7F)
    if first & 0x0F == 0x8:
        return False
    if data != payload:
        raise ConnectionError("echo differs")
    return True


def client(address: str, domain: str, number: int) -> None:
    while not STOP.is_set():
        try:
            sock = connect(address, domain)
        except OSError:
            count("reconnect_failures")
            time.sleep(0.5)
            continue
        try:
            while not STOP.is_set():
                if not echo(sock, f"hold-{number}".encode()):
                    count("clean")
                    break
                count("echoes")
                time.sleep(0.5)
        except (OSError, ValueError):
            if not STOP.is_set():
                count("unclean")
        finally:
            sock.close()


def main(address: str, domain: str, clients: str) -> None:
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    threads = [threading.Thread(target=client, args=(address, domain, i), daemon=True) for i in range(int(clients))]
    for thread in threads:
        thread.start()
    while not STOP.is_set():
        time.sleep(0.2)
    time.sleep(1)
    print(f"{COUNTS['clean']} {COUNTS['unclean']} {COUNTS['reconnect_failures']} {COUNTS['echoes']}")


if __name__ == "__main__":
    main(*sys.argv[1:4])

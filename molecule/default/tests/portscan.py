"""TCP connect scan of every port of one address; prints the open ones as JSON.

Run on the peer: python3 portscan.py ADDRESS. A port is open when a connection completes
within 2 s; refused, unreachable and unanswered (filtered) ports are closed. The VPS is a hop
away on the same bridge and an open port answers in milliseconds, but on a machine busy with
other jobs the scanner's own event loop may see the answer late: with 1 s, a fully loaded CI run
missed port 22. A filtered port costs the whole wait, so the scan takes about 130 s.
Any other error (the scanner out of file descriptors, say)
ends the scan with an error: it must never pass for a closed port. At most 1000 connections are
in flight at once: with 8192, the VPS dropped SYNs to its open ports too (all 65535 ports
"closed"), which would also hide an unexpected open one.
"""

from __future__ import annotations

import asyncio
import errno
import json
import resource
import sys

TIMEOUT_S = 2
CLOSED_ERRNOS = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH}


async def is_open(address: str, port: int, gate: asyncio.Semaphore) -> bool:
    async with gate:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), TIMEOUT_S)
        except TimeoutError:
            return False
        except OSError as error:
            if error.errno in CLOSED_ERRNOS:
                return False
            raise
        writer.close()
        return True


def in_flight() -> int:
    """Connections at once: 1000, or what the descriptor limit allows with room to spare."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        soft = hard if hard != resource.RLIM_INFINITY else 65536
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return max(64, min(1000, soft - 256))


async def scan(address: str) -> list[int]:
    gate = asyncio.Semaphore(in_flight())
    ports = range(1, 65536)
    results = await asyncio.gather(*(is_open(address, port, gate) for port in ports))
    return [port for port, opened in zip(ports, results, strict=True) if opened]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scan(sys.argv[1]))))

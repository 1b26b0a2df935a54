"""TCP connect scan of every port of one address; prints the open ones as JSON.

Run on the peer: python3 portscan.py ADDRESS. A port is open when a connection completes
within 2 s; refused, unreachable and unanswered (filtered) ports are closed. The VPS is a hop
away on the same bridge and an open port answers in milliseconds, but on a machine busy with
other jobs the scanner's own event loop may see the answer late: with 1 s, a fully loaded CI run
missed port 22. So did 2 s while the scan made a task for each of the 65535 ports at once: the
loop's first pass over them all took longer than the first connections' wait, and those (the
lowest ports, 22 among them) timed out unseen. A fixed pool of workers takes the ports in turn
instead, so the loop never holds more than the connections in flight. A filtered port costs the
whole wait, so the scan takes about 130 s.
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


async def is_open(address: str, port: int) -> bool:
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


async def scan(address: str, ports: range = range(1, 65536)) -> list[int]:
    todo = iter(ports)
    found: list[int] = []

    async def worker() -> None:
        # One port after another; the iterator is shared, so each port is taken once.
        for port in todo:
            if await is_open(address, port):
                found.append(port)

    await asyncio.gather(*(worker() for _ in range(min(in_flight(), len(ports)))))
    return sorted(found)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scan(sys.argv[1]))))

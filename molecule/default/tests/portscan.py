"""TCP connect scan of every port of one address; prints the open ones as JSON.

Run on the peer: python3 portscan.py ADDRESS. A port is open when a connection completes
within 2 s; refused and unanswered (filtered) ports are both closed.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def is_open(address: str, port: int, gate: asyncio.Semaphore) -> bool:
    async with gate:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), 2)
        except (TimeoutError, OSError):
            return False
        writer.close()
        return True


async def scan(address: str) -> list[int]:
    gate = asyncio.Semaphore(1000)
    ports = range(1, 65536)
    results = await asyncio.gather(*(is_open(address, port, gate) for port in ports))
    return [port for port, opened in zip(ports, results, strict=True) if opened]


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scan(sys.argv[1]))))

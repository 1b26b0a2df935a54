"""Point host names at an address in pebble-challtestsrv, the DNS of the harness's ACME server.

Each scenario (and the sandbox) answers for its own names only, so scenarios that obtain
certificates can run at once: a name nobody pointed resolves to 127.0.0.1, where validation
fails plainly instead of reaching another scenario's VPS.

    python molecule/harness/acme_dns.py ADDRESS NAME...
    python molecule/harness/acme_dns.py ADDRESS --inventory inventory/sandbox
        (the inventory's pdezzy_domain and pdezzy_domain_aliases)
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import yaml
from constants import HARNESS


def _post(endpoint: str, body: dict[str, object], port: str) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/{endpoint}", data=json.dumps(body).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).close()


def point(names: Iterable[str], address: str, port: str = HARNESS["CHALLTESTSRV_MANAGEMENT_PORT"]) -> None:
    """Make every name of ``names`` resolve to ``address`` alone (add-a appends, so clear first)."""
    for name in names:
        fqdn = name.rstrip(".") + "."
        _post("clear-a", {"host": fqdn}, port)
        _post("add-a", {"host": fqdn, "addresses": [address]}, port)


def inventory_names(inventory: Path) -> list[str]:
    """The site's names in an inventory: ``pdezzy_domain`` and ``pdezzy_domain_aliases`` of its
    ``group_vars/all/main.yml``."""
    settings = yaml.safe_load((inventory / "group_vars" / "all" / "main.yml").read_text(encoding="utf-8"))
    return [settings["pdezzy_domain"], *settings.get("pdezzy_domain_aliases", [])]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--inventory":
        point(inventory_names(Path(sys.argv[3])), sys.argv[1])
    elif len(sys.argv) >= 3 and not sys.argv[2].startswith("-"):
        point(sys.argv[2:], sys.argv[1])
    else:
        sys.exit("usage: acme_dns.py ADDRESS NAME... | acme_dns.py ADDRESS --inventory DIR")

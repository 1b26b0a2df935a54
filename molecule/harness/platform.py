"""Print the shared VPS platform of .config/molecule/config.yml as `docker run` arguments.

The sandbox VPS (scripts/harness sandbox) runs with exactly the settings Molecule's VPS
instances get, read from the one place they are written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parents[2] / ".config" / "molecule" / "config.yml"


def docker_args(platform: dict) -> list[str]:
    args: list[str] = []
    for cap in platform.get("capabilities", []):
        args += ["--cap-add", cap]
    for opt in platform.get("security_opts", []):
        args += ["--security-opt", opt]
    if "cgroupns_mode" in platform:
        args += ["--cgroupns", platform["cgroupns_mode"]]
    for volume in platform.get("volumes", []):
        args += ["--volume", volume]
    for mount in platform.get("tmpfs", []):
        args += ["--tmpfs", mount]
    if "stop_signal" in platform:
        args += ["--stop-signal", platform["stop_signal"]]
    return args


def main() -> int:
    platforms = yaml.safe_load(CONFIG.read_text())["platforms"]
    vps = next(p for p in platforms if "vps" in p.get("groups", []))
    print(" ".join(docker_args(vps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

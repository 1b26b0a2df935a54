"""The bench's shared helpers: the sandbox VPS and its peer, commands on them, playbook runs, the
figures' rows, and the settings read from the environment when asked (not at import)."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Appended, not first: molecule/harness has a platform.py that must not shadow the standard library's.
sys.path.append(str(REPO / "molecule" / "harness"))
import acme_dns  # noqa: E402  (points the sandbox's names at it in pebble's DNS)
from constants import HARNESS as CONSTANTS  # noqa: E402  (the harness's addresses and ports)

HARNESS = REPO / "scripts" / "harness"
INVENTORY = REPO / "inventory" / "sandbox"
# The figures behind RESULTS.md, kept with it so a section run on a fresh checkout leaves the
# others' figures in place.
STATE = REPO / "bench" / "results.json"
RESULTS = REPO / "bench" / "RESULTS.md"
VPS = CONSTANTS["SANDBOX_NAME"]
ADDRESS = CONSTANTS["SANDBOX_IP"]
NETWORK = CONSTANTS["SANDBOX_NET"]
DOMAIN = "pdezzy.test"
PEER = "pdezzy-bench-peer"
# Debian's major version of each release the harness builds a VPS image of.
DEBIAN_VERSIONS = {"bookworm": 12, "trixie": 13}
WS_CLIENTS = 10


def suite() -> str:
    """The Debian release of the sandbox VPS: scripts/harness bench sets PDEZZY_VPS_SUITE (its
    default is the harness's first VPS_SUITES entry) and scripts/harness sandbox reads the same."""
    try:
        return os.environ["PDEZZY_VPS_SUITE"]
    except KeyError:
        raise SystemExit("PDEZZY_VPS_SUITE is not set: run the bench through scripts/harness bench") from None


def vps_image() -> str:
    return f"pdezzy/vps:{suite()}"


def runs() -> int:
    """Runs per figure (BENCH_RUNS, default 3)."""
    return int(os.environ.get("BENCH_RUNS", "3"))


def cold_runs() -> int:
    """Cold site.yml runs, minutes each (BENCH_COLD_RUNS, default runs())."""
    return int(os.environ.get("BENCH_COLD_RUNS", str(runs())))


Row = dict[str, Any]


def log(message: str) -> None:
    print(f"\033[1;35m--> {message}\033[0m", file=sys.stderr, flush=True)


def run(command: list[str] | str, check: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    shell = isinstance(command, str)
    return subprocess.run(command, shell=shell, capture_output=True, text=True, check=check, timeout=timeout)


def vps(command: str, check: bool = True) -> str:
    return run(["docker", "exec", VPS, "sh", "-c", command], check=check).stdout.strip()


def peer(command: str, check: bool = True) -> str:
    return run(["docker", "exec", PEER, "sh", "-c", command], check=check).stdout.strip()


def playbook(name: str, *args: str, strategy: str = "") -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a playbook with the repo's ansible.cfg (Mitogen's strategy), or with ``strategy``."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    if strategy:
        env["ANSIBLE_STRATEGY"] = strategy
    command = ["ansible-playbook", "-i", str(INVENTORY), str(REPO / name), *args]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=3600)
    return time.monotonic() - start, result


def recap(output: str) -> dict[str, int]:
    match = re.search(rf"{VPS}\s+:\s+(.*)", output)
    if not match:
        raise RuntimeError("no play recap for the sandbox in:\n" + output[-3000:])
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def row(section: str, figure: str, values: list[float], unit: str, note: str = "") -> Row:
    return {"section": section, "figure": figure, "unit": unit, "note": note, **spread(values)}


# --- the sandbox ---------------------------------------------------------------------------
def fresh_sandbox() -> None:
    run([str(HARNESS), "sandbox-down"])
    run([str(HARNESS), "sandbox-vps"])  # it also forgets the old VPS's cached facts
    dns_to_sandbox()


def dns_to_sandbox() -> None:
    acme_dns.point(acme_dns.inventory_names(INVENTORY), ADDRESS)


def converged_sandbox() -> None:
    """A sandbox with the site deployed (deployed now when it is not)."""
    dns_to_sandbox()
    up = run(["docker", "inspect", "-f", "{{.State.Running}}", VPS], check=False).stdout.strip() == "true"
    if up and playbook("playbooks/health-check.yml")[1].returncode == 0:
        return
    log("deploying the sandbox (scripts/harness sandbox)")
    run([str(HARNESS), "sandbox"], timeout=3600)


def start_peer() -> None:
    """A client container on the sandbox network, with wrk from Debian."""
    if run(["docker", "inspect", "-f", "{{.State.Running}}", PEER], check=False).stdout.strip() == "true":
        return
    run(["docker", "rm", "-f", PEER], check=False)
    run(["docker", "run", "-d", "--name", PEER, "--network", NETWORK, "--add-host", f"{DOMAIN}:{ADDRESS}",
         "--entrypoint", "sleep", vps_image(), "infinity"])  # fmt: skip
    peer("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk")
    for script in ("ws_rtt.py", "ws_hold.py"):
        run(["docker", "cp", str(REPO / "bench" / script), f"{PEER}:/usr/local/bin/{script}"])


def booted(container: str) -> None:
    """Wait until systemd in ``container`` has finished booting (its bus exists only after a moment)."""
    for _ in range(120):
        state = run(["docker", "exec", container, "systemctl", "is-system-running"], check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{container} did not finish booting")


def fresh_vps_container(name: str) -> None:
    """A new, booted container ``name`` of the VPS image on the sandbox network, with the platform
    every VPS gets (molecule/harness/platform.py); one of that name is removed first."""
    run(["docker", "rm", "-f", "-v", name], check=False)
    args = run([sys.executable, str(REPO / "molecule/harness/platform.py")]).stdout.split()
    run(["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, *args, vps_image()])
    booted(name)


# --- recovery ------------------------------------------------------------------------------
COUNTS = (
    "SELECT sum((xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I', table_name), "
    "false, true, '')))[1]::text::int) FROM information_schema.tables "
    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
)


def until_green(start: float) -> tuple[float, bool]:
    """Seconds from ``start`` until health-check.yml passes; whether it failed at least once."""
    red = False
    for _ in range(120):
        _, result = playbook("playbooks/health-check.yml")
        if result.returncode == 0:
            return time.monotonic() - start, red
        red = True
        time.sleep(1)
    raise RuntimeError("the health check did not turn green within the wait")


def kill_main_process(container: str, check: bool = True) -> None:
    """SIGKILL of the container's main process: a crash, which the restart policy answers."""
    vps(f"kill -9 $(docker inspect -f '{{{{.State.Pid}}}}' {container})", check=check)


def crash(container: str) -> tuple[float, bool]:
    """A crash of the container; seconds until health-check.yml passes again, and whether it failed meanwhile."""
    start = time.monotonic()
    kill_main_process(container)
    return until_green(start)


def sql(query: str) -> str:
    return vps(f'docker exec postgres psql -X -U pdezzy -d pdezzy -At -c "{query}"')


def rows_total() -> float:
    return float(sql(COUNTS))


BACKUP_HOST = CONSTANTS["SANDBOX_BACKUP_NAME"]
OFFSITE = REPO / ".cache" / "bench" / "offsite.json"


def start_backup_host() -> list[str]:
    """An SFTP backup host on the sandbox network (a VPS-image container whose sshd systemd
    starts) and an off-host repository on it; returns the repository's settings as extra vars."""
    key = OFFSITE.parent / "restic_id"
    OFFSITE.parent.mkdir(parents=True, exist_ok=True)
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pdezzy-bench-restic", "-f", str(key)])
    if run(["docker", "inspect", "-f", "{{.State.Running}}", BACKUP_HOST], check=False).stdout.strip() != "true":
        fresh_vps_container(BACKUP_HOST)
        run(["docker", "exec", BACKUP_HOST, "sh", "-c", "useradd --create-home --home-dir /srv/restic --shell /bin/sh "
             "restic && install -d -o restic -g restic -m 0700 /srv/restic/.ssh"])  # fmt: skip
    # This checkout's key, also on a backup host another checkout started.
    authorize = "install -o restic -g restic -m 0600 /dev/stdin /srv/restic/.ssh/authorized_keys"
    public = key.with_suffix(".pub").read_text()
    subprocess.run(["docker", "exec", "-i", BACKUP_HOST, "sh", "-c", authorize], input=public, text=True, check=True,
                   capture_output=True)  # fmt: skip
    host_key = run(["docker", "exec", BACKUP_HOST, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).stdout.split()[:2]
    settings = {
        "backup_offsite_repository": f"sftp:restic@{BACKUP_HOST}:/srv/restic/pdezzy",
        "backup_offsite_password": "bench-restic-password",
        "backup_offsite_sftp_private_key": key.read_text(),
        "backup_offsite_sftp_known_hosts": f"{BACKUP_HOST} {' '.join(host_key)}\n",
    }
    OFFSITE.write_text(json.dumps(settings))
    OFFSITE.chmod(0o600)
    return ["-e", f"@{OFFSITE}"]


def stop_backup_host() -> None:
    """The sandbox as its inventory has it again: no off-host repository, no backup host."""
    _, result = playbook("site.yml")
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    run(["docker", "rm", "-f", "-v", BACKUP_HOST], check=False)


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict[str, float]:
    figures: dict[str, float] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    }
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.MULTILINE)
        if match:
            figures[f"p{pct}"] = to_ms(match.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["non2xx"] = float(non2xx.group(1) if non2xx else 0)
    kinds = ("connect", "read", "write", "timeout")
    for kind, count in zip(kinds, sockets.groups() if sockets else ("0",) * 4, strict=True):
        figures[kind] = float(count)
    figures["socket_errors"] = sum(figures[kind] for kind in kinds)
    figures["failed"] = figures["non2xx"] + figures["socket_errors"]
    return figures

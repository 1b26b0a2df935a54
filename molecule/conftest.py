"""Fixtures shared by the Molecule scenarios' testinfra tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "molecule" / "harness"))
from constants import SECRET_NAME  # noqa: E402  (molecule/harness is put on the path just above)
from constants import load as load_constants  # noqa: E402  (molecule/harness is put on the path just above)

# The harness's addresses and ports (molecule/harness/constants.env), for the scenarios' tests.
HARNESS: dict[str, str] = load_constants()


def ansible_env() -> dict[str, str]:
    """The environment of the tests' playbook runs: the project's roles, collections and strategy
    (Mitogen, as ansible.cfg sets it for users and Molecule's env for its own runs)."""
    env = dict(os.environ)
    env["ANSIBLE_ROLES_PATH"] = str(PROJECT / "roles")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(PROJECT / "collections")
    env["ANSIBLE_STRATEGY_PLUGINS"] = str(PROJECT / "plugins" / "strategy")
    env["ANSIBLE_STRATEGY"] = "mitogen_linear"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


# (seconds, what) of every playbook run of the session, for the summary at its end.
PLAYBOOK_RUNS: list[tuple[float, str]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The playbook runs of the tests, longest first: where a scenario's minutes go."""
    if PLAYBOOK_RUNS:
        total = sum(seconds for seconds, _ in PLAYBOOK_RUNS)
        terminalreporter.section(f"playbook runs: {len(PLAYBOOK_RUNS)}, {total:.0f} s in all; the longest")
        for seconds, what in sorted(PLAYBOOK_RUNS, reverse=True)[:15]:
            terminalreporter.write_line(f"{seconds:7.1f} s  {what[:150]}")


@pytest.fixture
def run_playbook() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a playbook against the scenario's inventory; returns the completed process.

    The output (stdout + stderr, white space folded) is in ``result.output``.
    """

    def run(playbook: Path, extra_vars: dict[str, Any] | None = None, *args: str) -> subprocess.CompletedProcess[str]:
        inventory = str(Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent)  # as Molecule passes it
        command = ["ansible-playbook", "-i", inventory, str(playbook), *args]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, env=ansible_env(), timeout=600, check=False)
        result.output = " ".join((result.stdout + result.stderr).split())  # type: ignore[attr-defined]
        shown = {key: "<hidden>" if SECRET_NAME.search(key) else value for key, value in (extra_vars or {}).items()}
        what = " ".join([playbook.name, *args, json.dumps(shown) if shown else ""])
        PLAYBOOK_RUNS.append((time.monotonic() - started, what))
        return result

    return run


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    """The run failed before changing anything, and said ``message``."""
    output = result.output  # type: ignore[attr-defined]
    assert result.returncode != 0, output
    assert message in output, output
    assert "changed=0" in output, output


def task_outcomes(output: str, name: str) -> list[str]:
    """The outcomes ("changed: [vps]", "ok: [vps]", ...) of every task whose name contains ``name``,
    in a run's output (``run_playbook``'s, white space folded)."""
    outcomes = []
    for chunk in output.split("TASK [")[1:]:
        title, _, body = chunk.partition("]")
        if name in title:
            outcomes += re.findall(r"\b(?:ok|changed|skipping|fatal|failed): \[[^\]]+\]", body)
    return outcomes


def assert_no_secret(output: str, secrets: list[str]) -> None:
    """None of the inventory's ``secrets`` is in ``output`` (the whole output of a run)."""
    leaked = [secret for secret in secrets if secret in output]
    assert not leaked, f"secrets in the output: {leaked}"


def start_request_loop(client: Any, url: str, resolve: str, seconds: int, max_time: int) -> None:
    """On ``client`` (a testinfra host), GET ``url`` back to back in the background.

    Each request is a new ``curl`` connection (``--resolve resolve``, ``--max-time max_time``); one
    that ends in a curl error or an HTTP status of 400 or more fails. The requests are HTTP/1.1:
    at a graceful reload, nginx 1.30 ends HTTP/2 connections with GOAWAY, which an HTTP/2 client
    answers by sending the request again on a new connection (RFC 9113, 8.7) and this curl
    (7.88) reports as an error (exit 16) instead; HTTP/1.1 has no such step. The loop runs for at most
    ``seconds`` or until /tmp/loop.stop exists (read its results with ``request_loop_counts``).
    """
    client.run("rm -f /tmp/loop.out /tmp/loop.stop /tmp/loop.failures; systemctl reset-failed loop 2>/dev/null")
    loop = (
        f"ok=0; end=$((SECONDS+{seconds})); while [ $SECONDS -lt $end ] && [ ! -e /tmp/loop.stop ]; do "
        "start=$(date +%T.%3N); "
        f'code=$(curl -sk --http1.1 --max-time {max_time} -o /dev/null -w "%{{http_code}}" --resolve {resolve} {url}); '
        'rc=$?; if [ $rc -eq 0 ] && [ "$code" -lt 400 ]; then ok=$((ok+1)); '
        'else echo "$start to $(date +%T.%3N): curl exit $rc, HTTP $code" >> /tmp/loop.failures; fi; '
        "done; echo $ok > /tmp/loop.out"
    )
    assert client.run(f"systemd-run --unit=loop bash -c '{loop}'").rc == 0


def request_loop_counts(client: Any, wait: int) -> tuple[int, list[str]]:
    """(requests that succeeded, the failed ones) of the loop on ``client``, waiting up to ``wait`` s
    for it to finish. A failure reads "START to END: curl exit N, HTTP CODE" (the client's clock)."""
    for _ in range(wait):
        if client.file("/tmp/loop.out").exists:
            break
        time.sleep(1)
    ok = int(client.file("/tmp/loop.out").content_string)
    failures = client.file("/tmp/loop.failures")
    return ok, failures.content_string.splitlines() if failures.exists else []


def task_timeline(output: str) -> list[str]:
    """Every task of a run's output as "HH:MM:SS task" (``run_playbook``'s), from profile_tasks'
    time stamps: to line up a failure seen elsewhere with what the run was doing."""
    return [
        f"{clock} {name}"
        for name, clock in re.findall(r"TASK \[([^\]]+)\] \** ?\w+day \d+ \w+ \d{4} (\d\d:\d\d:\d\d)", output)
    ]


def archive_wal(host: Any, archive: str = "/var/lib/pdezzy-wal", container: str = "postgres") -> str:
    """Have PostgreSQL in ``container`` on ``host`` finish its WAL segment and wait until the
    segment is in ``archive`` (gzipped); returns the segment's name."""
    segment = host.check_output(
        f"docker exec {container} psql -X -U pdezzy -d pdezzy -At -c 'SELECT pg_walfile_name(pg_switch_wal())'"
    )
    for _ in range(60):
        if host.file(f"{archive}/{segment}.gz").exists:
            return segment
        time.sleep(0.5)
    raise AssertionError(f"{segment} did not reach {archive} within 30 s")


def ssh_audit_from(client: Any, target: str) -> tuple[int, dict[str, Any], list[tuple[str, str, str, str]]]:
    """ssh-audit (the controller's pinned copy, pure Python) run on ``client`` (a testinfra host,
    a container) against ``target``: its exit code, its JSON report, and every fail or warn note
    as (section, algorithm, level, note)."""
    import ssh_audit  # the controller's venv has it (requirements.txt)

    client.check_output("mkdir -p /opt/ssh-audit")
    subprocess.run(
        ["docker", "cp", str(Path(ssh_audit.__file__).parent), f"{client.backend.get_hostname()}:/opt/ssh-audit/"],
        check=True,
        capture_output=True,
    )
    result = client.run(f"PYTHONPATH=/opt/ssh-audit python3 -m ssh_audit -j {target}")
    report = json.loads(result.stdout)
    notes = [
        (section, entry["algorithm"], level, note)
        for section in ("kex", "key", "enc", "mac")
        for entry in report[section]
        for level, listed in entry.get("notes", {}).items()
        if level in ("fail", "warn")
        for note in listed
    ]
    return result.rc, report, notes

#!/usr/bin/env python3
"""The fault-injection matrix, on the sandbox: each operation a user runs, under each fault of an
ordinary bad day. After every pair, one of two outcomes and nothing else:

- the site is green again by itself within 60 s of the fault's end, or after re-running the same
  operation, with no committed row lost and no secret printed; or
- a clear refusal that names its cause, with the site green and no row lost.

    python bench/chaos.py --sample N [--seed S]   N pairs picked by a seed (printed, so a failure
                                                   can be replayed); the sandbox test runs it
    python bench/chaos.py --pair OPERATION/FAULT [--seed S]   one pair
    scripts/harness bench chaos                    every pair; a table in bench/RESULTS.md

The matrix runs the sandbox as production runs: with an off-host repository, on an SFTP backup
host it starts on the sandbox network (every run gets the repository's settings as extra vars).
Needs a converged sandbox (scripts/harness sandbox) and PDEZZY_VPS_SUITE (the harness sets it).
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as bench  # the sandbox's helpers: vps, playbook, sql, ...
from constants import SECRET_NAME, key_body  # molecule/harness, put on the path by common

# Seconds within which the site must be green again by itself after a fault ends.
GREEN_WITHIN = 60
BACKUPS = "/var/backups/pdezzy"
# What the stack's refusals say: a refusal names its cause and that nothing changed.
REFUSAL = re.compile(r"[Nn]othing (?:was )?(?:changed|written)|nothing to do|is refused|refuses? ")
CONTAINERS = ["nginx", "app-1", "app-2", "pgbouncer", "postgres", "redis"]
# What a run with the wrong vault gives as the off-host repository's password.
WRONG_PASSWORD = "chaos-not-the-repository-password"
# The off-host repository's settings, as extra vars of every run (set by with_offsite): the
# sandbox's inventory has none, production's has one, and the matrix runs as production does.
OFFSITE_ARGS: list[str] = []


def secrets() -> list[str]:
    """Every secret of the sandbox's inventory (a run, failing or not, may print none)."""
    values = yaml.safe_load((bench.INVENTORY / "group_vars" / "all" / "main.yml").read_text())
    keys = [key for key in values if SECRET_NAME.search(key) and isinstance(values[key], str)]
    found = [values[key] for key in keys if "{{" not in values[key]]
    if bench.OFFSITE.exists():  # the off-host repository's settings (bench.start_backup_host)
        offsite = json.loads(bench.OFFSITE.read_text())
        found += [offsite["backup_offsite_password"], *key_body(offsite["backup_offsite_sftp_private_key"])]
    return [*found, WRONG_PASSWORD]


# --- operations ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """A playbook run from the controller, or a command a timer runs on the host."""

    name: str
    playbook: str = ""
    command: str = ""
    # Run on the host first: what the operation needs to find (a backup after the ledger's row).
    before: str = ""

    def args(self, context: dict[str, str], fault_extra: dict[str, Any] | None = None) -> list[str]:
        extra = {
            "deploy": {"app_version": context.get("version", "")},
            "rollback": {"app_rollback_force": True},
            "restore-time": {"restore_target_time": context.get("target", "")},
        }.get(self.name, {})
        extra = {**extra, **(fault_extra or {})}
        return [*OFFSITE_ARGS, *(["-e", json.dumps(extra)] if extra else [])]


OPERATIONS = [
    Operation("site", playbook="site.yml"),
    Operation("deploy", playbook="playbooks/deploy-app.yml"),
    Operation("rollback", playbook="playbooks/rollback.yml"),
    Operation("backup", playbook="playbooks/backup.yml"),
    Operation("restore-file", playbook="playbooks/restore.yml", before="/usr/local/sbin/pdezzy-backup chaos"),
    Operation("restore-time", playbook="playbooks/restore.yml", before="/usr/local/sbin/pdezzy-backup nightly"),
    Operation("update-images", playbook="playbooks/update-images.yml"),
    Operation("renewal", command="systemctl start pdezzy-certbot-renew.service"),
    Operation("logrotate", command="logrotate --force /etc/logrotate.d/pdezzy-nginx"),
    Operation("recover", playbook="playbooks/recover.yml"),
]


# --- faults --------------------------------------------------------------------------------
@dataclass
class Fault:
    """Something that goes wrong during an operation: ``prepare`` before it starts, ``inject`` at
    the moment the seed picked, ``undo`` once the outcome is judged (what the harness, not the
    stack, must put back: a file system it mounted, a file it truncated)."""

    name: str
    applies: Callable[[Operation], bool] = lambda op: True
    prepare: Callable[[Operation], None] = lambda op: None
    inject: Callable[[subprocess.Popen[str] | None], None] = lambda process: None
    undo: Callable[[], None] = lambda: None
    # Injected at a moment (a task, a delay), or all along the operation (a full disk, a bad file).
    timed: bool = True
    # Seconds the operation may go on after the fault before it counts as hung (and is killed).
    settle: float = 1800
    # Extra vars of the faulty run (what the user gave wrongly).
    extra: dict[str, Any] = field(default_factory=dict)


def crash(container: str) -> Callable[[subprocess.Popen[str] | None], None]:
    """SIGKILL of the container's main process: a crash, which the restart policy answers."""

    def inject(_: subprocess.Popen[str] | None) -> None:
        bench.kill_main_process(container, check=False)

    return inject


def restart_vps(_: subprocess.Popen[str] | None) -> None:
    """The VPS restarts (its container, with systemd in it); back once it has booted."""
    bench.run(["docker", "restart", bench.VPS], timeout=300)
    bench.booted(bench.VPS)


def interrupt(process: subprocess.Popen[str] | None) -> None:
    """Ctrl-C at the controller: SIGINT to ansible-playbook's process group."""
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)


def small_disk(op: Operation) -> None:
    """The backups' directory on a file system with room for what it holds and 1 MiB more."""
    used = int(bench.vps(f"du -sk {BACKUPS} | cut -f1"))
    bench.vps(f"mkdir -p /mnt/chaos && mount -t tmpfs -o size={used + 1024}k tmpfs /mnt/chaos")
    bench.vps(f"cp -a {BACKUPS}/. /mnt/chaos/ && mount --bind /mnt/chaos {BACKUPS}")


def big_disk() -> None:
    bench.vps(f"umount {BACKUPS}; umount /mnt/chaos", check=False)


def truncate_newest(pattern: str) -> Callable[[Operation], None]:
    """The newest backup file of ``pattern`` cut to two thirds, its time kept (the whole one kept
    aside)."""

    def prepare(op: Operation) -> None:
        newest = bench.vps(f"ls -1 {BACKUPS}/{pattern} | sort | tail -n 1")
        if not newest:
            raise RuntimeError(f"no {pattern} to corrupt in {BACKUPS}")
        bench.vps(
            f"cp -a {newest} /root/chaos-whole && echo {newest} > /root/chaos-path "
            f"&& truncate -s $(( $(stat -c %s {newest}) * 2 / 3 )) {newest} && touch -r /root/chaos-whole {newest}"
        )

    return prepare


def put_back_whole() -> None:
    bench.vps('[ ! -f /root/chaos-path ] || { mv /root/chaos-whole "$(cat /root/chaos-path)"; rm /root/chaos-path; }')


FAULTS = [
    *(Fault(f"kill-{name}", inject=crash(name)) for name in CONTAINERS),
    Fault("vps-restart", inject=restart_vps),
    # The interrupted run's deploy lock is the re-run's to take over (same controller): nothing to undo.
    Fault("sigint", applies=lambda op: bool(op.playbook), inject=interrupt, settle=120),
    Fault(
        "disk-full",
        applies=lambda op: op.name in ("backup", "restore-file", "restore-time", "update-images"),
        prepare=small_disk,
        undo=big_disk,
        timed=False,
    ),
    Fault(
        "corrupt",
        applies=lambda op: op.name in ("restore-file", "restore-time"),
        prepare=lambda op: truncate_newest("db-*.dump" if op.name == "restore-file" else "base-*.tar.gz")(op),
        undo=put_back_whole,
        timed=False,
    ),
    # The vault of another host, or a typing error: the off-host repository's password is wrong.
    Fault(
        "wrong-password",
        applies=lambda op: bool(op.playbook),
        extra={"backup_offsite_password": WRONG_PASSWORD},
        timed=False,
    ),
]


@functools.cache
def task_count(op: Operation) -> int:
    """The tasks ansible-playbook --list-tasks names for a playbook (tasks of dynamic includes
    come on top of them): the seed picks the faulty task among these."""
    if not op.playbook:
        return 1
    listed = bench.run(["ansible-playbook", "-i", str(bench.INVENTORY), str(bench.REPO / op.playbook), "--list-tasks"])
    return max(1, listed.stdout.count("TAGS:"))


def with_offsite() -> None:
    """The sandbox as production runs it: an off-host repository on an SFTP backup host
    (bench.start_backup_host), converged, with a nightly copy and the WAL archive in it."""
    OFFSITE_ARGS[:] = bench.start_backup_host()
    _, result = bench.playbook("site.yml", *OFFSITE_ARGS)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:])
    bench.vps("/usr/local/sbin/pdezzy-backup nightly && systemctl start pdezzy-wal-offsite.service")


def pairs() -> list[tuple[Operation, Fault]]:
    return [(op, fault) for op in OPERATIONS for fault in FAULTS if fault.applies(op)]


def find_pair(name: str) -> tuple[Operation, Fault]:
    for op, fault in pairs():
        if f"{op.name}/{fault.name}" == name:
            return op, fault
    raise SystemExit(f"no pair {name}; pairs: {', '.join(f'{o.name}/{f.name}' for o, f in pairs())}")


# --- one pair ------------------------------------------------------------------------------
@dataclass
class Outcome:
    pair: str
    moment: str
    result: str  # alone, re-run, refused, unrecovered
    to_green: float
    rows_lost: int
    secrets_printed: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.result != "unrecovered" and self.rows_lost == 0 and not self.secrets_printed


def without_excerpts(output: str) -> str:
    """``output`` without the source lines ansible-playbook quotes under an error's ``Origin:``
    (up to the ``^ column`` marker): a comment there is not what the run said."""
    kept, quoting = [], False
    for line in output.splitlines():
        if line.lstrip().startswith("Origin:"):
            quoting = True
        elif quoting and "^ column" in line:
            quoting = False
        elif quoting and line.startswith(("fatal:", "TASK [", "PLAY", "[ERROR]")):  # an excerpt without a marker
            quoting = False
            kept.append(line)
        elif not quoting:
            kept.append(line)
    return "\n".join(kept)


def refusal(output: str) -> str:
    """Where ``output`` refuses, naming its cause (white space folded: the output wraps long
    messages); '' when it does not."""
    text = " ".join(without_excerpts(output).split())
    match = REFUSAL.search(text)
    return text[max(0, match.start() - 240) : match.end() + 40] if match else ""


def refused(rc: int, output: str) -> bool:
    """Whether a run refused: it failed, named its cause, and (a playbook's recap says) changed
    nothing on any host."""
    changed = [int(count) for count in re.findall(r"\bchanged=(\d+)", output)]
    return rc != 0 and bool(refusal(output)) and not any(changed)


def green_by(deadline: float) -> bool:
    """Whether health-check.yml passes before ``deadline`` (monotonic), trying until then."""
    while True:
        _, result = bench.playbook("playbooks/health-check.yml", *OFFSITE_ARGS)
        if result.returncode == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(2)


def ledger_row(tag: str) -> str:
    """A committed row, written before the operation: it must be there after it."""
    owner = bench.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
    bench.sql(
        "CREATE TABLE IF NOT EXISTS chaos_ledger (id serial PRIMARY KEY, tag text NOT NULL); "
        f"ALTER TABLE chaos_ledger OWNER TO {owner}; INSERT INTO chaos_ledger (tag) VALUES ('{tag}')"
    )
    return tag


def rows_missing(tags: list[str]) -> int:
    for _ in range(30):  # PostgreSQL may still be starting after a fault
        present = bench.run(
            ["docker", "exec", bench.VPS, "docker", "exec", "postgres", "psql", "-X", "-U", "pdezzy", "-d", "pdezzy",
             "-At", "-c", "SELECT tag FROM chaos_ledger"], check=False,
        )  # fmt: skip
        if present.returncode == 0:
            return len(set(tags) - set(present.stdout.split()))
        time.sleep(2)
    return len(tags)


def start(op: Operation, context: dict[str, str], fault: Fault | None) -> subprocess.Popen[str]:
    if op.command:
        command = ["docker", "exec", bench.VPS, "sh", "-c", op.command]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    extra = op.args(context, fault.extra if fault else None)
    command = ["ansible-playbook", "-i", str(bench.INVENTORY), str(bench.REPO / op.playbook), *extra]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=bench.REPO,
        start_new_session=True,
    )  # fmt: skip


def run_operation(
    op: Operation, context: dict[str, str], fault: Fault | None, task: int, delay: float
) -> tuple[int, str, str]:
    """The operation, with ``fault`` injected when its output starts task number ``task`` (a
    playbook) or after ``delay`` seconds (a command); its exit code, output and when the fault came."""
    process = start(op, context, fault)
    lines: list[str] = []
    started = threading.Event()
    moment = ["after its end" if fault is None or fault.timed else "all along"]

    fired: list[float] = []
    settle = fault.settle if fault is not None else 1800

    def fire(label: str) -> None:
        if fault is not None and fault.timed and not started.is_set():
            started.set()
            moment[0] = label
            fault.inject(process)
            fired.append(time.monotonic())

    def read() -> None:
        assert process.stdout is not None
        tasks = 0
        for line in process.stdout:
            lines.append(line)
            if op.playbook and line.startswith("TASK ["):
                tasks += 1
                if tasks == task:
                    fire(f"at task {task}: {line.strip()[:80]}")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if op.command:
        time.sleep(delay)
        fire(f"after {delay:.1f} s")
    deadline = time.monotonic() + 1800
    while process.poll() is None:
        if time.monotonic() > deadline or (fired and time.monotonic() > fired[0] + settle):
            bench.log(f"chaos: {op.name} still runs: killed")
            if op.playbook:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        time.sleep(1)
    rc = process.wait()
    reader.join(timeout=30)
    fire("after its end")  # a fault whose moment never came still happens: right after the end
    return rc, "".join(lines), moment[0]


def run_pair(op: Operation, fault: Fault, rng: random.Random, number: int) -> Outcome:
    name = f"{op.name}/{fault.name}"
    tags = [ledger_row(f"chaos-{number}-{rng.randrange(10**9)}")]
    context: dict[str, str] = {"version": f"chaos-{number}"}
    if op.before:
        bench.vps(op.before)
    if op.name == "restore-time":
        time.sleep(1.2)
        context["target"] = bench.sql(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"
        )
    task, delay = rng.randint(1, task_count(op)), rng.uniform(0, 5)
    fault.prepare(op)
    try:
        rc, output, moment = run_operation(op, context, fault, task, delay)
        fault_end = time.monotonic()
        outputs = [output]
        if refused(rc, output) and green_by(fault_end + GREEN_WITHIN):
            result, to_green = "refused", time.monotonic() - fault_end
        elif rc == 0 and green_by(fault_end + GREEN_WITHIN):
            result, to_green = "alone", time.monotonic() - fault_end
        else:
            again, output_again, _ = run_operation(op, context, None, 0, 0)
            outputs.append(output_again)
            if again == 0 and green_by(time.monotonic() + GREEN_WITHIN):
                result = "re-run"
            elif refused(again, output_again) and green_by(time.monotonic() + GREEN_WITHIN):
                result = "refused"
            else:
                result = "unrecovered"
            to_green = time.monotonic() - fault_end
    finally:
        fault.undo()
    printed = [secret for secret in secrets() if any(secret in text for text in outputs)]
    if result == "refused":
        detail = refusal(outputs[-1])
    else:
        detail = " / ".join(line.strip() for line in outputs[-1].splitlines()[-6:])[-600:]
    return Outcome(name, moment, result, to_green, rows_missing(tags), printed, detail)


def run_pairs(chosen: list[tuple[Operation, Fault]], seed: int) -> list[Outcome]:
    rng = random.Random(seed)
    outcomes = []
    for number, (op, fault) in enumerate(chosen, 1):
        bench.log(f"chaos {number}/{len(chosen)}: {op.name} under {fault.name} (seed {seed})")
        outcome = run_pair(op, fault, rng, number)
        bench.log(
            f"chaos {op.name}/{fault.name}: fault {outcome.moment}; {outcome.result}, green after "
            f"{outcome.to_green:.0f} s, rows lost {outcome.rows_lost}"
            + (f", SECRETS PRINTED {len(outcome.secrets_printed)}" if outcome.secrets_printed else "")
        )
        outcomes.append(outcome)
    return outcomes


def rows(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """The bench's table: how the pairs ended, how long to green, rows lost."""
    count = {kind: sum(o.result == kind for o in outcomes) for kind in ("alone", "re-run", "refused", "unrecovered")}
    greens = [o.to_green for o in outcomes if o.result in ("alone", "re-run")] or [0.0]
    failed = ", ".join(o.pair for o in outcomes if not o.ok) or "none"
    return [
        bench.row("chaos", "faults tried (operation x fault pairs)", [len(outcomes)], "pairs"),
        bench.row("chaos", "green again by itself within 60 s", [count["alone"]], "pairs"),
        bench.row("chaos", "green after re-running the operation", [count["re-run"]], "pairs"),
        bench.row("chaos", "refused, naming the cause", [count["refused"]], "pairs"),
        bench.row("chaos", "unrecovered", [count["unrecovered"]], "pairs", f"failed pairs: {failed}"),
        bench.row("chaos", "fault's end to a green health check", greens, "s", "recovered pairs"),
        bench.row("chaos", "committed rows lost", [sum(o.rows_lost for o in outcomes)], "rows", "0 = none"),
        bench.row("chaos", "secrets printed", [sum(len(o.secrets_printed) for o in outcomes)], "secrets"),
    ]


def main(argv: list[str]) -> int:
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else random.SystemRandom().randrange(10**6)
    print(f"chaos: seed {seed} (replay with --seed {seed})", flush=True)
    if "--pair" in argv:
        chosen = [find_pair(argv[argv.index("--pair") + 1])]
    elif "--sample" in argv:
        chosen = random.Random(seed).sample(pairs(), int(argv[argv.index("--sample") + 1]))
    else:
        chosen = pairs()
    bench.converged_sandbox()
    with_offsite()
    outcomes = run_pairs(chosen, seed)
    for outcome in outcomes:
        print(
            f"{'PASS' if outcome.ok else 'FAIL'} {outcome.pair}: fault {outcome.moment}; {outcome.result}, "
            f"green after {outcome.to_green:.0f} s, rows lost {outcome.rows_lost}, "
            f"secrets printed {len(outcome.secrets_printed)}"
            + (
                f"\n  {'refusal' if outcome.result == 'refused' else 'last lines'}: {outcome.detail}"
                if outcome.result == "refused" or not outcome.ok
                else ""
            )
        )
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

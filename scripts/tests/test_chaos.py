"""How the fault-injection matrix (bench/chaos.py) judges a run: a refusal names its cause in what
the run said (not in the source lines ansible-playbook quotes) and changes nothing."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]

# A failed task as ansible-core 2.19 prints it: the message, then the task's source lines.
REFUSED = """\
TASK [Stop on a backup that does not] ******************************************
[ERROR]: Task failed: Action failed: pdezzy-restore: /var/backups/pdezzy/db-1-cut.dump cannot be
read whole (truncated or corrupt); nothing changed
Origin: /work/main/playbooks/restore.yml:71:7

69     # Before the safety backup: a backup that cannot be read whole
70     # backup that would not fit beside the volume stops the run
71     - name: Stop on a backup that does not
         ^ column 7

fatal: [pdezzy-sandbox]: FAILED! => changed=false

PLAY RECAP *********************************************************************
pdezzy-sandbox             : ok=31   changed=0    unreachable=0    failed=1    skipped=4
"""


@pytest.fixture
def chaos(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("PDEZZY_VPS_SUITE", os.environ.get("PDEZZY_VPS_SUITE", "trixie"))
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    for name in ("common", "chaos"):
        sys.modules.pop(name, None)
    return importlib.import_module("chaos")


def test_a_refusal_that_names_its_cause_and_changes_nothing(chaos: ModuleType) -> None:
    assert chaos.refused(2, REFUSED)
    assert "cannot be read whole (truncated or corrupt); nothing changed" in chaos.refusal(REFUSED)


def test_a_comment_in_the_quoted_source_is_not_a_refusal(chaos: ModuleType) -> None:
    output = REFUSED.replace("; nothing changed", "").replace("stops the run", "is refused here: nothing was changed")
    assert "nothing was changed" in output
    assert chaos.refusal(output) == ""
    assert not chaos.refused(2, output)


def test_a_run_that_changed_something_did_not_refuse(chaos: ModuleType) -> None:
    assert not chaos.refused(2, REFUSED.replace("changed=0 ", "changed=1 "))


def test_a_run_that_succeeded_did_not_refuse(chaos: ModuleType) -> None:
    assert not chaos.refused(0, REFUSED)


def test_a_command_without_a_recap_refuses_by_its_words(chaos: ModuleType) -> None:
    said = "pdezzy-backup: 1 MiB free in /var/backups/pdezzy, the dump needs 5; nothing was written\n"
    assert chaos.refused(1, said)
    assert not chaos.refused(1, "pdezzy-backup: pg_dump failed\n")


def test_an_excerpt_without_its_marker_ends_at_the_next_task(chaos: ModuleType) -> None:
    output = "Origin: /work/main/site.yml\n\n3 # nothing was changed\nTASK [next] ***\nx is refused by y\n"
    assert chaos.without_excerpts(output).splitlines() == ["TASK [next] ***", "x is refused by y"]


def test_the_wrong_password_fault_reaches_the_run_as_an_extra_var(chaos: ModuleType) -> None:
    fault = next(f for f in chaos.FAULTS if f.name == "wrong-password")
    site = next(op for op in chaos.OPERATIONS if op.name == "site")
    renewal = next(op for op in chaos.OPERATIONS if op.name == "renewal")
    args = site.args({}, fault.extra)
    assert args[-2:] == ["-e", '{"backup_offsite_password": "' + chaos.WRONG_PASSWORD + '"}']
    assert fault.applies(site)
    assert not fault.applies(renewal)
    assert chaos.WRONG_PASSWORD in chaos.secrets()

"""The project's strategy (plugins/strategy/mitogen_linear.py): Mitogen's, with the collection
list read once per process.

Each check runs in an interpreter of its own: loading a strategy needs Ansible's collection
loader, which installs itself for the whole process (and the collection's unit tests, in the
same pytest run, install theirs).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]

LOAD = f"""
import importlib.util, json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([{str(PROJECT / "collections")!r}])
spec = importlib.util.spec_from_file_location(
    "pdezzy_strategy", {str(PROJECT / "plugins" / "strategy" / "mitogen_linear.py")!r})
strategy = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = strategy
spec.loader.exec_module(strategy)
import ansible.collections.list
"""


def check(body: str) -> Any:
    """Run ``body`` after the strategy is loaded; what it prints as JSON."""
    script = LOAD + textwrap.dedent(body)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_collection_list_is_ansibles_own() -> None:
    ours, ansibles = check("""
        expected = [path.decode("utf-8") for path in ansible.collections.list.list_collection_dirs()]
        print(json.dumps([strategy.collection_dirs(), expected]))
    """)
    assert ours == ansibles
    # The project's own collection and one the roles use from the ansible package are in it.
    assert any(path.endswith("ansible_collections/pdezzy/infra") for path in ours)
    assert any(path.endswith("ansible_collections/community/docker") for path in ours)


def test_the_list_is_read_once() -> None:
    same = check("""
        first = strategy.collection_dirs()
        def again():
            raise AssertionError("read again")
        ansible.collections.list.list_collection_dirs = again
        print(json.dumps(strategy.collection_dirs() is first))
    """)
    assert same is True


def test_a_module_call_gets_every_collection_on_its_path() -> None:
    paths, dirs = check("""
        from types import SimpleNamespace
        invocation = SimpleNamespace(_extra_sys_paths={"/already/there"})
        strategy._load_collections(invocation)
        print(json.dumps([sorted(invocation._extra_sys_paths), strategy.collection_dirs()]))
    """)
    assert paths == sorted({"/already/there", *dirs})
    assert len(dirs) > 1


def test_the_strategy_is_mitogens_linear() -> None:
    assert check("""
        from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule
        print(json.dumps(issubclass(strategy.StrategyModule, StrategyModule)))
    """)

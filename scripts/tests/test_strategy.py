"""The project's strategy (plugins/strategy/mitogen_linear.py): Mitogen's, with the collection
list read once per process."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from ansible.plugins.loader import init_plugin_loader

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def strategy() -> ModuleType:
    init_plugin_loader([str(PROJECT / "collections")])
    spec = importlib.util.spec_from_file_location(
        "pdezzy_strategy", PROJECT / "plugins" / "strategy" / "mitogen_linear.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_collection_list_is_ansibles_own(strategy: ModuleType) -> None:
    import ansible.collections.list

    expected = [path.decode("utf-8") for path in ansible.collections.list.list_collection_dirs()]
    assert strategy.collection_dirs() == expected
    # The project's own collection and one the roles use from the ansible package are in it.
    assert any(path.endswith("ansible_collections/pdezzy/infra") for path in expected)
    assert any(path.endswith("ansible_collections/community/docker") for path in expected)


def test_the_list_is_read_once(strategy: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    import ansible.collections.list

    first = strategy.collection_dirs()
    monkeypatch.setattr(ansible.collections.list, "list_collection_dirs", lambda: pytest.fail("read again"))
    assert strategy.collection_dirs() is first


def test_a_module_call_gets_every_collection_on_its_path(strategy: ModuleType) -> None:
    invocation = SimpleNamespace(_extra_sys_paths={"/already/there"})
    strategy._load_collections(invocation)
    assert invocation._extra_sys_paths == {"/already/there", *strategy.collection_dirs()}


def test_the_strategy_is_mitogens_linear(strategy: ModuleType) -> None:
    from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule

    assert issubclass(strategy.StrategyModule, StrategyModule)

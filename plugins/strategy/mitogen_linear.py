"""Mitogen's linear strategy (the ``mitogen`` package pinned in requirements.txt), by name.

ansible.cfg selects it (``strategy = mitogen_linear``): plays run task by task as with
``linear``, over one persistent Python interpreter per host instead of a new one for every
module call. ``ANSIBLE_STRATEGY=linear`` runs a play without it.

Two costs of the controller are paid once per play here instead of once per task (Ansible runs
every task in a worker process forked from ansible-playbook, so what a worker learns dies with
it):

- Mitogen's planner lists every installed collection for each call of a collection's module
  (``ansible_mitogen.planner._load_collections``); the ``ansible`` package installs about a
  hundred, whose metadata is read each time. The list is read once, before the first fork.
- The objects ansible-playbook holds when the play starts (the playbook, inventory and
  variables) are moved out of the garbage collector's reach (``gc.freeze``): a worker's
  collections then never touch them, and the pages they live on stay shared with the parent.

Together they took about a quarter of the controller's CPU time off a no-op site.yml run over
SSH (28 CPU-s to 21, alternating runs with and without them; README, Controllers and strategies).
"""

from __future__ import annotations

import gc
from typing import Any

import ansible.collections.list
import ansible_mitogen.planner
from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule as _MitogenLinear

__all__ = ["StrategyModule", "collection_dirs"]

_COLLECTION_DIRS: list[str] | None = None


def collection_dirs() -> list[str]:
    """The installed collections' directories, read once per process."""
    global _COLLECTION_DIRS
    if _COLLECTION_DIRS is None:
        _COLLECTION_DIRS = [path.decode("utf-8") for path in ansible.collections.list.list_collection_dirs()]
    return _COLLECTION_DIRS


def _load_collections(invocation: Any) -> None:
    """Mitogen's ``_load_collections``, from the list read once."""
    invocation._extra_sys_paths.update(collection_dirs())


class StrategyModule(_MitogenLinear):
    """Mitogen's linear strategy, with the per-task costs above paid once per play."""

    def run(self, iterator: Any, play_context: Any) -> Any:
        collection_dirs()
        ansible_mitogen.planner._load_collections = _load_collections
        gc.freeze()
        return super().run(iterator, play_context)

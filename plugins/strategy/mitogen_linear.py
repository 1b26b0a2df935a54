"""Mitogen's linear strategy (the ``mitogen`` package pinned in requirements.txt), by name.

ansible.cfg selects it (``strategy = mitogen_linear``): plays run task by task as with
``linear``, over one persistent Python interpreter per host instead of a new one for every
module call. ``ANSIBLE_STRATEGY=linear`` runs a play without it.
"""

from __future__ import annotations

from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule

__all__ = ["StrategyModule"]

"""Filter: the last lines of a program's output, fit to be read in a failure message."""

from __future__ import annotations

import re
from typing import Any

DOCUMENTATION = r"""
name: last_lines
short_description: The last lines of a program's output, one per line, fit for a failure message
version_added: 0.4.0
description:
  - Returns the last O(count) non-empty lines of the input, joined with line breaks, so a failure
    message shows a traceback as the lines it is.
  - Terminal colour and cursor sequences, carriage returns and other control characters are
    removed, tabs expanded, and white space at the end of each line dropped; the result's
    callback then prints it as a YAML block, line by line.
  - Several outputs (stderr and stdout, say) can be given as a list; they are read in order.
options:
  _input:
    description: The output, or a list of outputs.
    type: raw
    required: true
  count:
    description: How many lines to keep, from the end.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Fail with the release step's last lines
  ansible.builtin.fail:
    msg: |-
      The release step failed. Its last lines:
      {{ __release.container.Output | pdezzy.infra.last_lines(30) }}
"""

RETURN = r"""
_value:
  description: The lines, joined with line breaks; empty when the input has none.
  type: str
"""

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def last_lines(output: Any, count: int = 30) -> str:
    """The last ``count`` non-empty lines of ``output`` (a string or a list of strings)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"last_lines: count must be a positive integer, not {count!r}")
    if output is None:
        return ""
    parts = [output] if isinstance(output, str) else output
    if not isinstance(parts, (list, tuple)) or not all(isinstance(part, str) or part is None for part in parts):
        raise TypeError(f"last_lines expects a string or a list of strings, got {type(output).__name__}")
    lines = []
    for part in parts:
        for line in (part or "").replace("\r\n", "\n").split("\n"):
            # A carriage return redraws the line: what a terminal shows is what follows the last one.
            shown = _CONTROLS.sub("", _ESCAPES.sub("", line.rsplit("\r", 1)[-1])).expandtabs().rstrip()
            if shown:
                lines.append(shown)
    return "\n".join(lines[-count:])


class FilterModule:
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {"last_lines": last_lines}

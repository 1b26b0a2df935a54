"""Filter: one readable pass/fail table from findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: findings_table
short_description: Render findings as one aligned PASS/FAIL table with a summary line
version_added: 0.1.0
description:
  - Takes findings C({name, check, ok, detail}) (from M(pdezzy.infra.probe) results, the
    C(container_findings) filter or hand-made) and returns the lines of a table, failures
    first, then a summary such as C(12 of 13 checks passed, 1 FAILED).
options:
  _input:
    description: Findings.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the health table
  ansible.builtin.debug:
    msg: "{{ findings | pdezzy.infra.findings_table }}"
"""

RETURN = r"""
_value:
  description: Table lines; the last one is the summary.
  type: list
  elements: str
"""


def findings_table(findings: Any) -> list[str]:
    if not isinstance(findings, list):
        raise TypeError(f"findings_table expects a list, got {type(findings).__name__}")
    rows = []
    for finding in findings:
        if not isinstance(finding, Mapping) or "ok" not in finding:
            raise TypeError("findings_table: every finding needs at least 'ok'")
        rows.append(
            (
                "PASS" if finding["ok"] else "FAIL",
                str(finding.get("name", "")),
                str(finding.get("check", "")),
                " ".join(str(finding.get("detail", "")).split()),
            )
        )
    rows.sort(key=lambda row: row[0] == "PASS")
    header = ("RESULT", "NAME", "CHECK", "DETAIL")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]
    failed = sum(1 for row in rows if row[0] == "FAIL")
    lines.append(f"{len(rows) - failed} of {len(rows)} checks passed" + (f", {failed} FAILED" if failed else ""))
    return lines


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"findings_table": findings_table}

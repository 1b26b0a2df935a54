"""Filter: the table of the operations playbooks' findings (preflight, health check).

A finding is a mapping ``{name, check, ok, detail}``; ``findings_table`` renders a list of them.
Its documentation is in ``findings_table.yml`` beside this one; the findings come from the
filters of ``health_findings.py``, ``preflight_findings.py`` and ``backup_findings.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# --- findings_table ----------------------------------------------------------------------------


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
    """Ansible filter plugin entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "findings_table": findings_table,
        }

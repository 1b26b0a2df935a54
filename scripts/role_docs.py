#!/usr/bin/env python3
"""Role variable docs from one source: meta/argument_specs.yml.

For every role under roles/:
- checks that defaults/main.yml and the argument specs agree: every default is specified, every
  optional specified variable has a default, and a literal default equals the spec's `default`
  (a templated default, derived from other variables, must leave the spec's `default` out);
- writes the README's variable table (between the VARIABLES markers) from the specs, or with
  --check fails when the README's table is not the generated one.

Usage: scripts/role_docs.py [--check] [ROLE_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

BEGIN = "<!-- BEGIN VARIABLES: generated from meta/argument_specs.yml by scripts/role_docs.py -->"
END = "<!-- END VARIABLES -->"
MAX_DEFAULT = 48


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def spec_options(role: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each specified variable with its entry point, in spec order."""
    specs = load_yaml(role / "meta" / "argument_specs.yml")["argument_specs"]
    options: dict[str, tuple[str, dict[str, Any]]] = {}
    for entry, spec in specs.items():
        for name, option in (spec.get("options") or {}).items():
            options.setdefault(name, (entry, option))
    return options


def disagreements(role: Path) -> list[str]:
    """How defaults/main.yml and the argument specs disagree, one line each."""
    defaults = load_yaml(role / "defaults" / "main.yml") or {}
    options = spec_options(role)
    problems = [f"{name}: in defaults/main.yml, not in the argument specs" for name in defaults if name not in options]
    for name, (_entry, option) in options.items():
        templated = isinstance(defaults.get(name), str) and "{{" in defaults[name]
        if name not in defaults:
            if not option.get("required"):
                problems.append(f"{name}: optional in the argument specs, no default in defaults/main.yml")
        elif option.get("required"):
            problems.append(f"{name}: required in the argument specs, yet defaults/main.yml sets it")
        elif "default" in option and templated:
            problems.append(f"{name}: derived in defaults/main.yml, so the spec must not give a default")
        elif "default" in option and option["default"] != defaults[name]:
            problems.append(
                f"{name}: default {json.dumps(defaults[name])} in defaults/main.yml, "
                f"{json.dumps(option['default'])} in the argument specs"
            )
    return [f"{role.name}: {problem}" for problem in problems]


def shown_default(name: str, option: dict[str, Any], defaults: dict[str, Any]) -> str:
    """The default as the table shows it: literal and short, or a pointer to defaults/main.yml."""
    if option.get("required"):
        return "required"
    value = defaults.get(name)
    text = value if isinstance(value, str) and "{{" in value else json.dumps(value, ensure_ascii=False)
    if len(text) > MAX_DEFAULT:
        kind = f"{len(value)} items" if isinstance(value, (list, dict)) else "long value"
        return f"({kind}: defaults/main.yml)"
    return "`" + text.replace("|", "\\|") + "`"


def describe(option: dict[str, Any]) -> str:
    description = option.get("description", "")
    if isinstance(description, list):
        description = " ".join(description)
    text = " ".join(str(description).split())
    # Ansible's documentation markup as Markdown: C(), V(), O(), RV() as code, I() as emphasis.
    text = re.sub(r"\b(?:C|V|O|RV)\(([^()]*)\)", r"`\1`", text)
    text = re.sub(r"\bI\(([^()]*)\)", r"*\1*", text)
    if option.get("choices"):
        text += " One of " + ", ".join(f"`{choice}`" for choice in option["choices"]) + "."
    return text.replace("|", "\\|")


def table(role: Path) -> str:
    defaults = load_yaml(role / "defaults" / "main.yml") or {}
    options = spec_options(role)
    entries = sorted({entry for entry, _option in options.values()})
    lines = [BEGIN]
    for entry in entries:
        if len(entries) > 1:
            lines += ["", f"Entry point `{entry}`" + (" (and the ones below)" if entry == "main" else "") + ":", ""]
        lines += ["| variable | type | default | description |", "|---|---|---|---|"]
        for name, (option_entry, option) in options.items():
            if option_entry != entry:
                continue
            kind = option.get("type", "str")
            if option.get("elements"):
                kind += f" of {option['elements']}"
            lines.append(f"| `{name}` | {kind} | {shown_default(name, option, defaults)} | {describe(option)} |")
    lines.append(END)
    return "\n".join(lines)


def render_readme(readme: Path, generated: str) -> str:
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme}: no variable table markers ({BEGIN} … {END})")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return head + generated + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail instead of writing")
    parser.add_argument("roles", nargs="*", type=Path)
    args = parser.parse_args(argv)
    roles = args.roles or sorted(p for p in (Path(__file__).resolve().parent.parent / "roles").iterdir() if p.is_dir())
    failures: list[str] = []
    for role in roles:
        failures += disagreements(role)
        readme = role / "README.md"
        wanted = render_readme(readme, table(role))
        if wanted != readme.read_text(encoding="utf-8"):
            if args.check:
                failures.append(f"{role.name}: README.md's variable table is not the generated one (run {sys.argv[0]})")
            else:
                readme.write_text(wanted, encoding="utf-8")
                print(f"{readme}: variable table written")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

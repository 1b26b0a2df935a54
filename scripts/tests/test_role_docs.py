from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import role_docs


def make_role(tmp_path: Path, defaults: dict, options: dict, readme_table: str = "") -> Path:
    role = tmp_path / "demo"
    (role / "defaults").mkdir(parents=True)
    (role / "meta").mkdir()
    (role / "defaults" / "main.yml").write_text(yaml.safe_dump(defaults))
    spec = {"argument_specs": {"main": {"short_description": "demo", "options": options}}}
    (role / "meta" / "argument_specs.yml").write_text(yaml.safe_dump(spec))
    table = f"{role_docs.BEGIN}\n{readme_table}{role_docs.END}"
    (role / "README.md").write_text(f"# demo\n\n## Variables\n{table}\n\n## Tests\n")
    return role


def test_agreeing_role_has_no_disagreements(tmp_path: Path) -> None:
    role = make_role(
        tmp_path,
        {"demo_port": 80, "demo_user": "{{ other_user | default('x') }}"},
        {"demo_port": {"type": "int", "default": 80, "description": "Port."}, "demo_user": {"type": "str"}},
    )
    assert role_docs.disagreements(role) == []


@pytest.mark.parametrize(
    ("defaults", "options", "wanted"),
    [
        ({"demo_a": 1}, {}, "demo_a: in defaults/main.yml, not in the argument specs"),
        ({}, {"demo_a": {"type": "int"}}, "demo_a: optional in the argument specs, no default"),
        ({"demo_a": 1}, {"demo_a": {"type": "int", "required": True}}, "demo_a: required in the argument specs, yet"),
        ({"demo_a": 1}, {"demo_a": {"type": "int", "default": 2}}, "demo_a: default 1 in defaults/main.yml, 2 in"),
        ({"demo_a": "{{ x }}"}, {"demo_a": {"type": "str", "default": "y"}}, "demo_a: derived in defaults/main.yml"),
    ],
)
def test_each_disagreement_is_reported(tmp_path: Path, defaults: dict, options: dict, wanted: str) -> None:
    problems = role_docs.disagreements(make_role(tmp_path, defaults, options))
    assert len(problems) == 1
    assert problems[0].startswith("demo: " + wanted)


def test_required_without_default_is_fine(tmp_path: Path) -> None:
    role = make_role(tmp_path, {}, {"demo_key": {"type": "str", "required": True}})
    assert role_docs.disagreements(role) == []
    assert "| `demo_key` | str | required |" in role_docs.table(role)


def test_table_shows_markup_choices_long_values_and_escapes_pipes(tmp_path: Path) -> None:
    role = make_role(
        tmp_path,
        {"demo_mode": "a", "demo_list": ["x" * 30, "y" * 30], "demo_expr": "{{ a | b }}"},
        {
            "demo_mode": {"type": "str", "choices": ["a", "b"], "description": "Uses C(/etc/demo) and I(care)."},
            "demo_list": {"type": "list", "elements": "str", "description": ["Two", "lines."]},
            "demo_expr": {"type": "str", "description": "A | pipe."},
        },
    )
    table = role_docs.table(role)
    assert '| `demo_mode` | str | `"a"` | Uses `/etc/demo` and *care*. One of `a`, `b`. |' in table
    assert "| `demo_list` | list of str | (2 items: defaults/main.yml) | Two lines. |" in table
    assert "| `demo_expr` | str | `{{ a \\| b }}` | A \\| pipe. |" in table


def test_check_fails_on_a_stale_table_and_writing_fixes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    role = make_role(tmp_path, {"demo_port": 80}, {"demo_port": {"type": "int", "default": 80}}, "| old |\n")
    assert role_docs.main(["--check", str(role)]) == 1
    assert "not the generated one" in capsys.readouterr().err
    assert role_docs.main([str(role)]) == 0
    assert role_docs.main(["--check", str(role)]) == 0
    text = (role / "README.md").read_text()
    assert text.startswith("# demo\n\n## Variables\n")
    assert text.endswith("\n\n## Tests\n")


def test_readme_without_markers_is_refused(tmp_path: Path) -> None:
    role = make_role(tmp_path, {}, {})
    (role / "README.md").write_text("# demo\n")
    with pytest.raises(SystemExit, match="no variable table markers"):
        role_docs.main(["--check", str(role)])


def test_the_repository_roles_agree() -> None:
    assert role_docs.main(["--check"]) == 0

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.pdezzy.infra.plugins.filter.option_types import (
    FilterModule,
    mistyped_options,
    scalar_option_types,
)

ROLES = Path(__file__).resolve().parents[8] / "roles"


def test_the_roles_own_specs_give_their_scalar_options() -> None:
    specs = [yaml.safe_load(path.read_text()) for path in sorted(ROLES.glob("*/meta/argument_specs.yml"))]
    assert len(specs) >= 8
    types = scalar_option_types(specs)
    assert types["app_replicas"] == "int"
    assert types["app_build_pull"] == "bool"
    assert "app_version" not in types  # a string option
    assert set(types.values()) <= {"int", "float", "bool"}
    assert list(types) == sorted(types)


def test_every_entry_point_counts_and_nested_or_typeless_options_do_not() -> None:
    spec = {
        "argument_specs": {
            "main": {
                "options": {"a_count": {"type": "int"}, "a_map": {"type": "dict", "options": {"x": {"type": "int"}}}}
            },
            "other": {"options": {"a_ratio": {"type": "float"}, "a_flag": {"type": "bool"}, "a_raw": {}}},
            "empty": None,
        }
    }
    assert scalar_option_types([spec]) == {"a_count": "int", "a_flag": "bool", "a_ratio": "float"}


@pytest.mark.parametrize("bad", ["spec", {"argument_specs": {}}, [{"no": "specs"}]])
def test_input_that_is_not_a_list_of_specs_is_refused(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        scalar_option_types(bad)


def test_text_for_a_number_or_a_boolean_is_named_with_its_type() -> None:
    types = {"app_replicas": "int", "app_build_pull": "bool", "x_ratio": "float"}
    values = {"app_replicas": "1", "app_build_pull": "false", "x_ratio": "0.5"}
    assert mistyped_options(values, types) == [
        "app_replicas must be an integer, not the text '1'",
        "app_build_pull must be a boolean (true or false), not the text 'false'",
        "x_ratio must be a number, not the text '0.5'",
    ]


def test_typed_missing_and_null_values_pass() -> None:
    types = {"a": "int", "b": "bool", "c": "int", "d": "float"}
    assert mistyped_options({"a": 2, "b": False, "d": None}, types) == []
    # Python's bool is an int: a boolean for an integer option is the argument spec's business.
    assert mistyped_options({"a": True}, types) == []


def test_a_long_value_is_shortened_in_the_message() -> None:
    (message,) = mistyped_options({"a": "9" * 100}, {"a": "int"})
    assert message.endswith("'" + "9" * 40 + "...'")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        mistyped_options(["a"], {"a": "int"})
    with pytest.raises(TypeError):
        mistyped_options({"a": "1"}, "int")
    assert set(FilterModule().filters()) == {"scalar_option_types", "mistyped_options"}

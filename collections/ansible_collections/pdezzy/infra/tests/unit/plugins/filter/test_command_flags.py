from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.command_flags import FilterModule, command_flags


def test_postgres_settings_are_sorted_pairs() -> None:
    settings = {"shared_buffers": "4096MB", "max_connections": 100, "work_mem": "16MB"}
    assert command_flags(settings) == [
        "-c",
        "max_connections=100",
        "-c",
        "shared_buffers=4096MB",
        "-c",
        "work_mem=16MB",
    ]


def test_booleans_use_on_off_by_default_and_can_be_changed() -> None:
    assert command_flags({"fsync": True, "jit": False}) == ["-c", "fsync=on", "-c", "jit=off"]
    assert command_flags({"appendonly": True}, flag="", true_value="yes") == ["appendonly=yes"]


def test_empty_mapping_gives_no_arguments() -> None:
    assert command_flags({}) == []


def test_order_does_not_depend_on_insertion() -> None:
    assert command_flags({"b": 1, "a": 2}) == command_flags({"a": 2, "b": 1})


def test_values_with_spaces_stay_one_argument() -> None:
    assert command_flags({"log_line_prefix": "%m [%p] "}) == ["-c", "log_line_prefix=%m [%p] "]


@pytest.mark.parametrize("key", ["", "bad key", "a=b", "tab\tkey"])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="invalid setting name"):
        command_flags({key: 1})


@pytest.mark.parametrize("value", ["1\n-c fsync=off", "x\r"])
def test_newlines_in_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="newline"):
        command_flags({"work_mem": value})


@pytest.mark.parametrize("value", [None, [1], {"a": 1}])
def test_non_scalar_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="not a scalar"):
        command_flags({"work_mem": value})


@pytest.mark.parametrize("value", [["a=1"], "a=1", None])
def test_non_mapping_input_raises(value: object) -> None:
    with pytest.raises(TypeError, match="expects a mapping"):
        command_flags(value)


def test_filter_is_registered() -> None:
    assert FilterModule().filters()["command_flags"] is command_flags

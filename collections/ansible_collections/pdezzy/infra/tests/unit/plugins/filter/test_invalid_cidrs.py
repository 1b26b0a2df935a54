from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.validators import FilterModule, invalid_cidrs


def test_valid_entries_give_empty_list() -> None:
    entries = ["203.0.113.7", "203.0.113.0/24", "10.0.0.0/8", "2001:db8::/32", "::1", "0.0.0.0/0"]
    assert invalid_cidrs(entries) == []


def test_empty_list_is_valid() -> None:
    assert invalid_cidrs([]) == []


@pytest.mark.parametrize(
    "entry",
    ["203.0.113.300", "203.0.113.0/33", "example.com", "", " 10.0.0.1", "10.0.0.1/", "2001:db8::/129", "10.0.0"],
)
def test_malformed_entries_are_returned(entry: str) -> None:
    assert invalid_cidrs(["192.0.2.1", entry]) == [entry]


def test_host_bits_set_is_invalid_when_strict() -> None:
    assert invalid_cidrs(["203.0.113.7/24"]) == ["203.0.113.7/24"]
    assert invalid_cidrs(["203.0.113.7/24"], strict=False) == []


def test_non_string_entries_are_invalid_and_kept_as_given() -> None:
    assert invalid_cidrs([None, 42, "192.0.2.0/24", ["10.0.0.0/8"]]) == [None, 42, ["10.0.0.0/8"]]


def test_order_is_preserved() -> None:
    assert invalid_cidrs(["x", "192.0.2.1", "y"]) == ["x", "y"]


@pytest.mark.parametrize("value", ["10.0.0.0/8", None, {"a": 1}, 5])
def test_non_list_input_raises(value: object) -> None:
    with pytest.raises(TypeError, match="expects a list"):
        invalid_cidrs(value)


def test_filter_is_registered() -> None:
    assert FilterModule().filters()["invalid_cidrs"] is invalid_cidrs

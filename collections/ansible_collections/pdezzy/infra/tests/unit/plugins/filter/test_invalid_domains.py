from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.validators import FilterModule, invalid_domains


def test_valid_names_give_empty_list() -> None:
    names = [
        "pdezzy.test",
        "www.pineriverapp.com",
        "a.b.c.example.org",
        "xn--bcher-kva.example",
        "a-b.co",
        "A.EXAMPLE.COM",
    ]
    assert invalid_domains(names) == []


def test_empty_list_is_valid() -> None:
    assert invalid_domains([]) == []


@pytest.mark.parametrize(
    "name",
    [
        "localhost",  # one label
        "example.com.",  # trailing dot
        "*.example.com",  # wildcard
        "example.com:443",  # port
        "-a.example.com",  # leading hyphen
        "a-.example.com",  # trailing hyphen
        "a..example.com",  # empty label
        "exa mple.com",
        " example.com",
        "example.com\n",
        "example.c",  # one-letter top-level label
        "example.123",  # numeric top-level label
        "203.0.113.7",
        "",
        ("a" * 64) + ".com",  # label of 64
        ".".join(["a" * 63] * 4) + ".com",  # 256 characters
        "bücher.example",  # not converted to punycode
    ],
)
def test_malformed_names_are_returned(name: str) -> None:
    assert invalid_domains(["pdezzy.test", name]) == [name]


def test_longest_valid_name() -> None:
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57]) + ".com"
    assert len(name) == 253
    assert invalid_domains([name]) == []
    assert invalid_domains(["e" + name]) == ["e" + name]


def test_non_string_entries_are_invalid_and_kept_as_given() -> None:
    assert invalid_domains([None, 42, "pdezzy.test", ["pdezzy.test"]]) == [None, 42, ["pdezzy.test"]]


@pytest.mark.parametrize("value", ["pdezzy.test", None, {"a": 1}, 5])
def test_non_list_input_raises(value: object) -> None:
    with pytest.raises(TypeError, match="expects a list"):
        invalid_domains(value)


def test_filter_module_exposes_the_filter() -> None:
    assert FilterModule().filters()["invalid_domains"] is invalid_domains

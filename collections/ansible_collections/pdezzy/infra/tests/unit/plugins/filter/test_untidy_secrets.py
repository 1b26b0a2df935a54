from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.validators import FilterModule, untidy_secrets


def test_tidy_secrets_give_an_empty_list() -> None:
    secrets = {
        "a": "plain-secret-123",
        "b": "with /+@%:\"' inside and inner spaces",
        "c": "",
        "d": "ünïcødé-sécret",
    }
    assert untidy_secrets(secrets) == []


@pytest.mark.parametrize(
    "value",
    ["secret\n", "secret ", " secret", "\tsecret", "sec\nret", "secret\r", "line one\nline two", "\n", " "],
)
def test_white_space_at_an_end_or_a_line_break_is_untidy(value: str) -> None:
    assert untidy_secrets({"redis_password": value, "other": "fine-value"}) == ["redis_password"]


def test_names_come_back_in_input_order_and_values_never() -> None:
    result = untidy_secrets({"z": "x\n", "a": "ok", "m": " y"})
    assert result == ["z", "m"]
    assert all(value not in result for value in ("x\n", " y"))


def test_values_that_are_not_strings_are_left_to_the_argument_specs() -> None:
    assert untidy_secrets({"n": 12, "none": None, "list": [" a "]}) == []


@pytest.mark.parametrize("bad", [["secret"], "secret", None])
def test_refuses_anything_but_a_mapping(bad: object) -> None:
    with pytest.raises(TypeError, match="untidy_secrets expects a mapping"):
        untidy_secrets(bad)


def test_registered_under_its_name() -> None:
    assert FilterModule().filters()["untidy_secrets"] is untidy_secrets

from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.env_with import FilterModule, env_with

RELEASE_ENV = """# Ansible managed
# Environment of the pdezzy-app containers (production).
ALLOWED_HOSTS=pdezzy.test,www.pdezzy.test
DB_PASSWORD=old-db-password
DEBUG=False
REDIS_URL=redis://:old-redis@redis:6379/0
SECRET_KEY=old-secret=with=equals
"""


def test_the_given_variables_change_in_place_and_nothing_else() -> None:
    got = env_with(RELEASE_ENV, {"SECRET_KEY": "new-secret", "DB_PASSWORD": "new/+@%:\"'pw"})
    assert got.splitlines() == [
        "# Ansible managed",
        "# Environment of the pdezzy-app containers (production).",
        "ALLOWED_HOSTS=pdezzy.test,www.pdezzy.test",
        "DB_PASSWORD=new/+@%:\"'pw",
        "DEBUG=False",
        "REDIS_URL=redis://:old-redis@redis:6379/0",
        "SECRET_KEY=new-secret",
    ]
    assert got.endswith("\n")


def test_the_same_values_give_the_same_text() -> None:
    assert env_with(RELEASE_ENV, {"SECRET_KEY": "old-secret=with=equals"}) == RELEASE_ENV
    assert env_with(RELEASE_ENV, {}) == RELEASE_ENV


def test_a_variable_the_file_lacks_is_added_and_comments_are_never_edited() -> None:
    text = "#SECRET_KEY=commented\nA=1\n"
    assert env_with(text, {"SECRET_KEY": "s", "B": 2}) == "#SECRET_KEY=commented\nA=1\nSECRET_KEY=s\nB=2\n"
    assert env_with("", {"A": True}) == "A=True\n"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"BAD NAME": "x"}, "not a variable name"),
        ({"1X": "x"}, "not a variable name"),
        ({"A": "hidden-value\nlines"}, "line break"),
        ({"A": "hidden-value\r"}, "line break"),
        ({"A": None}, "not a scalar"),
        ({"A": ["x"]}, "not a scalar"),
    ],
)
def test_bad_values_are_refused_without_showing_them(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        env_with(RELEASE_ENV, values)
    assert "hidden-value" not in str(error.value)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        env_with(None, {})
    with pytest.raises(TypeError):
        env_with("A=1\n", [("A", "2")])
    assert FilterModule().filters() == {"env_with": env_with}

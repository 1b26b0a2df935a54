from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pdezzy.infra.plugins.filter.domains import FilterModule, normalize_domains
from ansible_collections.pdezzy.infra.plugins.filter.validators import invalid_domains


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("pdezzy.test", "pdezzy.test"),
        ("PDEZZY.Test", "pdezzy.test"),
        ("pdezzy.test.", "pdezzy.test"),
        (" www.pdezzy.test ", "www.pdezzy.test"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        # IDNA 2008 (UTS 46 non-transitional), as browsers: ß is kept, not mapped to "ss".
        ("straße.de", "xn--strae-oqa.de"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_names_come_out_in_one_form(given: str, normal: str) -> None:
    assert normalize_domains([given]) == [normal]
    assert invalid_domains([normal]) == []


def test_order_is_kept_and_a_name_given_twice_appears_once() -> None:
    names = ["Pdezzy.test", "www.pdezzy.test", "pdezzy.test.", "WWW.PDEZZY.TEST", "api.pdezzy.test"]
    assert normalize_domains(names) == ["pdezzy.test", "www.pdezzy.test", "api.pdezzy.test"]


def test_empty_list() -> None:
    assert normalize_domains([]) == []


@pytest.mark.parametrize("bad", ["exa mple.com", "a..example.com", "example.com..", "*.example.com", "☃..x"])
def test_what_cannot_be_a_name_stays_for_the_domain_check_to_refuse(bad: str) -> None:
    (normal,) = normalize_domains([bad])
    assert normal == bad.strip().lower()
    assert invalid_domains([normal]) == [normal]


def test_non_strings_are_returned_as_given() -> None:
    assert normalize_domains([42, None, "A.test"]) == [42, None, "a.test"]


@pytest.mark.parametrize("bad", ["pdezzy.test", b"pdezzy.test", {"name": "pdezzy.test"}, None])
def test_refuses_anything_but_a_list(bad: object) -> None:
    with pytest.raises(AnsibleFilterError, match="normalize_domains expects a list"):
        normalize_domains(bad)


def test_registered_under_its_name() -> None:
    assert FilterModule().filters()["normalize_domains"] is normalize_domains

from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.container_labels import FilterModule, container_labels

# As community.docker.docker_host_info lists them (containers: true): Labels may be null.
CONTAINERS = [
    {"Id": "a1", "Names": ["/app-1"], "Labels": {"pdezzy.app": "app", "pdezzy.release": "v2-1a2b"}},
    {"Id": "b2", "Names": ["/app-2"], "Labels": {"pdezzy.app": "app"}},
    {"Id": "c3", "Names": ["/app-3"], "Labels": None},
    {"Id": "d4", "Names": ["/app-4"]},
]


def test_each_container_gives_its_value_or_nothing_in_order() -> None:
    assert container_labels(CONTAINERS, "pdezzy.release") == ["v2-1a2b", "", "", ""]
    assert container_labels(CONTAINERS, "pdezzy.app") == ["app", "app", "", ""]


def test_no_containers_give_no_values() -> None:
    assert container_labels([], "pdezzy.release") == []


@pytest.mark.parametrize(
    ("containers", "name"),
    [(None, "x"), ("app-1", "x"), ({"Labels": {}}, "x"), (["app-1"], "x"), (CONTAINERS, ""), (CONTAINERS, None)],
)
def test_bad_input_is_refused(containers: object, name: object) -> None:
    with pytest.raises(TypeError):
        container_labels(containers, name)


def test_entry_point() -> None:
    assert FilterModule().filters() == {"container_labels": container_labels}

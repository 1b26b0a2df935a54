from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.ufw_allow_rules import FilterModule, ufw_allow_rules

P = "pdezzy: "


def test_allow_list_then_web_ports_then_extra_rules_in_order() -> None:
    rules = ufw_allow_rules(
        ["203.0.113.7/32", "2001:db8::/32"],
        ssh_port=2222,
        open_ports=[80, 443],
        extra_rules=[
            {"port": "9100", "proto": "tcp", "from_ip": "10.0.0.0/8", "comment": "node exporter"},
            {"port": "51820", "proto": "udp"},
        ],
        prefix=P,
    )
    assert rules == [
        {"from_ip": "203.0.113.7/32", "port": "2222", "proto": "tcp", "comment": "pdezzy: ssh allow-list"},
        {"from_ip": "2001:db8::/32", "port": "2222", "proto": "tcp", "comment": "pdezzy: ssh allow-list"},
        {"port": "80", "proto": "tcp", "comment": "pdezzy: web"},
        {"port": "443", "proto": "tcp", "comment": "pdezzy: web"},
        {"port": "9100", "proto": "tcp", "from_ip": "10.0.0.0/8", "comment": "pdezzy: node exporter"},
        {"port": "51820", "proto": "udp", "comment": "pdezzy: extra rule"},
    ]


def test_empty_lists_give_no_rules_and_the_input_is_not_changed() -> None:
    extra = [{"port": "25", "comment": "mail"}]
    assert ufw_allow_rules([], ssh_port=22, prefix=P) == []
    assert ufw_allow_rules([], ssh_port=22, extra_rules=extra, prefix=P)[0]["comment"] == "pdezzy: mail"
    assert extra == [{"port": "25", "comment": "mail"}]


def test_ports_given_as_text_are_the_same_rules() -> None:
    assert ufw_allow_rules(["192.0.2.1"], ssh_port="22", open_ports=["443"], prefix=P) == ufw_allow_rules(
        ["192.0.2.1"], ssh_port=22, open_ports=[443], prefix=P
    )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ("203.0.113.7/32", {"ssh_port": 22, "prefix": P}),
        ({"a": 1}, {"ssh_port": 22, "prefix": P}),
        (None, {"ssh_port": 22, "prefix": P}),
        ([], {"ssh_port": "22; reboot", "prefix": P}),
        ([], {"ssh_port": True, "prefix": P}),
        ([], {"ssh_port": 22, "open_ports": [None], "prefix": P}),
        ([], {"ssh_port": 22, "extra_rules": ["allow 25"], "prefix": P}),
        ([], {"ssh_port": 22, "prefix": ""}),
    ],
)
def test_bad_input_is_refused(args: object, kwargs: dict) -> None:
    with pytest.raises(TypeError):
        ufw_allow_rules(args, **kwargs)


def test_entry_point() -> None:
    assert FilterModule().filters() == {"ufw_allow_rules": ufw_allow_rules}

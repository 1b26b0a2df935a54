"""ufw_rules against a stand-in for ufw that answers with ufw 0.36's real messages."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from ansible_collections.pdezzy.infra.plugins.module_utils import ufw_rules as u

# What ufw 0.36 (Debian 12) prints, captured from a real host.
EXISTING_V4_V6 = "Skipping adding existing rule\nSkipping adding existing rule (v6)\n"
EXISTING_V4 = "Skipping adding existing rule\n"
DRY_RUN_NEW = "*filter\n:ufw-user-input - [0:0]\n### RULES ###\n\n### END RULES ###\nCOMMIT\nRules updated\n"


class FakeUfw:
    """Keeps the rules it was given; answers dry runs the way ufw does."""

    def __init__(self, existing: Sequence[tuple[str, ...]] = ()) -> None:
        self.rules: set[tuple[str, ...]] = set(existing)
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> tuple[int, str, str]:
        argv = list(argv)
        self.calls.append(argv)
        dry = "--dry-run" in argv
        args = tuple(a for a in argv[1:] if a != "--dry-run")
        if args in self.rules:
            return 0, EXISTING_V4 if "10.0.0.0/8" in args else EXISTING_V4_V6, ""
        if not dry:
            self.rules.add(args)
            return 0, "Rule added\nRule added (v6)\n", ""
        return 0, DRY_RUN_NEW, ""


SSH = u.Rule(port="22", from_ip="203.0.113.7/32", comment="ssh allow-list")
WEB = u.Rule(port="443", comment="web")


def test_ufw_args_use_the_extended_syntax() -> None:
    assert u.ufw_args(SSH) == [
        "allow",
        "proto",
        "tcp",
        "from",
        "203.0.113.7/32",
        "to",
        "any",
        "port",
        "22",
        "comment",
        "ssh allow-list",
    ]
    assert u.ufw_args(u.Rule(rule="deny", proto="any", from_ip="10.0.0.0/8")) == [
        "deny",
        "from",
        "10.0.0.0/8",
        "to",
        "any",
    ]


def test_missing_rules_are_added_once() -> None:
    ufw = FakeUfw()
    first = u.converge([SSH, WEB], check=False, run=ufw)
    assert first == {
        "changed": True,
        "added": ["allow 22/tcp from 203.0.113.7/32", "allow 443/tcp from any"],
        "removed": [],
    }
    assert len(ufw.calls) == 4
    second = u.converge([SSH, WEB], check=False, run=ufw)
    assert second == {"changed": False, "added": [], "removed": []}
    assert all("--dry-run" in call for call in ufw.calls[4:])


def test_only_the_missing_rule_is_added() -> None:
    ufw = FakeUfw(existing=[tuple(u.ufw_args(SSH))])
    result = u.converge([SSH, WEB], check=False, run=ufw)
    assert result["added"] == ["allow 443/tcp from any"]


def test_a_v4_only_rule_that_exists_is_recognised() -> None:
    rule = u.Rule(port="22", from_ip="10.0.0.0/8")
    assert u.converge([rule], check=False, run=FakeUfw(existing=[tuple(u.ufw_args(rule))]))["changed"] is False


def test_check_mode_adds_nothing() -> None:
    ufw = FakeUfw()
    assert u.converge([SSH], check=True, run=ufw)["added"] == ["allow 22/tcp from 203.0.113.7/32"]
    assert ufw.rules == set()


def test_ufw_refusing_a_rule_fails_with_its_message() -> None:
    def broken(argv: Sequence[str]) -> tuple[int, str, str]:
        return 1, "", "ERROR: Couldn't determine iptables version\n"

    with pytest.raises(u.UfwRulesError, match="22/tcp from any: ufw refused the rule: ERROR: Couldn't determine"):
        u.converge([u.Rule(port="22")], check=False, run=broken)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (u.Rule(rule="permit"), "rule must be one of"),
        (u.Rule(proto="icmp"), "proto must be one of"),
        (u.Rule(port="http"), "port must be"),
        (u.Rule(port="0"), "port must be"),
        (u.Rule(port="70000"), "port must be"),
        (u.Rule(port="6000:6010", proto="any"), "needs proto tcp or udp"),
        (u.Rule(port="22", from_ip="10.0.0.300"), "not an address"),
        (u.Rule(port="22", comment="it's"), "single quotes"),
    ],
)
def test_bad_rules_are_refused_before_ufw_runs(rule: u.Rule, message: str) -> None:
    ufw = FakeUfw()
    with pytest.raises(u.UfwRulesError, match=message):
        u.converge([SSH, rule], check=False, run=ufw)
    assert ufw.calls == []


def test_is_present_needs_every_line_to_say_so() -> None:
    assert u.is_present(EXISTING_V4_V6)
    assert not u.is_present("")
    assert not u.is_present("Skipping adding existing rule\nRules updated (v6)\n")
    assert not u.is_present(DRY_RUN_NEW)


# ufw 0.36's rule files after `ufw allow proto tcp from 203.0.113.7 to any port 22 comment
# 'pdezzy: ssh allow-list'`, the same for port 80 from any, and a rule of another tool.
USER_RULES = """*filter
### RULES ###

### tuple ### allow tcp 22 0.0.0.0/0 any 203.0.113.7 in comment=7064657a7a793a2073736820616c6c6f772d6c697374
-A ufw-user-input -p tcp --dport 22 -s 203.0.113.7 -j ACCEPT

### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in comment=7064657a7a793a20776562
-A ufw-user-input -p tcp --dport 80 -j ACCEPT

### tuple ### allow tcp 9000 0.0.0.0/0 any 10.0.0.0/8 in comment=6f7468657220746f6f6c
### tuple ### allow tcp 8080 0.0.0.0/0 any 10.0.0.0/8 in
### tuple ### allow any any 0.0.0.0/0 any 0.0.0.0/0 in_eth1 comment=7064657a7a793a20696e74657266616365
### END RULES ###
"""
USER6_RULES = """### tuple ### allow tcp 80 ::/0 any ::/0 in comment=7064657a7a793a20776562
"""
OWNED_SSH = u.Rule(port="22", from_ip="203.0.113.7/32", comment="pdezzy: ssh allow-list")
OWNED_WEB = u.Rule(port="80", comment="pdezzy: web")


def test_parse_tuple_reads_what_ufw_wrote() -> None:
    lines = [line for line in USER_RULES.splitlines() if line.startswith("### tuple")]
    assert u.parse_tuple(lines[0]) == u.Rule(port="22", from_ip="203.0.113.7", comment="pdezzy: ssh allow-list")
    assert u.parse_tuple(lines[1]) == u.Rule(port="80", comment="pdezzy: web")
    assert u.parse_tuple(lines[3]) == u.Rule(port="8080", from_ip="10.0.0.0/8")
    # An interface rule is not a form this module writes.
    assert u.parse_tuple(lines[4]) is None
    assert u.parse_tuple("-A ufw-user-input -p tcp --dport 22 -j ACCEPT") is None
    assert u.parse_tuple("### tuple ### allow tcp 22") is None
    assert u.parse_tuple("### tuple ### allow tcp 22 0.0.0.0/0 any 1.2.3.4 in comment=zz") is None


def test_nothing_is_stale_when_the_list_still_has_every_owned_rule() -> None:
    assert u.stale([OWNED_SSH, OWNED_WEB], [USER_RULES, USER6_RULES], "pdezzy: ") == []


def test_a_removed_address_is_stale_once_and_other_tools_rules_never() -> None:
    stale = u.stale([OWNED_SSH], [USER_RULES, USER6_RULES], "pdezzy: ")
    # Port 80's IPv4 and IPv6 copies are one rule; 9000 and 8080 are not ours.
    assert stale == [u.Rule(port="80", comment="pdezzy: web")]


def test_converge_deletes_the_stale_rule_without_its_comment_and_adds_the_new_one() -> None:
    ufw = FakeUfw(existing=[tuple(u.ufw_args(OWNED_SSH))])
    moved = u.Rule(port="22", from_ip="198.51.100.0/24", comment="pdezzy: ssh allow-list")
    result = u.converge([moved], check=False, run=ufw, purge_prefix="pdezzy: ", rule_files=[USER_RULES])
    assert result["removed"] == ["allow 22/tcp from 203.0.113.7", "allow 80/tcp from any"]
    assert result["added"] == ["allow 22/tcp from 198.51.100.0/24"]
    assert result["changed"] is True
    deletes = [call for call in ufw.calls if call[1] == "delete"]
    assert deletes == [
        ["ufw", "delete", "allow", "proto", "tcp", "from", "203.0.113.7", "to", "any", "port", "22"],
        ["ufw", "delete", "allow", "proto", "tcp", "from", "any", "to", "any", "port", "80"],
    ]
    # Deleting comes first: a rule that moves never exists twice.
    assert ufw.calls.index(deletes[-1]) < ufw.calls.index(["ufw", *u.ufw_args(moved)])


def test_check_mode_reports_the_stale_rules_and_deletes_nothing() -> None:
    ufw = FakeUfw()
    result = u.converge([OWNED_SSH, OWNED_WEB], check=True, run=ufw, purge_prefix="pdezzy: ", rule_files=[USER_RULES])
    assert result["removed"] == []
    result = u.converge([OWNED_SSH], check=True, run=ufw, purge_prefix="pdezzy: ", rule_files=[USER_RULES])
    assert result["removed"] == ["allow 80/tcp from any"]
    assert not [call for call in ufw.calls if "--dry-run" not in call]


def test_without_a_prefix_nothing_is_deleted() -> None:
    ufw = FakeUfw()
    result = u.converge([], check=False, run=ufw, rule_files=[USER_RULES])
    assert result == {"changed": False, "added": [], "removed": []}
    assert ufw.calls == []


def test_a_listed_rule_without_the_prefix_is_refused_before_anything_changes() -> None:
    ufw = FakeUfw()
    with pytest.raises(u.UfwRulesError, match="the comment must start with 'pdezzy: '"):
        u.converge([SSH], check=False, run=ufw, purge_prefix="pdezzy: ", rule_files=[USER_RULES])
    assert ufw.calls == []

from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.preflight_findings import (
    allow_list_finding,
    dns_findings,
    listener_findings,
    secret_findings,
)

# `ss -Htlnp` on a Debian VPS: our nginx published by docker-proxy (IPv4 and IPv6), sshd, the
# data tier on loopback, and a listener without process information (another namespace).
SS_OURS = """\
LISTEN 0      4096         0.0.0.0:443        0.0.0.0:*    users:(("docker-proxy",pid=2211,fd=7))
LISTEN 0      4096         0.0.0.0:80         0.0.0.0:*    users:(("docker-proxy",pid=2190,fd=7))
LISTEN 0      128          0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=501,fd=3))
LISTEN 0      4096       127.0.0.1:5433       0.0.0.0:*    users:(("docker-proxy",pid=1877,fd=7))
LISTEN 0      4096            [::]:443           [::]:*    users:(("docker-proxy",pid=2218,fd=7))
LISTEN 0      4096            [::]:80            [::]:*    users:(("docker-proxy",pid=2197,fd=7))
LISTEN 0      128          0.0.0.0:2024       0.0.0.0:*
"""
# The same host before the stack, with the distribution's nginx and Apache still installed.
SS_FOREIGN = """\
LISTEN 0      511          0.0.0.0:80         0.0.0.0:*    users:(("nginx",pid=812,fd=6),("nginx",pid=811,fd=6))
LISTEN 0      511                *:443              *:*    users:(("apache2",pid=930,fd=4))
LISTEN 0      128          0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=501,fd=3))
"""


def dns_finding(answers: object, name: str, expected: list) -> dict:
    (finding,) = dns_findings({name: answers}, expected)
    return finding


def test_dns_pointing_at_the_host_passes() -> None:
    finding = dns_finding(["203.0.113.7"], "pineriverapp.com", expected=["203.0.113.7"])
    assert finding == {"name": "pineriverapp.com", "check": "dns", "ok": True, "detail": "-> 203.0.113.7"}


def test_dns_findings_keep_the_domains_order() -> None:
    answers = {"pineriverapp.com": ["203.0.113.7"], "www.pineriverapp.com": ["NXDOMAIN"]}
    findings = dns_findings(answers, ["vps-1.example", "203.0.113.7"])  # a host name is ignored
    assert [(f["name"], f["ok"]) for f in findings] == [("pineriverapp.com", True), ("www.pineriverapp.com", False)]


def test_dns_with_a_stray_record_fails_and_names_it() -> None:
    finding = dns_finding(["203.0.113.7", "198.51.100.9"], "www.pineriverapp.com", expected=["203.0.113.7"])
    assert not finding["ok"]
    assert "198.51.100.9" in finding["detail"]
    assert "not at this host" in finding["detail"]


@pytest.mark.parametrize("answers", [["NXDOMAIN"], [""], [], "NXDOMAIN"])
def test_dns_without_a_record_fails(answers: object) -> None:
    finding = dns_finding(answers, "new.pineriverapp.com", expected=["203.0.113.7"])
    assert not finding["ok"]
    assert finding["detail"].startswith("no address record")


def test_dns_compares_ipv6_in_canonical_form() -> None:
    assert dns_finding(["2001:DB8:0:0::1"], "v6.example", expected=["2001:db8::1"])["ok"]


def test_dns_refuses_bad_expectations() -> None:
    with pytest.raises(ValueError, match="is an IP address"):
        dns_findings({"x.example": ["203.0.113.7"]}, expected=[])
    with pytest.raises(ValueError, match="is an IP address"):
        dns_findings({"x.example": ["203.0.113.7"]}, expected=["vps.example"])
    with pytest.raises(TypeError, match="must be a list"):
        dns_findings({"x.example": {"a": 1}}, expected=["203.0.113.7"])
    with pytest.raises(TypeError, match="mapping"):
        dns_findings(["x.example"], expected=["203.0.113.7"])


def test_secrets_filled_in_pass_and_values_never_show() -> None:
    findings = secret_findings(
        {"postgres_password": "s3cret-Value-12", "base_ssh_allowed_cidrs": ["203.0.113.7/32"], "app_otp": 6}
    )
    assert [f["ok"] for f in findings] == [True, True, True]
    assert all("s3cret" not in str(f) for f in findings)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "not set"),
        ("", "empty"),
        ("   ", "empty"),
        ([], "empty list"),
        (["203.0.113.7/32", ""], "empty"),
        ("REPLACE-ME", "placeholder (REPLACE)"),
        (["REPLACE-WITH-YOUR-ADDRESS/32"], "placeholder (REPLACE)"),
        ("https://git.example.com/replace/pdezzy.git", "placeholder (REPLACE)"),
        ("changeme-later", "placeholder (CHANGEME)"),
        ({"nested": "dict"}, "unexpected dict value"),
        (True, "unexpected bool value"),
    ],
)
def test_secret_problems_are_named(value: object, problem: str) -> None:
    (finding,) = secret_findings({"vault_thing": value})
    assert not finding["ok"]
    assert problem in finding["detail"]


def test_secret_placeholders_can_be_chosen_and_bad_input_is_refused() -> None:
    assert secret_findings({"k": "REPLACE-ME"}, placeholders=["TODO"])[0]["ok"]
    assert not secret_findings({"k": "todo: fill"}, placeholders=["TODO"])[0]["ok"]
    with pytest.raises(TypeError, match="mapping"):
        secret_findings(["postgres_password"])
    with pytest.raises(TypeError, match="placeholders"):
        secret_findings({"k": "v"}, placeholders="REPLACE")


def test_ports_published_by_docker_are_ours() -> None:
    findings = listener_findings(SS_OURS, [80, 443])
    assert [f["ok"] for f in findings] == [True, True]
    assert findings[0]["detail"] == "ours: docker-proxy (pid 2190), docker-proxy (pid 2197)"


def test_free_ports_pass() -> None:
    (finding,) = listener_findings(SS_FOREIGN, [8443])
    assert finding == {"name": "port 8443", "check": "listener", "ok": True, "detail": "free"}


def test_a_foreign_web_server_is_named() -> None:
    findings = {f["name"]: f for f in listener_findings(SS_FOREIGN, [80, 443, 22])}
    assert findings["port 80"]["detail"] == "held by nginx (pid 811), nginx (pid 812)"
    assert findings["port 443"]["detail"] == "held by apache2 (pid 930)"
    assert not findings["port 80"]["ok"]
    assert not findings["port 22"]["ok"]  # sshd is not in the allowed list
    assert listener_findings(SS_FOREIGN, [22], allowed=["sshd"])[0]["ok"]


def test_a_listener_without_process_information_is_not_ours() -> None:
    (finding,) = listener_findings(SS_OURS, [2024])
    assert not finding["ok"]
    assert finding["detail"] == "held by an unknown process"


@pytest.mark.parametrize("ports", [[], 80, "80", [0], [70000], ["http"], [True]])
def test_bad_ports_are_refused(ports: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        listener_findings(SS_OURS, ports)


def test_listener_output_must_be_text() -> None:
    with pytest.raises(TypeError, match="ss -Htlnp"):
        listener_findings(["LISTEN"], [80])


def test_operator_inside_the_allow_list() -> None:
    finding = allow_list_finding("203.0.113.7", ["198.51.100.0/24", "203.0.113.0/28"])
    assert finding["ok"]
    assert finding["detail"] == "203.0.113.7 is in 203.0.113.0/28"


def test_operator_outside_the_allow_list_is_warned_of_the_lockout() -> None:
    finding = allow_list_finding("192.0.2.50", ["203.0.113.7/32", "2001:db8::/32"])
    assert not finding["ok"]
    assert "lock this operator out" in finding["detail"]


@pytest.mark.parametrize(("address", "detail"), [("", "unknown"), (None, "unknown"), ("laptop", "not an IP")])
def test_operator_address_unknown_or_malformed(address: object, detail: str) -> None:
    assert detail in allow_list_finding(address, ["203.0.113.7/32"])["detail"]


def test_ipv6_operator_and_bad_allow_list() -> None:
    assert allow_list_finding("2001:db8::5", ["2001:db8::/32"])["ok"]
    assert not allow_list_finding("2001:db8::5", ["0.0.0.0/0"])["ok"]
    with pytest.raises(ValueError, match="not an address or network"):
        allow_list_finding("203.0.113.7", ["office"])
    with pytest.raises(TypeError):
        allow_list_finding("203.0.113.7", "203.0.113.7/32")

from __future__ import annotations

import base64

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.upstream_finding import FilterModule, upstream_finding

SITE = """map $http_upgrade $connection_upgrade {
    default upgrade;
}

upstream pdezzy_app {
    zone pdezzy_app 64k;
    resolver 127.0.0.11 valid=5s ipv6=off;
    server app-1:8006 max_fails=3 fail_timeout=10s resolve;
    server app-2:8006 down max_fails=3 fail_timeout=10s resolve;
    keepalive 32;
}

server {
    listen 443 ssl;
    server_name pdezzy.test;
}
"""


def slurped(text: str) -> dict:
    return {"content": base64.b64encode(text.encode()).decode(), "encoding": "base64"}


def test_the_replicas_exactly_pass_drained_ones_included() -> None:
    row = upstream_finding(slurped(SITE), ["app-1:8006", "app-2:8006"])
    assert row == {"name": "nginx", "check": "upstream", "ok": True, "detail": "app-1:8006, app-2:8006"}


def test_a_server_that_is_no_replica_and_a_missing_one_fail() -> None:
    row = upstream_finding(slurped(SITE), ["app-1:8006"])
    assert (row["ok"], row["detail"]) == (False, "names app-2:8006, not a replica")
    row = upstream_finding(slurped(SITE), ["app-1:8006", "app-2:8006", "app-3:8006"])
    assert (row["ok"], row["detail"]) == (False, "misses app-3:8006")


def test_an_unread_file_or_one_without_the_upstream_fails() -> None:
    assert upstream_finding({"failed": True, "msg": "file not found"}, ["a:1"])["detail"] == (
        "site file not read: file not found"
    )
    assert (
        upstream_finding(slurped("server { listen 80; }"), ["a:1"])["detail"]
        == "no upstream pdezzy_app in the site file"
    )
    assert upstream_finding({"content": "%%%"}, ["a:1"])["ok"] is False
    other = SITE.replace("pdezzy_app", "other")
    assert upstream_finding(slurped(other), ["app-1:8006", "app-2:8006"], upstream="other")["ok"] is True


@pytest.mark.parametrize(("result", "servers"), [("text", ["a:1"]), ({}, "a:1"), (None, [])])
def test_bad_arguments_are_refused(result: object, servers: object) -> None:
    with pytest.raises(TypeError):
        upstream_finding(result, servers)
    assert FilterModule().filters() == {"upstream_finding": upstream_finding}

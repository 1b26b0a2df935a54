"""Configuration changes on the VPS: nginx -t guards every change, reloads are graceful, bad input fails early."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_refused

testinfra_hosts = ["ansible://vps"]

CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
CONF = "/opt/pdezzy/nginx/conf.d/pdezzy.conf"


def status_of(host) -> int:
    return int(
        host.check_output(
            "curl -sk -o /dev/null -w '%{http_code}' --resolve pdezzy.test:443:127.0.0.1 https://pdezzy.test/api/x/"
        )
    )


def replica_answering(host) -> str:
    body = host.check_output("curl -sk --resolve pdezzy.test:443:127.0.0.1 https://pdezzy.test/api/who/")
    return json.loads(body)["replica"]


def test_a_drained_replica_gets_no_new_requests_until_it_is_restored(host, run_playbook) -> None:
    inspect = "docker inspect -f '{{.Config.Hostname}}' "
    hostname = {name: host.check_output(inspect + name) for name in ("app-1", "app-2")}
    drained = host.run("pdezzy-nginx-upstream drain app-1:8006")
    try:
        assert (drained.rc, drained.stdout.strip()) == (0, "app-1:8006: drained"), drained.stderr
        assert host.check_output("pdezzy-nginx-upstream list").split() == ["app-1:8006", "down", "app-2:8006", "up"]
        assert {replica_answering(host) for _ in range(8)} == {hostname["app-2"]}
        # The last server in rotation is never drained; a server the site does not have is an error.
        last = host.run("pdezzy-nginx-upstream drain app-2:8006")
        assert (last.rc, last.stderr.strip()) == (
            3,
            "pdezzy-nginx-upstream: app-2:8006 is the last server in rotation; not drained",
        )
        assert host.run("pdezzy-nginx-upstream drain app-9:8006").rc == 2
        # A drain left behind (a deploy killed half-way) is put back by the next run of the role.
        rerun = run_playbook(CONVERGE)
        assert rerun.returncode == 0, rerun.output
        assert "changed=2" in rerun.output, rerun.output  # the site file, and its reload
    finally:
        host.run("pdezzy-nginx-upstream restore app-1:8006")
    assert host.check_output("pdezzy-nginx-upstream list").split() == ["app-1:8006", "up", "app-2:8006", "up"]
    assert {replica_answering(host) for _ in range(8)} == {hostname["app-1"], hostname["app-2"]}


def test_invalid_directive_is_refused_and_the_old_config_keeps_serving(host, run_playbook) -> None:
    before = host.check_output(f"sha256sum {CONF}")
    started = json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"]
    result = run_playbook(CONVERGE, {"nginx_extra_server_directives": ["bogus_directive on;"]})
    assert result.returncode != 0
    assert 'unknown directive "bogus_directive"' in result.output, result.output
    assert host.check_output(f"sha256sum {CONF}") == before
    assert json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"] == started
    assert status_of(host) == 200


def test_a_valid_change_is_applied_with_a_reload_not_a_restart(host, run_playbook) -> None:
    started = json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"]
    result = run_playbook(CONVERGE, {"nginx_client_max_body_size": "5m"})
    assert result.returncode == 0, result.output
    assert host.file(CONF).contains("client_max_body_size 5m;")
    assert json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"] == started
    assert status_of(host) == 200
    assert run_playbook(CONVERGE).returncode == 0


def test_basic_auth_for_staging(host, run_playbook) -> None:
    extra = {"nginx_basic_auth_enabled": True, "nginx_basic_auth_users": [{"name": "qa", "password": "qa-pass-123"}]}
    result = run_playbook(CONVERGE, extra)
    assert result.returncode == 0, result.output
    assert "qa-pass-123" not in result.output
    assert status_of(host) == 401
    authed = host.check_output(
        "curl -sk -u qa:qa-pass-123 -o /dev/null -w '%{http_code}' "
        "--resolve pdezzy.test:443:127.0.0.1 https://pdezzy.test/api/x/"
    )
    assert authed == "200"
    assert host.file("/opt/pdezzy/nginx/conf.d/htpasswd").content_string.startswith("qa:$2")
    assert run_playbook(CONVERGE).returncode == 0
    assert status_of(host) == 200


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"nginx_domain": "not a domain"}, "not a domain name: not a domain"),
        ({"nginx_domain_aliases": ["www..pdezzy.test"]}, "not a domain name: www..pdezzy.test"),
        ({"nginx_content_security_policy": "default-src 'self';\nscript-src *"}, "must be one line"),
        ({"nginx_static_max_age": -1}, "must not be negative"),
        ({"nginx_ssl_stapling": "sometimes"}, "nginx_ssl_stapling"),
    ],
)
def test_bad_input_fails_before_anything_changes(host, run_playbook, extra: dict, message: str) -> None:
    before = host.check_output(f"sha256sum {CONF}")
    result = run_playbook(CONVERGE, extra)
    assert_refused(result, message)
    assert host.check_output(f"sha256sum {CONF}") == before

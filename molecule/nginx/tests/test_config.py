"""Configuration changes on the VPS: nginx -t guards every change, reloads are graceful, bad input fails early."""

from __future__ import annotations

import json
import time
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


def test_after_a_log_rotation_a_crashed_nginx_is_started_again(host) -> None:
    """The weekly rotation reopens nginx's logs without disarming its restart policy.

    A signal sent with `docker kill` marks the container as stopped by hand; Docker then never
    starts it again. The rotation's signal comes from inside the container instead.
    """
    host.check_output("echo line >> /var/log/pdezzy/nginx/access.log")
    host.check_output("logrotate --force /etc/logrotate.d/pdezzy-nginx")
    started = host.check_output("docker inspect -f '{{.State.StartedAt}}' nginx")
    # A crash: the master process killed from the host, as the OOM killer would.
    host.check_output("kill -9 $(docker inspect -f '{{.State.Pid}}' nginx)")
    for _ in range(60):
        state = host.check_output("docker inspect -f '{{.State.Status}} {{.State.StartedAt}}' nginx").split()
        answer = host.run(
            "curl -sk -o /dev/null -w '%{http_code}' --resolve pdezzy.test:443:127.0.0.1 https://pdezzy.test/api/x/"
        )
        if state[0] == "running" and state[1] != started and answer.stdout == "200":
            break
        time.sleep(1)
    else:
        pytest.fail(f"nginx is not serving again 60 s after a crash that followed a log rotation: {state}")
    assert host.file("/var/log/pdezzy/nginx/access.log.1").exists


def test_invalid_directive_is_refused_and_the_old_config_keeps_serving(host, run_playbook) -> None:
    before = host.check_output(f"sha256sum {CONF}")
    started = json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"]
    result = run_playbook(CONVERGE, {"nginx_extra_server_directives": ["bogus_directive on;"]})
    assert result.returncode != 0
    assert 'unknown directive "bogus_directive"' in result.output, result.output
    assert host.check_output(f"sha256sum {CONF}") == before
    assert json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"] == started
    assert status_of(host) == 200


def css_encoding(host) -> str:
    """The Content-Encoding of a static stylesheet asked for with gzip accepted ('' for none)."""
    headers = host.check_output(
        "curl -sk -o /dev/null -D - -H 'Accept-Encoding: gzip' --resolve pdezzy.test:443:127.0.0.1 "
        "https://pdezzy.test/static/admin/css/base.css"
    )
    return next(
        (
            line.split(":", 1)[1].strip()
            for line in headers.splitlines()
            if line.lower().startswith("content-encoding:")
        ),
        "",
    )


def test_a_valid_change_is_applied_with_a_reload_not_a_restart(host, run_playbook) -> None:
    started = json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"]
    assert css_encoding(host) == "gzip"
    # The hooks: gzip's types, and a directive at the http level (a map the site does not use).
    extra = {
        "nginx_client_max_body_size": "5m",
        "nginx_gzip_types": ["application/json"],
        "nginx_extra_http_directives": ["map $http_x_probe $pdezzy_probe { default 0; yes 1; }"],
    }
    result = run_playbook(CONVERGE, extra)
    assert result.returncode == 0, result.output
    conf = host.file(CONF).content_string
    assert "client_max_body_size 5m;" in conf
    assert "gzip_types application/json;" in conf
    assert "\nmap $http_x_probe $pdezzy_probe { default 0; yes 1; }\n" in conf
    assert json.loads(host.check_output("docker inspect nginx"))[0]["State"]["StartedAt"] == started
    assert status_of(host) == 200
    assert css_encoding(host) == ""
    assert run_playbook(CONVERGE).returncode == 0
    assert css_encoding(host) == "gzip"


def test_basic_auth_for_staging(host, run_playbook) -> None:
    extra = {"nginx_basic_auth_enabled": True, "nginx_basic_auth_users": [{"name": "qa", "password": "qa-pass-12345"}]}
    result = run_playbook(CONVERGE, extra)
    assert result.returncode == 0, result.output
    assert "qa-pass-12345" not in result.output
    assert status_of(host) == 401
    authed = host.check_output(
        "curl -sk -u qa:qa-pass-12345 -o /dev/null -w '%{http_code}' "
        "--resolve pdezzy.test:443:127.0.0.1 https://pdezzy.test/api/x/"
    )
    assert authed == "200"
    assert host.file("/opt/pdezzy/nginx/conf.d/htpasswd").content_string.startswith("qa:$2")
    assert run_playbook(CONVERGE).returncode == 0
    assert status_of(host) == 200


def test_names_typed_otherwise_change_nothing(host, run_playbook) -> None:
    before = host.check_output(f"sha256sum {CONF}")
    result = run_playbook(CONVERGE, {"nginx_domain": "PDEZZY.Test.", "nginx_domain_aliases": ["WWW.pdezzy.test"]})
    assert result.returncode == 0, result.output
    assert "changed=0" in result.output, result.output
    assert host.check_output(f"sha256sum {CONF}") == before


def test_no_ocsp_stapling_unless_asked_for(host) -> None:
    # Let's Encrypt's certificates name no OCSP responder any more.
    assert not host.file(CONF).contains("ssl_stapling")


def test_trusted_proxies_report_the_client_address(host, run_playbook) -> None:
    """Behind a proxy of nginx_trusted_proxies (here this VPS itself), the app sees the address the
    proxy reports; the rest of the forwarded list, written by the client, is dropped."""
    echo = (
        "curl -sk --resolve pdezzy.test:443:127.0.0.1 -H 'X-Forwarded-For: 198.51.100.7, 203.0.113.9' "
        "https://pdezzy.test/api/echo/"
    )
    seen = json.loads(host.check_output(echo))["headers"]
    assert seen["X-Forwarded-For"] == seen["X-Real-IP"] != "203.0.113.9"
    result = run_playbook(CONVERGE, {"nginx_trusted_proxies": ["127.0.0.1/32", "172.16.0.0/12"]})
    try:
        assert result.returncode == 0, result.output
        seen = json.loads(host.check_output(echo))["headers"]
        assert (seen["X-Forwarded-For"], seen["X-Real-IP"]) == ("203.0.113.9", "203.0.113.9")
    finally:
        assert run_playbook(CONVERGE).returncode == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"nginx_domain": "not a domain"}, "not a domain name: not a domain"),
        ({"nginx_domain_aliases": ["www..pdezzy.test"]}, "not a domain name: www..pdezzy.test"),
        ({"nginx_content_security_policy": "default-src 'self';\nscript-src *"}, "must be one line"),
        ({"nginx_static_max_age": -1}, "must not be negative"),
        ({"nginx_ssl_stapling": "sometimes"}, "nginx_ssl_stapling"),
        (
            {"nginx_basic_auth_enabled": True, "nginx_basic_auth_users": [{"name": "qa", "password": "REPLACE-ME"}]},
            "nginx_basic_auth_users (users: qa): basic auth needs at least one user",
        ),
        (
            {"nginx_basic_auth_enabled": True, "nginx_basic_auth_users": [{"name": "qa", "password": "short-pw"}]},
            "a password of 12 or more characters",
        ),
        ({"nginx_basic_auth_enabled": True}, "nginx_basic_auth_users (users: none)"),
        ({"nginx_trusted_proxies": ["10.0.0.0/33"]}, "nginx_trusted_proxies: not an address or CIDR: 10.0.0.0/33"),
        ({"nginx_auth_rate_limit": "10/minute"}, "nginx_auth_rate_limit must read like 10r/m"),
        ({"nginx_auth_rate_limit_paths": ["/api/token/", "/ws/"]}, "not /, /static/, /media/ or a WebSocket"),
        ({"nginx_auth_rate_limit_paths": ["/login/", "/login/"]}, "(a path listed twice)"),
        ({"nginx_ssl_ecdh_curve": "X25519 secp384r1"}, "nginx_ssl_ecdh_curve must be group names"),
        ({"nginx_media_inline_extensions": [".png"]}, "lower-case extensions without the dot"),
        ({"nginx_gzip_types": ["text/css; gzip off"]}, "nginx_gzip_types: not a MIME type: text/css; gzip off"),
        ({"nginx_permissions_policy": 'camera=("x")'}, "nginx_permissions_policy must be one line"),
    ],
)
def test_bad_input_fails_before_anything_changes(host, run_playbook, extra: dict, message: str) -> None:
    before = host.check_output(f"sha256sum {CONF}")
    result = run_playbook(CONVERGE, extra)
    assert_refused(result, message)
    for user in extra.get("nginx_basic_auth_users", []):
        assert user["password"] not in result.output
    assert host.check_output(f"sha256sum {CONF}") == before

"""Redis on the VPS: password required, AOF persistence, renamed commands, loopback-only, healthy."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

import pytest
from conftest import assert_no_secret, assert_refused
from testinfra.backend.base import CommandResult

testinfra_hosts = ["ansible://vps"]

CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
PASSWORD = "molecule-redis/+@%:\"'\\secret-123"  # as converge.yml sets it


def cli(host, command: str, password: str | None = PASSWORD) -> CommandResult:
    """redis-cli through the published port 127.0.0.1:6380, as a client on the VPS would."""
    auth = f"-e REDISCLI_AUTH={shlex.quote(password)} " if password else ""
    return host.run(f"docker run --rm --network host {auth}redis:7-alpine redis-cli -h 127.0.0.1 -p 6380 {command}")


def inspect(host) -> dict:
    return json.loads(host.check_output("docker inspect redis"))[0]


def test_commands_without_the_password_are_refused(host) -> None:
    result = cli(host, "get anything", password=None)
    assert "NOAUTH" in result.stdout + result.stderr


def test_wrong_password_is_refused(host) -> None:
    result = cli(host, "ping", password="wrong-password-here")
    assert "WRONGPASS" in result.stdout + result.stderr


def test_ping_with_the_password(host) -> None:
    assert cli(host, "ping").stdout.strip() == "PONG"


def test_dangerous_commands_are_disabled(host) -> None:
    for command in ("flushall", "config get maxmemory", "keys '*'"):
        out = cli(host, command)
        assert "unknown command" in (out.stdout + out.stderr).lower(), command


def test_published_on_loopback_only_and_healthy(host) -> None:
    state = inspect(host)
    assert state["HostConfig"]["PortBindings"] == {"6379/tcp": [{"HostIp": "127.0.0.1", "HostPort": "6380"}]}
    check = state["Config"]["Healthcheck"]
    assert "redis-cli" in check["Test"][1]
    assert "ping" in check["Test"][1]
    assert check["Interval"] == 10_000_000_000
    assert state["State"]["Health"]["Status"] == "healthy"
    assert PASSWORD not in json.dumps(state["Config"]["Env"]) + json.dumps(state["Config"]["Cmd"])


def test_the_health_check_puts_the_password_on_no_command_line(host) -> None:
    """The container's own health check command, run with a redis-cli that reports the arguments
    it was given (what ps shows) and whether the password reached it through its environment.
    The stand-in lives in the data volume: the container's root is read-only."""
    check = inspect(host)["Config"]["Healthcheck"]["Test"][1]
    spy = (
        "mkdir -p /data/.spy && printf '%s\\n' '#!/bin/sh' 'echo \"args: $*\" > /data/.spy/seen' "
        '\'[ "$REDISCLI_AUTH" = "$(cat /usr/local/etc/redis/password)" ] && echo env-has-it >> /data/.spy/seen\' '
        "'echo PONG' > /data/.spy/redis-cli && chmod +x /data/.spy/redis-cli"
    )
    host.check_output(f"docker exec redis sh -c {shlex.quote(spy)}")
    try:
        path = "/data/.spy:/usr/local/bin:/usr/bin:/bin"
        host.check_output(f"docker exec -e PATH={path} redis sh -c {shlex.quote(check)}")
        seen = host.check_output("docker exec redis cat /data/.spy/seen").splitlines()
    finally:
        host.run("docker exec redis rm -rf /data/.spy")
    assert seen == ["args: ping", "env-has-it"], seen


def test_config_file_is_private(host) -> None:
    conf = host.file("/opt/pdezzy/redis/redis.conf")
    assert conf.mode == 0o400
    assert conf.uid == 999
    assert conf.contains("^appendonly yes$")
    assert conf.contains("^maxmemory 256mb$")


def test_the_containers_labels_tell_nothing_of_the_password(host) -> None:
    conf = host.check_output("cat /opt/pdezzy/redis/redis.conf")
    labels = " ".join(inspect(host)["Config"]["Labels"].values())
    for digest in (hashlib.md5, hashlib.sha1, hashlib.sha256, hashlib.sha512):
        assert digest(conf.encode()).hexdigest() not in labels
        assert digest((conf + "\n").encode()).hexdigest() not in labels
    assert "molecule-redis" not in labels
    salt = host.file("/opt/pdezzy/redis/.digest-salt")
    assert (salt.mode, salt.user) == (0o600, "root")


def test_a_key_survives_a_restart_and_a_recreation(host, run_playbook) -> None:
    assert cli(host, "set survivor 42").stdout.strip() == "OK"
    host.check_output("docker restart redis")
    host.check_output(
        "timeout 60 sh -c "
        "'until [ \"$(docker inspect -f {{.State.Health.Status}} redis)\" = healthy ]; do sleep 1; done'"
    )
    assert cli(host, "get survivor").stdout.strip() == "42"
    old_id = inspect(host)["Id"]
    result = run_playbook(CONVERGE, {"redis_maxmemory": "128mb"})
    assert result.returncode == 0, result.output
    assert inspect(host)["Id"] != old_id, "a changed redis.conf must recreate the container"
    assert cli(host, "get survivor").stdout.strip() == "42"
    assert run_playbook(CONVERGE).returncode == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"redis_password": ""}, "redis_password must be set from the vault"),
        ({"redis_password": "short-9Xq"}, "redis_password must be set from the vault"),
        ({"redis_password": "long-enough-password-but\n"}, "redis_password must be set from the vault"),
        ({"redis_maxmemory": "lots"}, "redis_maxmemory: 'lots' is not a size"),
        ({"redis_maxmemory_policy": "evict-everything"}, "redis_maxmemory_policy"),
    ],
)
def test_bad_input_fails_before_anything_changes(host, run_playbook, extra: dict, message: str) -> None:
    old_id = inspect(host)["Id"]
    result = run_playbook(CONVERGE, extra)
    assert_refused(result, message)
    assert inspect(host)["Id"] == old_id
    # Neither the refused password nor the one in use is in the output.
    refused = extra.get("redis_password", "").strip()
    assert_no_secret(result.output, [PASSWORD, *([refused] if refused else [])])

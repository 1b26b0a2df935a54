"""The engine on the VPS: configuration applied, images from the mirror, the stack network."""

from __future__ import annotations

import json

from conftest import HARNESS

testinfra_hosts = ["ansible://vps"]


def test_daemon_json_is_applied(host) -> None:
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["log-driver"] == "json-file"
    assert config["log-opts"] == {"max-size": "20m", "max-file": "3"}
    assert config["live-restore"] is True
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["LoggingDriver"] == "json-file"
    assert info["LiveRestoreEnabled"] is True
    assert any(m.endswith(f":{HARNESS['REGISTRY_PORT']}/") for m in info["RegistryConfig"]["Mirrors"]), info[
        "RegistryConfig"
    ]


def test_engine_is_enabled_and_running(host) -> None:
    assert host.service("docker").is_enabled
    assert host.service("docker").is_running


def test_a_docker_hub_image_comes_through_the_mirror_and_runs(host) -> None:
    host.check_output("docker pull -q redis:7-alpine")
    out = host.check_output("docker run --rm --network pdezzy redis:7-alpine redis-cli --version")
    assert out.startswith("redis-cli 7.")


def test_container_logs_rotate_with_the_daemon_defaults(host) -> None:
    cid = host.check_output("docker run -d --rm redis:7-alpine redis-server")
    try:
        log_config = json.loads(host.check_output(f"docker inspect -f '{{{{json .HostConfig.LogConfig}}}}' {cid}"))
        assert log_config == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "20m"}}
    finally:
        host.run(f"docker rm -f {cid}")


def test_stack_network_exists(host) -> None:
    net = json.loads(host.check_output("docker network inspect pdezzy"))[0]
    assert net["Driver"] == "bridge"
    assert net["Scope"] == "local"


def test_ops_user_is_in_docker_group_and_can_use_the_engine(host) -> None:
    assert "docker" in host.user("ops").groups
    assert host.run("runuser -u ops -- docker ps").rc == 0


def test_community_docker_dependencies_are_installed(host) -> None:
    assert host.run("python3 -c 'import requests'").rc == 0


def test_unknown_install_source_is_refused_before_anything_changes(host, run_playbook) -> None:
    from pathlib import Path

    before = host.check_output("sha256sum /etc/docker/daemon.json")
    result = run_playbook(
        Path(__file__).resolve().parents[1] / "converge.yml",
        {"docker_install_source": "snap", "docker_log_max_size": "99m"},
    )
    assert result.returncode != 0
    assert "docker_install_source" in result.output
    assert "upstream, distro" in result.output
    assert "changed=0" in result.output
    assert host.check_output("sha256sum /etc/docker/daemon.json") == before

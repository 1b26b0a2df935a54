"""Ports set once reach every role and playbook that uses them: the production inventory and the
repository's wiring (group_vars/all.yml) templated as a playbook run sees them, with the health
check's and the pre-deploy check's own play variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_json import first_task_answer

REPO = Path(__file__).resolve().parents[2]


def play_vars(playbook: str) -> dict[str, Any]:
    (play,) = yaml.safe_load((REPO / "playbooks" / playbook).read_text())
    return play["vars"]


def wired(tmp_path: Path, extra: dict[str, Any], expressions: dict[str, str]) -> dict[str, Any]:
    """The expressions' values in a play beside the repository's group_vars (as site.yml's)."""
    (tmp_path / "group_vars").symlink_to(REPO / "group_vars")
    play = {
        "hosts": "pdezzy",
        "gather_facts": False,
        "vars": {**play_vars("health-check.yml"), **play_vars("preflight.yml")},
        "tasks": [{"ansible.builtin.debug": {"msg": expressions}}],
    }  # fmt: skip
    (tmp_path / "wiring.yml").write_text(yaml.safe_dump([play]))
    answer = first_task_answer(
        ["ansible-playbook", "-i", str(REPO / "inventory" / "production"), str(tmp_path / "wiring.yml"),
         "-e", json.dumps(extra)]
    )  # fmt: skip
    return {name: json.loads(value) if isinstance(value, str) else value for name, value in answer["msg"].items()}


WEB = {
    "nginx publishes": "[nginx_http_port | int, nginx_https_port | int] | to_json",
    "UFW opens": "base_ufw_open_tcp_ports | map('int') | list | to_json",
    "Docker's firewall opens": "docker_firewall_public_ports | map('int') | list | to_json",
    "the health check probes": "[__http_port | int, __https_port | int] | to_json",
    "the health check lists as public": "__public_ports | map('int') | list | to_json",
    "the pre-deploy check wants free": "__ports | map('int') | list | to_json",
}


@pytest.mark.parametrize(
    ("extra", "ports"), [({}, [80, 443]), ({"pdezzy_http_port": 8080, "pdezzy_https_port": 8443}, [8080, 8443])]
)
def test_the_web_ports_set_once_reach_every_role_and_playbook(tmp_path: Path, extra: dict, ports: list[int]) -> None:
    values = wired(tmp_path, extra, {name: "{{ " + expression + " }}" for name, expression in WEB.items()})
    assert values == dict.fromkeys(WEB, ports)


def test_the_data_ports_of_the_roles_reach_the_health_check(tmp_path: Path) -> None:
    extra = {"postgres_host_port": 15433, "redis_host_port": 16380, "postgres_pgbouncer_port": 16432}
    values = wired(
        tmp_path, extra, {"loopback": "{{ __loopback_ports | to_json }}", "pooler": "{{ __pgbouncer_port }}"}
    )
    assert values == {"loopback": [15433, 16380], "pooler": 16432}

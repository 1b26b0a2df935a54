"""Docker behind the firewall: from the peer, only the listed published ports reach a container.

A redis container on the VPS publishes 6379 three ways: on 80 (a web port, listed), on 16380
(published to the world, not listed) and on 127.0.0.1:16379 (loopback only). The peer, a
neighbour on the same network, tries each of them, directly, by routing the container subnet at
the VPS, and with a crafted SYN to 127.0.0.1 sent to the VPS's MAC address (moby#41872 and
#45610). A control takes the chain out of DOCKER-USER to show each probe does reach the
container when nothing stops it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import testinfra
from conftest import assert_refused

testinfra_hosts = ["ansible://vps"]

CHAIN = "pdezzy-docker"
PROBE = base64.b64encode((Path(__file__).parent / "syn_probe.py").read_bytes()).decode()


@pytest.fixture(scope="module")
def peer(host) -> testinfra.host.Host:
    return testinfra.get_host("ansible://peer-docker", ansible_inventory=host.backend.ansible_inventory)


@pytest.fixture(scope="module")
def target(host, peer) -> Iterator[dict[str, str]]:
    """The redis container, its address and subnet, and the VPS's address and MAC address."""
    host.run("docker rm -f fw-target")
    host.check_output("docker pull -q redis:7-alpine")
    host.check_output(
        "docker run -d --name fw-target --network pdezzy -p 80:6379 -p 16380:6379 -p 127.0.0.1:16379:6379 "
        "redis:7-alpine"
    )
    network = json.loads(host.check_output("docker network inspect pdezzy"))[0]
    container = json.loads(host.check_output("docker inspect fw-target"))[0]
    vps_ip = host.check_output("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")
    facts = {
        "vps_ip": vps_ip,
        "vps_mac": host.check_output("cat /sys/class/net/eth0/address"),
        "container_ip": container["NetworkSettings"]["Networks"]["pdezzy"]["IPAddress"],
        "subnet": network["IPAM"]["Config"][0]["Subnet"],
    }
    peer.check_output(f"ip route replace {facts['subnet']} via {vps_ip}")
    yield facts
    peer.run(f"ip route del {facts['subnet']}")
    host.run("docker rm -f fw-target")


def reachable(peer, address: str, port: int) -> bool:
    result = peer.run(f"nc -z -w 3 {address} {port}")
    return result.rc == 0


def loopback_answers(peer, target: dict[str, str], port: int) -> bool:
    out = peer.check_output(
        f"echo {PROBE} | base64 -d > /tmp/syn_probe.py && python3 /tmp/syn_probe.py eth0 {target['vps_mac']} {port}"
    )
    return out.strip() == "answered"


def probes(peer, target: dict[str, str]) -> dict[str, bool]:
    return {
        "web port 80": reachable(peer, target["vps_ip"], 80),
        "published 16380": reachable(peer, target["vps_ip"], 16380),
        "container routed": reachable(peer, target["container_ip"], 6379),
        "127.0.0.1:16379 crafted": loopback_answers(peer, target, 16379),
    }


def test_the_chain_is_first_in_docker_user_and_ends_in_a_drop(host) -> None:
    rules = host.check_output("iptables -S DOCKER-USER").splitlines()
    assert rules[1] == f"-A DOCKER-USER -j {CHAIN}", rules
    assert rules.count(f"-A DOCKER-USER -j {CHAIN}") == 1
    chain = host.check_output(f"iptables -S {CHAIN}").splitlines()
    assert chain[-1] == f"-A {CHAIN} -j DROP", chain
    assert [r for r in chain if "--ctorigdstport" in r] == [
        f"-A {CHAIN} -p tcp -m conntrack --ctorigdstport 80 --ctdir ORIGINAL -j RETURN",
        f"-A {CHAIN} -p tcp -m conntrack --ctorigdstport 443 --ctdir ORIGINAL -j RETURN",
    ], chain


def test_from_the_peer_only_the_web_port_reaches_a_container(host, peer, target) -> None:
    assert probes(peer, target) == {
        "web port 80": True,
        "published 16380": False,
        "container routed": False,
        "127.0.0.1:16379 crafted": False,
    }
    # From the VPS itself, the loopback port works as before.
    assert host.run("nc -z -w 3 127.0.0.1 16379").rc == 0


def test_control_without_the_chain_every_probe_reaches_the_container(host, peer, target) -> None:
    host.check_output(f"iptables -D DOCKER-USER -j {CHAIN}")
    try:
        assert probes(peer, target) == {
            "web port 80": True,
            "published 16380": True,
            "container routed": True,
            "127.0.0.1:16379 crafted": True,
        }
    finally:
        host.check_output("systemctl restart pdezzy-docker-firewall")
    assert not reachable(peer, target["vps_ip"], 16380)


def test_the_chain_comes_back_when_the_engine_restarts(host, peer, target) -> None:
    host.check_output("systemctl restart docker")
    # The unit's restart (PartOf=docker.service) can still be running when systemctl returns.
    for _ in range(30):
        if host.run("systemctl is-active pdezzy-docker-firewall").rc == 0:
            break
        time.sleep(1)
    status = host.run("systemctl status --no-pager pdezzy-docker-firewall")
    assert host.run("systemctl is-active pdezzy-docker-firewall").rc == 0, status.stdout
    assert host.check_output("iptables -S DOCKER-USER").splitlines().count(f"-A DOCKER-USER -j {CHAIN}") == 1
    assert host.run("docker start fw-target").rc == 0
    assert reachable(peer, target["vps_ip"], 80)
    assert not reachable(peer, target["vps_ip"], 16380)


def test_an_allowed_source_reaches_its_port_and_others_do_not(host, peer, target, run_playbook) -> None:
    converge = Path(__file__).resolve().parents[1] / "converge.yml"
    peer_ip = peer.check_output("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")
    try:
        result = run_playbook(converge, {"docker_firewall_allowed": [{"port": 16380, "sources": [f"{peer_ip}/32"]}]})
        assert result.returncode == 0, result.output
        assert reachable(peer, target["vps_ip"], 16380)
        result = run_playbook(converge, {"docker_firewall_allowed": [{"port": 16380, "sources": ["192.0.2.0/24"]}]})
        assert result.returncode == 0, result.output
        assert not reachable(peer, target["vps_ip"], 16380)
    finally:
        assert run_playbook(converge).returncode == 0


@pytest.mark.parametrize(
    ("allowed", "message"),
    [
        ([{"port": 5433, "sources": ["10.0.0.0/33"]}], "invalid: 10.0.0.0/33"),
        ([{"port": 5433, "sources": ["fd00::/64"]}], "IPv6: fd00::/64"),
        ([{"port": 5433, "sources": []}], "each docker_firewall_allowed entry needs sources"),
        ([{"port": 70000, "sources": ["10.0.0.0/24"]}], "must be ports (1-65535)"),
    ],
)
def test_bad_firewall_input_is_refused_before_anything_changes(host, run_playbook, allowed, message) -> None:
    before = host.check_output(f"iptables -S {CHAIN}")
    result = run_playbook(Path(__file__).resolve().parents[1] / "converge.yml", {"docker_firewall_allowed": allowed})
    assert_refused(result, message)
    assert host.check_output(f"iptables -S {CHAIN}") == before


def test_unattended_upgrades_cover_dockers_repository_only_when_the_engine_comes_from_it(
    host, run_playbook, tmp_path
) -> None:
    playbook = tmp_path / "unattended.yml"
    playbook.write_text(
        "- hosts: vps\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: docker\n        tasks_from: unattended.yml\n"
    )
    pattern = "origin=Docker,label=Docker CE,codename=${distro_codename}"
    try:
        assert run_playbook(playbook, {"docker_install_source": "upstream"}).returncode == 0
        assert pattern in host.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern")
    finally:
        assert run_playbook(playbook, {"docker_install_source": "distro"}).returncode == 0
    assert not host.file("/etc/apt/apt.conf.d/53unattended-upgrades-docker").exists

"""Run in every scenario: from another host on the network, the data tier's ports are closed.

Docker publishes ports around UFW, so this holds only because nothing but 80/443 is ever
published beyond 127.0.0.1; the test proves it from the outside.
"""

from __future__ import annotations

import pytest

testinfra_hosts = ["ansible://peer"]


def vps_name(host) -> str:
    return "vps-" + host.backend.get_hostname().split("-", 1)[1]


def test_the_vps_answers_on_ssh(host) -> None:
    # Control: the VPS is reachable, so a refused or filtered port below means closed.
    assert host.run(f"nc -z -w 3 {vps_name(host)} 22").rc == 0


@pytest.mark.parametrize("port", [5433, 5432, 6380, 6379, 8006])
def test_data_and_app_ports_are_closed_to_the_network(host, port: int) -> None:
    result = host.run(f"nc -z -v -w 3 {vps_name(host)} {port}")
    assert result.rc != 0
    assert "refused" in result.stderr or "timed out" in result.stderr, result.stderr

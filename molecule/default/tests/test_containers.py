"""The stack's containers run with least privilege, and the tiers are apart: nginx and certbot
reach nothing of the data tier; the app replicas reach both sides."""

from __future__ import annotations

import json

import pytest

testinfra_hosts = ["ansible://vps"]

# The capabilities each container keeps (every other one dropped).
KEPT = {
    "nginx": {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"},
    "postgres": {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID"},
    "pgbouncer": set(),
    "redis": set(),
    "app-1": set(),
    "app-2": set(),
}
READ_ONLY = {"nginx": True, "postgres": True, "pgbouncer": True, "redis": True, "app-1": False, "app-2": False}
NETWORKS = {
    "nginx": {"pdezzy-edge"},
    "app-1": {"pdezzy", "pdezzy-edge"},
    "app-2": {"pdezzy", "pdezzy-edge"},
    "postgres": {"pdezzy"},
    "pgbouncer": {"pdezzy"},
    "redis": {"pdezzy"},
}


def inspect(host, name: str) -> dict:
    return json.loads(host.check_output(f"docker inspect {name}"))[0]


@pytest.mark.parametrize("name", sorted(KEPT))
def test_each_container_runs_with_least_privilege(host, name: str) -> None:
    config = inspect(host, name)["HostConfig"]
    assert "no-new-privileges" in (config["SecurityOpt"] or []), config["SecurityOpt"]
    assert config["CapDrop"] == ["ALL"], config["CapDrop"]
    assert {f"CAP_{c}" if not c.startswith("CAP_") else c for c in config["CapAdd"] or []} == KEPT[name]
    assert config["Memory"] > 0
    assert (config["PidsLimit"] or 0) > 0
    assert config["ReadonlyRootfs"] is READ_ONLY[name]
    assert config["Privileged"] is False
    # What the processes really hold: the bounding set of PID 1 has nothing beyond the kept ones.
    status = host.check_output(f"docker exec {name} cat /proc/1/status")
    bounding = int(next(line.split()[1] for line in status.splitlines() if line.startswith("CapBnd:")), 16)
    assert bin(bounding).count("1") == len(KEPT[name]), (name, hex(bounding))
    assert "NoNewPrivs:\t1" in status


def test_redis_runs_as_its_own_user_from_the_start(host) -> None:
    assert inspect(host, "redis")["Config"]["User"] == "999:1000"
    assert host.check_output("docker exec redis id -u") == "999"


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_each_container_is_on_its_tiers_networks_only(host, name: str) -> None:
    assert set(inspect(host, name)["NetworkSettings"]["Networks"]) == NETWORKS[name]


def reaches(host, network: str, ip: str, port: int) -> bool:
    """A throwaway container on ``network`` connects to ``ip``:``port`` within 3 s."""
    probe = f"import socket; socket.create_connection(('{ip}', {port}), 3)"
    return host.run(f'docker run --rm --network {network} python:3.11-slim python -c "{probe}"').rc == 0


def ip_on(host, name: str, network: str) -> str:
    return inspect(host, name)["NetworkSettings"]["Networks"][network]["IPAddress"]


@pytest.mark.parametrize(("target", "port"), [("postgres", 5432), ("pgbouncer", 6432), ("redis", 6379)])
def test_the_edge_network_reaches_nothing_of_the_data_tier(host, target: str, port: int) -> None:
    # nginx's network; the control: the data network reaches the same address and port.
    ip = ip_on(host, target, "pdezzy")
    assert not reaches(host, "pdezzy-edge", ip, port)
    assert reaches(host, "pdezzy", ip, port)


def test_the_edge_network_reaches_the_replicas(host) -> None:
    assert reaches(host, "pdezzy-edge", ip_on(host, "app-1", "pdezzy-edge"), 8006)


@pytest.mark.parametrize(
    ("target", "network", "port"),
    [("postgres", "pdezzy", 5432), ("redis", "pdezzy", 6379), ("app-1", "pdezzy-edge", 8006)],
)
def test_certbot_reaches_neither_tier(host, target: str, network: str, port: int) -> None:
    """certbot's container as the renewal script starts it: on its own network, with no privileges."""
    script = host.file("/usr/local/sbin/pdezzy-certbot-renew").content_string
    assert "--network pdezzy-acme --security-opt no-new-privileges --cap-drop ALL" in script
    assert not reaches(host, "pdezzy-acme", ip_on(host, target, network), port)


@pytest.mark.parametrize("name", ["app-1", "app-2"])
def test_a_healthy_replica_is_checked_every_30_s_and_a_starting_one_every_5_s(host, name: str) -> None:
    # Debian 13's engine has a start interval (Docker 25, API 1.44): deploys wait on 5 s checks,
    # and a serving replica runs one check process every 30 s.
    assert int(host.check_output("docker version -f '{{.Server.Version}}'").split(".")[0]) >= 25
    check = inspect(host, name)["Config"]["Healthcheck"]
    assert (check["Interval"], check.get("StartInterval")) == (30 * 10**9, 5 * 10**9)

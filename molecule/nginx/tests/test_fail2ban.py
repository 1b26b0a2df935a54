"""The fail2ban jail on nginx's error log: a client the rate limits keep refusing is banned from
the web ports, in DOCKER-USER (Docker forwards them past UFW), and the ban lifts on unban."""

from __future__ import annotations

import time

import pytest
import testinfra

testinfra_hosts = ["ansible://vps"]

JAIL = "pdezzy-nginx-limit-req"
DOMAIN = "pdezzy.test"
LOG = "/var/log/pdezzy/nginx/error.log"


@pytest.fixture(scope="module")
def peer(host) -> testinfra.host.Host:
    return testinfra.get_host("ansible://peer-nginx", ansible_inventory=host.backend.ansible_inventory)


def address(client) -> str:
    return client.check_output("ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1")


def status_from(peer, vps_ip: str) -> str:
    return peer.run(
        f"curl -sk -o /dev/null -w '%{{http_code}}' --max-time 5 --resolve {DOMAIN}:443:{vps_ip} https://{DOMAIN}/"
    ).stdout


def banned(host) -> str:
    return host.check_output(f"fail2ban-client status {JAIL}")


def test_the_jail_reads_nginx_error_log(host) -> None:
    status = banned(host)
    assert f"File list:\t{LOG}" in status or f"File list: {LOG}" in " ".join(status.split()), status


def test_a_client_the_rate_limit_keeps_refusing_is_banned_from_the_web_ports(host, peer) -> None:
    vps_ip, peer_ip = address(host), address(peer)
    assert status_from(peer, vps_ip) == "200"
    post = (
        f"curl -sk -o /dev/null -w '%{{http_code}}\\n' --max-time 5 --resolve {DOMAIN}:443:{vps_ip} -X POST -d u=x "
        f"https://{DOMAIN}/api/token/"
    )
    try:
        # The ban can land before the series ends: the last requests then fail (curl exit 7).
        codes = peer.run(f"for i in $(seq 40); do {post}; done").stdout.split()
        assert "429" in codes, codes
        # nginx logged the refusals with the client's address, in the file the jail reads.
        assert "limiting requests, excess" in host.check_output(f"grep 'client: {peer_ip},' {LOG} | tail -n 1")
        for _ in range(30):
            if peer_ip in banned(host).split("Banned IP list:")[1]:
                break
            time.sleep(1)
        assert peer_ip in banned(host).split("Banned IP list:")[1], banned(host)
        # The ban is in DOCKER-USER, and the web ports no longer answer the client.
        assert f"-A DOCKER-USER -p tcp -j f2b-{JAIL}" in host.check_output("iptables -S DOCKER-USER")
        assert f"-A f2b-{JAIL} -s {peer_ip}/32 -j REJECT" in host.check_output(f"iptables -S f2b-{JAIL}")
        assert status_from(peer, vps_ip) == "000"
        assert peer.run(f"nc -z -w 3 {vps_ip} 80").rc != 0
        # The host itself is not banned: its own requests go through.
        assert (
            host.run(f"curl -sk -o /dev/null --max-time 5 --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/").rc == 0
        )
    finally:
        host.run(f"fail2ban-client set {JAIL} unbanip {peer_ip}")
    assert status_from(peer, vps_ip) == "200"


def test_the_error_log_rotates_and_nginx_writes_the_new_file(host) -> None:
    host.check_output("logrotate --force /etc/logrotate.d/pdezzy-nginx")
    assert host.file(f"{LOG}.1").exists
    # A request nginx logs as an error (a file that is not there) lands in the new file.
    host.run(f"curl -sk -o /dev/null --max-time 5 --resolve {DOMAIN}:443:127.0.0.1 https://{DOMAIN}/static/gone.css")
    for _ in range(10):
        if "gone.css" in host.file(LOG).content_string:
            break
        time.sleep(1)
    assert "gone.css" in host.file(LOG).content_string

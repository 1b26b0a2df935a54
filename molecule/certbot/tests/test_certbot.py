"""Certificates from a real ACME server (pebble, HTTP-01 against this VPS) and no-downtime renewal."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import testinfra
from conftest import assert_refused, request_loop_counts, start_request_loop

testinfra_hosts = ["ansible://vps"]

CONVERGE = Path(__file__).resolve().parents[1] / "converge.yml"
LE = "/opt/pdezzy/letsencrypt"


def served(host, field: str) -> str:
    """A field of the certificate nginx serves for certbot.test, read over a real TLS handshake."""
    return host.check_output(
        "openssl s_client -connect 127.0.0.1:443 -servername certbot.test </dev/null 2>/dev/null"
        f" | openssl x509 -noout {field}"
    )


def peer(host) -> testinfra.host.Host:
    return testinfra.get_host("ansible://peer-certbot", ansible_inventory=host.backend.ansible_inventory)


def journal_cursor(host) -> str:
    """The journal's position now: what a run started after this prints comes after it."""
    return host.check_output("journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p'")


def last_run_output(host, expected: str, cursor: str) -> str:
    """What the renewal service printed since ``cursor``, once it holds ``expected`` (journald files a
    unit's last lines a moment after the unit ends, longer on a loaded machine), or after 120 s.
    Read by unit, not by invocation id: journald looks the id up per line, and a line it files
    after the unit has ended can carry none."""
    output = ""
    for _ in range(240):
        output = host.check_output(f"journalctl -o cat -u pdezzy-certbot-renew.service --after-cursor='{cursor}'")
        if expected in output:
            break
        time.sleep(0.5)
    return output


def test_the_served_certificate_is_the_one_pebble_issued(host) -> None:
    assert "Pebble Intermediate CA" in served(host, "-issuer")
    names = served(host, "-ext subjectAltName")
    assert "DNS:certbot.test" in names
    assert "DNS:www.certbot.test" in names
    assert host.file(f"{LE}/renewal/certbot.test.conf").exists


def test_one_lineage_and_no_bootstrap_left(host) -> None:
    live = host.check_output(f"ls {LE}/live").split()
    assert "certbot.test" in live
    assert not [name for name in live if name.startswith("certbot.test-")]
    assert not host.file(f"{LE}/live/certbot.test.bootstrap").exists


def test_renewal_timer_is_daily_with_a_random_delay(host) -> None:
    timer = host.file("/etc/systemd/system/pdezzy-certbot-renew.timer")
    assert timer.contains("^OnCalendar=daily$")
    assert timer.contains("^RandomizedDelaySec=1h$")
    assert host.run("systemctl is-enabled pdezzy-certbot-renew.timer").stdout.strip() == "enabled"
    assert host.run("systemctl is-active pdezzy-certbot-renew.timer").stdout.strip() == "active"


def test_renewal_run_when_nothing_is_due_does_not_reload(host) -> None:
    serial = served(host, "-serial")
    cursor = journal_cursor(host)
    host.check_output("systemctl start pdezzy-certbot-renew.service")
    assert "nothing renewed" in last_run_output(host, "nothing renewed", cursor)
    assert served(host, "-serial") == serial


def test_forced_renewal_serves_the_new_certificate_without_dropping_requests(host) -> None:
    client = peer(host)
    serial = served(host, "-serial")
    address = client.check_output("getent hosts vps-certbot").split()[0]
    start_request_loop(client, "https://certbot.test/api/loop/", f"certbot.test:443:{address}", 20, max_time=5)
    time.sleep(3)
    out = host.check_output("/usr/local/sbin/pdezzy-certbot-renew --force-renewal")
    assert "certificate renewed; nginx reloaded" in out
    # A reload is graceful: new workers take over within moments, old ones finish their requests.
    for _ in range(20):
        if served(host, "-serial") != serial:
            break
        time.sleep(0.5)
    assert served(host, "-serial") != serial
    ok, failures = request_loop_counts(client, 40)
    print(f"request loop across the renewal reload: {ok} sent OK, {len(failures)} failed")
    assert ok > 20
    assert failures == []


def test_a_renewal_whose_reload_fails_fails_and_the_next_run_reloads(host) -> None:
    serial = served(host, "-serial")
    broken = "/opt/pdezzy/nginx/conf.d/zz-broken.conf"  # nginx -t refuses it, so no reload happens
    host.check_output(f"echo 'bogus_directive on;' > {broken}")
    try:
        renew = host.run("/usr/local/sbin/pdezzy-certbot-renew --force-renewal")
        assert renew.rc != 0
        assert "nginx did not reload after 3 attempts" in renew.stderr, renew.stdout + renew.stderr
        assert served(host, "-serial") == serial  # the previous certificate, still served
        # The timer's run of the same state fails too, so its OnFailure= alert fires.
        assert host.run("systemctl start pdezzy-certbot-renew.service").rc != 0
        assert host.check_output("systemctl show -P Result pdezzy-certbot-renew.service") == "exit-code"
        assert host.check_output("systemctl show -P OnFailure pdezzy-certbot-renew.service").startswith("pdezzy-alert@")
    finally:
        host.check_output(f"rm -f {broken}")
    # Nothing is due now, yet the next run reloads nginx onto the certificate renewed before.
    cursor = journal_cursor(host)
    host.check_output("systemctl start pdezzy-certbot-renew.service")
    assert "nginx reloaded and serves it" in last_run_output(host, "nginx reloaded and serves it", cursor)
    assert served(host, "-serial") != serial
    # And the run after that has nothing to do (the script itself: its output without journald's delay).
    assert "nothing renewed" in host.check_output("/usr/local/sbin/pdezzy-certbot-renew")


def test_a_changed_domain_list_reissues_and_an_unchanged_one_does_nothing(host, run_playbook) -> None:
    domains = {"certbot_domains": ["certbot.test", "www.certbot.test", "api.certbot.test"]}
    result = run_playbook(CONVERGE, domains)
    assert result.returncode == 0, result.output
    assert "DNS:api.certbot.test" in served(host, "-ext subjectAltName")
    assert not [n for n in host.check_output(f"ls {LE}/live").split() if n.startswith("certbot.test-")]
    serial = served(host, "-serial")
    again = run_playbook(CONVERGE, domains)
    assert again.returncode == 0, again.output
    assert "changed=0" in again.output
    assert served(host, "-serial") == serial
    # Back to the converged list: a name removed re-issues too.
    shrunk = run_playbook(CONVERGE)
    assert shrunk.returncode == 0, shrunk.output
    for _ in range(20):
        if "DNS:api.certbot.test" not in served(host, "-ext subjectAltName"):
            break
        time.sleep(0.5)
    assert "DNS:api.certbot.test" not in served(host, "-ext subjectAltName")
    assert "DNS:www.certbot.test" in served(host, "-ext subjectAltName")


def test_names_typed_otherwise_are_the_same_certificate(host, run_playbook) -> None:
    """Upper case, a trailing dot or a repeated name change nothing: no new certificate, no new
    lineage, the same nginx site."""
    serial = served(host, "-serial")
    typed = {
        "certbot_domains": ["CERTBOT.test.", "WWW.Certbot.Test", "www.certbot.test"],
        "nginx_domain": "Certbot.TEST",
        "nginx_domain_aliases": ["www.certbot.test."],
    }
    result = run_playbook(CONVERGE, typed)
    assert result.returncode == 0, result.output
    assert "changed=0" in result.output, result.output
    assert served(host, "-serial") == serial
    live = host.check_output(f"ls {LE}/live").split()
    assert [name for name in live if name.lower().startswith("certbot.test")] == ["certbot.test"], live


def test_unreachable_acme_server_keeps_the_previous_certificate(host, run_playbook) -> None:
    serial = served(host, "-serial")
    gateway = host.check_output("ip route | awk '/default/ {print $3}'")
    result = run_playbook(
        CONVERGE,
        {
            "certbot_domains": ["certbot.test", "www.certbot.test", "new.certbot.test"],
            "certbot_acme_server": f"https://{gateway}:14999/dir",
        },
    )
    assert result.returncode != 0
    assert "certbot could not obtain the certificate" in result.output
    assert "nginx keeps serving the previous certificate" in result.output
    assert served(host, "-serial") == serial
    assert host.run("curl -sk -o /dev/null --resolve certbot.test:443:127.0.0.1 https://certbot.test/").rc == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"certbot_email": "ops.certbot.test"}, "certbot_email 'ops.certbot.test' is not an e-mail address"),
        ({"certbot_domains": ["pdezzy..test"]}, "certbot_domains: not a domain name: pdezzy..test"),
        ({"certbot_key_type": "dsa"}, "certbot_key_type"),
    ],
)
def test_bad_input_fails_before_anything_changes(host, run_playbook, extra: dict, message: str) -> None:
    serial = served(host, "-serial")
    result = run_playbook(CONVERGE, extra)
    assert_refused(result, message)
    assert served(host, "-serial") == serial

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.cert_info import cert_info
from ansible_collections.pdezzy.infra.plugins.filter.findings import findings_table
from ansible_collections.pdezzy.infra.plugins.filter.health_findings import container_findings


def inspect(name: str, **state: object) -> dict:
    """The parts of a real `docker inspect` document the filter reads."""
    document = {
        "Name": f"/{name}",
        "RestartCount": 0,
        "State": {"Status": "running", "Running": True, "Restarting": False, "ExitCode": 0, "StartedAt": "t0"},
        "HostConfig": {"PortBindings": {}},
    }
    document["State"].update(state)  # type: ignore[union-attr]
    return document


def by_check(findings: list[dict]) -> dict[tuple[str, str], dict]:
    return {(f["name"], f["check"]): f for f in findings}


def test_healthy_stack_passes() -> None:
    nginx = inspect("nginx")
    nginx["HostConfig"]["PortBindings"] = {
        "80/tcp": [{"HostIp": "", "HostPort": "80"}],
        "443/tcp": [{"HostIp": "0.0.0.0", "HostPort": "443"}],
    }
    postgres = inspect("postgres", Health={"Status": "healthy", "Log": []})
    postgres["HostConfig"]["PortBindings"] = {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}]}
    findings = container_findings([nginx, postgres])
    assert all(f["ok"] for f in findings), findings
    assert len(findings) == 5  # running + ports for nginx; running + health + ports for postgres


def test_unhealthy_restarting_and_stopped() -> None:
    app = inspect("app-1", Health={"Status": "unhealthy", "Log": [{"Output": '503 {"status": "error"}\n'}]})
    redis = inspect("redis", Restarting=True)
    redis["RestartCount"] = 4
    worker = inspect("worker", Running=False, Status="exited", ExitCode=137)
    result = by_check(container_findings([app, redis, worker]))
    assert result[("app-1", "health")] == {
        "name": "app-1", "check": "health", "ok": False, "detail": 'unhealthy: 503 {"status": "error"}'
    }  # fmt: skip
    assert result[("redis", "running")]["detail"] == "restarting (restarts: 4)"
    assert result[("worker", "running")]["detail"] == "exited, exit code 137"


def test_ports_beyond_loopback_are_reported() -> None:
    db = inspect("postgres")
    db["HostConfig"]["PortBindings"] = {
        "5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5433"}, {"HostIp": "::", "HostPort": "5433"}]
    }
    finding = by_check(container_findings([db]))[("postgres", "ports")]
    assert not finding["ok"]
    assert finding["detail"] == "5433->5432/tcp on all addresses; 5433->5432/tcp on all addresses"
    assert by_check(container_findings([db], public_ports=[5433]))[("postgres", "ports")]["ok"]


def test_missing_container_uses_the_given_name() -> None:
    assert container_findings([None], names=["redis"]) == [
        {"name": "redis", "check": "running", "ok": False, "detail": "does not exist"}
    ]


@pytest.mark.parametrize("bad", [None, "nginx", {"Name": "/x"}])
def test_container_findings_bad_input(bad: object) -> None:
    with pytest.raises(TypeError):
        container_findings(bad)


def test_container_findings_bad_entry() -> None:
    with pytest.raises(TypeError, match="inspection document"):
        container_findings(["nginx"])


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory: Path = tmp_path_factory.mktemp("cert")
    subprocess.run(
        ["openssl", "req", "-x509", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-days", "10", "-subj", "/CN=pineriverapp.com",
         "-addext", "subjectAltName=DNS:pineriverapp.com,DNS:www.pineriverapp.com",
         "-keyout", str(directory / "k.pem"), "-out", str(directory / "c.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    return (directory / "c.pem").read_text()


def test_cert_info_of_a_real_certificate(pem: str) -> None:
    info = cert_info(pem + pem)  # a chain: the first certificate counts
    assert info["subject"] == "pineriverapp.com"
    assert info["sans"] == ["pineriverapp.com", "www.pineriverapp.com"]
    assert info["days_left"] in (9, 10)


def test_cert_info_counts_from_a_given_time(pem: str) -> None:
    not_after = cert_info(pem)["not_after"]
    assert cert_info(pem, now=not_after)["days_left"] == 0
    assert cert_info(pem, now="2000-01-01T00:00:00")["days_left"] > 9000


@pytest.mark.parametrize("bad", ["", "not a pem", None, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"])
def test_cert_info_bad_input(bad: object) -> None:
    with pytest.raises(ValueError, match="cert_info"):
        cert_info(bad)


def test_findings_table_puts_failures_first_and_summarises() -> None:
    lines = findings_table(
        [
            {"name": "nginx", "check": "running", "ok": True, "detail": "up"},
            {"name": "https://pineriverapp.com", "check": "certificate", "ok": False, "detail": "5 days\nleft"},
        ]
    )
    assert lines[0].split() == ["RESULT", "NAME", "CHECK", "DETAIL"]
    assert lines[1].split(None, 3) == ["FAIL", "https://pineriverapp.com", "certificate", "5 days left"]
    assert lines[2].split() == ["PASS", "nginx", "running", "up"]
    assert lines[1].index("https://") == lines[2].index("nginx")  # aligned columns
    assert lines[-1] == "1 of 2 checks passed, 1 FAILED"


def test_findings_table_all_green() -> None:
    assert findings_table([{"ok": True}])[-1] == "1 of 1 checks passed"


@pytest.mark.parametrize("bad", [None, "x", [{"name": "no ok key"}], ["row"]])
def test_findings_table_bad_input(bad: object) -> None:
    with pytest.raises(TypeError):
        findings_table(bad)


def test_probe_finding_of_a_passed_and_a_failed_probe() -> None:
    from ansible_collections.pdezzy.infra.plugins.filter.health_findings import probe_finding

    passed = {
        "ok": True,
        "problems": [],
        "status": 200,
        "latency_ms": 12.5,
        "invocation": {"module_args": {"host": "127.0.0.1", "server_name": "site.test", "path": "/api/health/"}},
    }
    assert probe_finding(passed, "api") == {
        "name": "https://site.test/api/health/",
        "check": "api",
        "ok": True,
        "detail": "200 in 12.5 ms",
    }
    failed = {
        "ok": False,
        "problems": ["connect to 127.0.0.1:5433 failed: refused"],
        "latency_ms": 1,
        "invocation": {"module_args": {"kind": "tcp", "host": "127.0.0.1", "port": 5433, "scheme": "http"}},
    }
    assert probe_finding(failed, "loopback") == {
        "name": "127.0.0.1:5433",
        "check": "loopback",
        "ok": False,
        "detail": "connect to 127.0.0.1:5433 failed: refused",
    }
    ws = {
        "ok": True,
        "problems": [],
        "status": 101,
        "latency_ms": 3,
        "invocation": {"module_args": {"kind": "websocket", "host": "h", "path": "/ws/echo/", "scheme": "https"}},
    }
    assert probe_finding(ws, "websocket", name="echo")["name"] == "echo"
    assert probe_finding(ws, "websocket")["name"] == "wss://h/ws/echo/"


@pytest.mark.parametrize("bad", [None, [], {"status": 200}])
def test_probe_finding_bad_input(bad: object) -> None:
    from ansible_collections.pdezzy.infra.plugins.filter.health_findings import probe_finding

    with pytest.raises(TypeError, match="probe result"):
        probe_finding(bad, "api")


def test_cert_finding_thresholds(pem: str) -> None:
    from ansible_collections.pdezzy.infra.plugins.filter.health_findings import cert_finding

    info = cert_info(pem)  # 9-10 days left
    assert cert_finding(info, "https://pineriverapp.com", min_days=5)["ok"]
    low = cert_finding(info, "https://pineriverapp.com", min_days=14)
    assert not low["ok"]
    assert low["detail"].endswith("(needs more than 14)")
    assert cert_finding(None, "x") == {
        "name": "x",
        "check": "certificate",
        "ok": False,
        "detail": "no certificate was seen",
    }
    with pytest.raises(TypeError):
        cert_finding("tls", "x")

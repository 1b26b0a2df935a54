"""The replicas' healthcheck script (files/healthcheck.py), run as Docker runs it, against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = (Path(__file__).resolve().parents[1] / "files" / "healthcheck.py").read_text()
SEEN: list[dict[str, str]] = []


class Handler(BaseHTTPRequestHandler):
    """/<status>[/json] answers with that status; the body is JSON when asked, with the request's headers."""

    def do_GET(self) -> None:
        SEEN.append(dict(self.headers))
        parts = self.path.strip("/").split("/")
        status = int(parts[0])
        body = (
            json.dumps({"status": "ok", "checks": {"database": "ok"}, "workers": 4})
            if parts[1:] == ["json"]
            else "<html>hello</html>"
        )
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "https://elsewhere.test/")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def check(url: str, statuses: list[int], expect: dict | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", SCRIPT, url, "site.test", json.dumps(statuses), json.dumps(expect or {})]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def test_status_in_the_list_is_healthy_and_printed(base_url: str) -> None:
    result = check(f"{base_url}/200", [200])
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("200 <html>hello</html>")


def test_the_site_host_and_https_forwarding_are_sent(base_url: str) -> None:
    SEEN.clear()
    check(f"{base_url}/200", [200])
    assert SEEN[-1]["Host"] == "site.test"
    assert SEEN[-1]["X-Forwarded-Proto"] == "https"


@pytest.mark.parametrize("status", [404, 500, 503])
def test_other_statuses_are_unhealthy(base_url: str, status: int) -> None:
    result = check(f"{base_url}/{status}", [200])
    assert result.returncode == 1
    assert f"status {status} is not one of [200]" in result.stdout


def test_a_redirect_is_an_answer_not_followed(base_url: str) -> None:
    assert check(f"{base_url}/301", [200]).returncode == 1
    assert check(f"{base_url}/301", [200, 301]).returncode == 0


def test_json_expectations_with_dotted_keys(base_url: str) -> None:
    assert check(f"{base_url}/200/json", [200], {"status": "ok", "checks.database": "ok"}).returncode == 0
    assert check(f"{base_url}/200/json", [200], {"workers": "4"}).returncode == 0  # compared as text too
    result = check(f"{base_url}/200/json", [200], {"checks.redis": "ok"})
    assert result.returncode == 1
    assert "checks.redis is None, expected 'ok'" in result.stdout


def test_json_expected_but_html_answered(base_url: str) -> None:
    result = check(f"{base_url}/200", [200], {"status": "ok"})
    assert result.returncode == 1
    assert "the body is not JSON" in result.stdout


def test_nothing_listening_is_unhealthy() -> None:
    result = check("http://127.0.0.1:9/", [200])
    assert result.returncode == 1
    assert "URLError" in result.stdout

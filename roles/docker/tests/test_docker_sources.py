"""The upstream install path: the deb822 source the role writes, rendered for each supported OS.

The offline harness installs the distribution's engine, so this is where the upstream
repository definition is checked.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[1]


def render(distribution: str, release: str, architecture: str) -> dict[str, str]:
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    role_vars = yaml.safe_load((ROLE / "vars/main.yml").read_text())
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    context = {
        **defaults,
        "__docker_arch_map": role_vars["__docker_arch_map"],
        "__docker_keyring": role_vars["__docker_keyring"],
        "ansible_managed": "Ansible managed",
        "ansible_facts": {
            "distribution": distribution,
            "distribution_release": release,
            "architecture": architecture,
        },
    }
    text = env.from_string((ROLE / "templates/docker.sources.j2").read_text()).render(context)
    fields = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


@pytest.mark.parametrize(
    ("distribution", "release", "architecture", "uri", "arch"),
    [
        ("Debian", "bookworm", "x86_64", "https://download.docker.com/linux/debian", "amd64"),
        ("Debian", "trixie", "aarch64", "https://download.docker.com/linux/debian", "arm64"),
        ("Ubuntu", "jammy", "x86_64", "https://download.docker.com/linux/ubuntu", "amd64"),
        ("Ubuntu", "noble", "x86_64", "https://download.docker.com/linux/ubuntu", "amd64"),
    ],
)
def test_deb822_source(distribution: str, release: str, architecture: str, uri: str, arch: str) -> None:
    fields = render(distribution, release, architecture)
    assert fields == {
        "Types": "deb",
        "URIs": uri,
        "Suites": release,
        "Components": "stable",
        "Architectures": arch,
        "Signed-By": "/etc/apt/keyrings/docker.asc",
    }


def test_key_url_matches_the_repository() -> None:
    tasks = yaml.safe_load((ROLE / "tasks/upstream.yml").read_text())
    key_task = next(t for t in tasks if "ansible.builtin.get_url" in t)
    assert key_task["ansible.builtin.get_url"]["url"].endswith("/gpg")
    assert key_task["ansible.builtin.get_url"]["dest"] == "{{ __docker_keyring }}"

"""The production and staging inventories as Ansible reads them, with no vault.yml yet: every
value a role checks comes from one place (the shared vault example, the shared main.yml)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("production", "staging")


def ansible_var(environment: str, name: str) -> object:
    """``name`` as the inventory's hosts see it, templated (ansible's debug; nothing connects)."""
    env = dict(os.environ, ANSIBLE_STRATEGY="linear", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    env["ANSIBLE_STDOUT_CALLBACK"] = "json"
    result = subprocess.run(
        ["ansible", "pdezzy", "-i", f"inventory/{environment}", "-m", "ansible.builtin.debug", "-a", f"var={name}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    # ansible.cfg's task timer prints a line before the JSON document and its summary after.
    document = result.stdout[result.stdout.index("\n{") + 1 :]
    hosts = json.JSONDecoder().raw_decode(document)[0]["plays"][0]["tasks"][0]["hosts"]
    (answer,) = hosts.values()
    return answer[name]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_vault_example_is_the_shared_one(environment: str) -> None:
    example = REPO / "inventory" / environment / "group_vars" / "all" / "vault.example.yml"
    assert example.resolve() == (REPO / "inventory" / "common" / "vault.example.yml").resolve()


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_allow_list_comes_from_main_yml_not_the_vault(environment: str) -> None:
    assert ansible_var(environment, "base_ssh_allowed_cidrs") == ["REPLACE-WITH-YOUR-ADDRESS/32"]
    assert "vault_ssh_allowed_cidrs" not in (REPO / "inventory" / "common" / "vault.example.yml").read_text()


def test_staging_takes_its_basic_auth_users_from_the_shared_vault_example() -> None:
    assert ansible_var("staging", "nginx_basic_auth_users") == [{"name": "qa", "password": "REPLACE-ME"}]
    assert ansible_var("staging", "nginx_basic_auth_enabled") is True

"""The production and staging inventories as Ansible reads them, with no vault.yml yet: every
value a role checks comes from one place (the shared vault example, the shared main.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_json import first_task_answer

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("production", "staging")


def ansible_var(environment: str, name: str) -> object:
    """``name`` as the inventory's hosts see it, templated (ansible's debug; nothing connects)."""
    command = [
        "ansible",
        "pdezzy",
        "-i",
        f"inventory/{environment}",
        "-m",
        "ansible.builtin.debug",
        "-a",
        f"var={name}",
    ]
    return first_task_answer(command)[name]


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

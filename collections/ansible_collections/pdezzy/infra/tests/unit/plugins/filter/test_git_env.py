from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.git_env import FilterModule, git_env

KEY = "/home/pdezzy-app/.deploy_key"
TOKEN = "/home/pdezzy-app/.git-token"


def test_neither_credential_only_stops_prompts() -> None:
    assert git_env({}) == {"GIT_TERMINAL_PROMPT": "0"}
    assert git_env({"key_file": "", "token_file": "", "username": "x-access-token"}) == {"GIT_TERMINAL_PROMPT": "0"}


def test_a_deploy_key_without_known_hosts_accepts_a_new_host_once() -> None:
    assert git_env({"key_file": KEY}) == {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_SSH_COMMAND": f"ssh -i {KEY} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new",
    }


def test_a_deploy_key_with_known_hosts_checks_them() -> None:
    env = git_env({"key_file": KEY, "known_hosts_file": "/home/pdezzy-app/.known_hosts"})
    assert env["GIT_SSH_COMMAND"] == (
        f"ssh -i {KEY} -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes "
        "-o UserKnownHostsFile=/home/pdezzy-app/.known_hosts"
    )


def test_known_hosts_without_a_key_change_nothing() -> None:
    assert git_env({"known_hosts_file": "/k"}) == {"GIT_TERMINAL_PROMPT": "0"}


def test_the_token_helper_answers_get_with_the_files_content_and_nothing_else(tmp_path: Path) -> None:
    token = tmp_path / "the token"
    token.write_text("s3cr3t-t0ken\n")
    env = git_env({"token_file": str(token), "username": "o'brien"})
    assert env["GIT_CONFIG_COUNT"] == "1"
    assert env["GIT_CONFIG_KEY_0"] == "credential.helper"
    helper = env["GIT_CONFIG_VALUE_0"]
    assert "s3cr3t" not in str(env)
    assert helper.startswith("!")
    # git runs a "!" helper through the shell with the action as its argument.
    shell = ["sh", "-c", helper[1:] + ' "$@"', "helper"]
    run = subprocess.run([*shell, "get"], capture_output=True, text=True, check=True)
    assert run.stdout == "username=o'brien\npassword=s3cr3t-t0ken\n"
    store = subprocess.run([*shell, "store"], capture_output=True, text=True, check=False)
    assert store.stdout == ""


def test_both_credentials_together() -> None:
    env = git_env({"key_file": KEY, "token_file": TOKEN, "username": "deploy"})
    assert set(env) == {
        "GIT_TERMINAL_PROMPT",
        "GIT_SSH_COMMAND",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_KEY_0",
        "GIT_CONFIG_VALUE_0",
    }


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        (None, TypeError),
        ("key_file=/k", TypeError),
        ({"key_file": "relative/key"}, ValueError),
        ({"token_file": 7}, ValueError),
        ({"token": "s3cr3t"}, ValueError),
        ({"token_file": TOKEN, "username": "a\nb"}, ValueError),
    ],
)
def test_bad_input_is_refused(settings: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="git_env"):
        git_env(settings)


def test_entry_point() -> None:
    assert FilterModule().filters() == {"git_env": git_env}

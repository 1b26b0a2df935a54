from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.sftp_login import sftp_login
from ansible_collections.pdezzy.infra.plugins.filter.sftp_ssh_command import FilterModule, sftp_ssh_command

FILES = {"key_file": "/etc/pdezzy-restic/id_sftp", "known_hosts_file": "/etc/pdezzy-restic/known_hosts"}
OPTIONS = (
    "-i /etc/pdezzy-restic/id_sftp -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes "
    "-o UserKnownHostsFile=/etc/pdezzy-restic/known_hosts -o ServerAliveInterval=60"
)


@pytest.mark.parametrize(
    ("repository", "tail"),
    [
        ("sftp:restic@peer-default:/srv/restic/pdezzy", "-p 22 restic@peer-default -s sftp"),
        ("sftp://backup.example.com:2222//srv/restic", "-p 2222 backup.example.com -s sftp"),
        ("sftp://u_1@[2001:db8::7]//srv", "-p 22 u_1@2001:db8::7 -s sftp"),
    ],
)
def test_the_login_of_each_form_becomes_one_ssh_command(repository: str, tail: str) -> None:
    assert sftp_ssh_command(sftp_login(repository), **FILES) == f"ssh {OPTIONS} {tail}"


def test_no_login_gives_no_command() -> None:
    assert sftp_ssh_command(sftp_login("s3:https://s3.example.com/bucket"), **FILES) == ""


def test_a_path_with_a_space_is_quoted_for_the_shell() -> None:
    command = sftp_ssh_command({"user": "", "host": "h", "port": 22}, "/etc/my keys/id", "/k")
    assert "-i '/etc/my keys/id'" in command


@pytest.mark.parametrize(
    ("login", "files"),
    [
        ({"user": "", "host": "-oProxyCommand=x", "port": 22}, FILES),
        ({"user": "-x", "host": "h", "port": 22}, FILES),
        ({"user": "", "host": "", "port": 22}, FILES),
        ({"user": "", "host": "h", "port": 0}, FILES),
        ({"user": "", "host": "h", "port": "22"}, FILES),
        ({"user": "", "host": "h", "port": 22}, {"key_file": "id_sftp", "known_hosts_file": "/k"}),
        ({"user": "", "host": "h", "port": 22}, {"key_file": "/id", "known_hosts_file": None}),
    ],
)
def test_a_login_or_a_path_ssh_would_misread_is_refused(login: dict, files: dict) -> None:
    with pytest.raises(ValueError, match="sftp_ssh_command"):
        sftp_ssh_command(login, **files)


def test_input_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(TypeError):
        sftp_ssh_command("sftp:h:/x", **FILES)  # type: ignore[arg-type]
    assert FilterModule().filters() == {"sftp_ssh_command": sftp_ssh_command}

from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.sftp_login import FilterModule, sftp_login


@pytest.mark.parametrize(
    ("repository", "login"),
    [
        ("sftp:restic@peer-backup:/srv/restic/pdezzy", {"user": "restic", "host": "peer-backup", "port": 22}),
        ("sftp:backup.example.com:/srv/restic", {"user": "", "host": "backup.example.com", "port": 22}),
        ("sftp:restic@203.0.113.7:relative/path", {"user": "restic", "host": "203.0.113.7", "port": 22}),
        (
            "sftp://restic@backup.example.com:2222//srv/restic",
            {"user": "restic", "host": "backup.example.com", "port": 2222},
        ),
        ("sftp://backup.example.com//srv/restic", {"user": "", "host": "backup.example.com", "port": 22}),
        ("sftp://u_1@[2001:db8::7]:22//srv", {"user": "u_1", "host": "2001:db8::7", "port": 22}),
    ],
)
def test_both_forms_give_the_login(repository: str, login: dict) -> None:
    assert sftp_login(repository) == login


@pytest.mark.parametrize(
    "repository",
    [
        "sftp:-oProxyCommand=touch_x:/srv",
        "sftp:restic@-oProxyCommand=x:/srv",
        "sftp://-oProxyCommand=x//srv",
        "sftp://-user@host//srv",
        "sftp:-restic@host:/srv",
        "sftp:restic@host name:/srv",
        "sftp:restic@host;reboot:/srv",
        "sftp:restic@host",
        "sftp://restic@host:99999//srv",
        "sftp://restic@host:22",
        "s3:https://s3.example.com/bucket",
        "ftp://host/path",
        "",
    ],
)
def test_a_login_ssh_would_misread_or_another_kind_gives_nothing(repository: str) -> None:
    assert sftp_login(repository) == {}


def test_input_that_is_not_text_is_refused() -> None:
    with pytest.raises(TypeError):
        sftp_login(None)
    assert FilterModule().filters() == {"sftp_login": sftp_login}

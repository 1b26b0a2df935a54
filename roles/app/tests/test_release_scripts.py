"""The release step's scripts (files/superuser.py, files/database.py), run as the role runs them:
`manage.py shell --command "$(cat SCRIPT)"` in the third-party fixture app, on SQLite.

Django comes from the interpreter in PDEZZY_DJANGO_PYTHON (`scripts/harness unit` sets it to
the demo app's venv, which has every package the fixture imports).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROLE = Path(__file__).resolve().parents[1]
FIXTURE = ROLE.parents[1] / "examples" / "thirdparty-app" / "pdezzy"
PASSWORD = "first-long-password-1"
Manage = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def manage(tmp_path: Path) -> Manage:
    python = os.environ.get("PDEZZY_DJANGO_PYTHON")
    assert python, "set PDEZZY_DJANGO_PYTHON to a Python with Django (scripts/harness unit does)"
    project = tmp_path / "app"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3", "media", "static"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DJANGO_"))}
    base |= {"DJANGO_SUPERUSER_USERNAME": "admin", "DJANGO_SUPERUSER_EMAIL": "a@x.test"}

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [python, "manage.py", *args], cwd=project, env=base | env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    run("migrate", "--noinput", "-v", "0")
    return run


def script(name: str) -> str:
    return (ROLE / "files" / name).read_text()


def user_state(manage: Manage) -> dict:
    code = (
        "import json; from django.contrib.auth import get_user_model as g; u = g().objects.get(username='admin'); "
        "print(json.dumps({'email': u.email, 'staff': u.is_staff, 'super': u.is_superuser, "
        f"'password': u.check_password('{PASSWORD}'), 'count': g().objects.count()}}))"
    )
    return json.loads(manage("shell", "-v", "0", "--command", code).stdout)


def test_superuser_is_created_then_left_alone(manage: Manage) -> None:
    first = manage("shell", "-v", "0", "--command", script("superuser.py"), DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    assert first.stdout.strip() == "superuser: created"
    second = manage("shell", "-v", "0", "--command", script("superuser.py"), DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    assert second.stdout.strip() == "superuser: unchanged"
    assert user_state(manage) == {"email": "a@x.test", "staff": True, "super": True, "password": True, "count": 1}
    assert PASSWORD not in first.stdout + first.stderr + second.stdout + second.stderr


def test_existing_user_gets_the_inventory_password_email_and_flags(manage: Manage) -> None:
    manage("shell", "-v", "0", "--command", script("superuser.py"), DJANGO_SUPERUSER_PASSWORD="an-older-password-0")
    manage(
        "shell",
        "-v",
        "0",
        "--command",
        "from django.contrib.auth import get_user_model as g; "
        "g().objects.filter(username='admin').update(is_staff=False)",
    )
    result = manage(
        "shell",
        "-v",
        "0",
        "--command",
        script("superuser.py"),
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        DJANGO_SUPERUSER_EMAIL="new@x.test",
    )
    assert result.stdout.strip() == "superuser: updated password, e-mail, is_staff"
    assert user_state(manage) == {"email": "new@x.test", "staff": True, "super": True, "password": True, "count": 1}


def test_database_report_names_what_django_is_connected_to(manage: Manage) -> None:
    out = manage("shell", "-v", "0", "--command", script("database.py")).stdout
    line = next(line for line in out.splitlines() if line.startswith("PDEZZY-DATABASE "))
    report = json.loads(line.removeprefix("PDEZZY-DATABASE "))
    # The fixture without DB_ENGINE falls back to SQLite: what the role refuses to deploy.
    assert report["vendor"] == "sqlite"
    assert report["name"].endswith("db.sqlite3")
    assert (report["host"], report["port"], report["user"]) == ("", "", "")
    assert report["applied"] >= 19
    assert report["unapplied"] == 0


def test_database_report_counts_unapplied_migrations(manage: Manage) -> None:
    manage("migrate", "listings", "zero", "--noinput", "-v", "0")
    out = manage("shell", "-v", "0", "--command", script("database.py")).stdout
    report = json.loads(out.split("PDEZZY-DATABASE ", 1)[1])
    assert report["unapplied"] == 1
    assert report["ahead"] == []


def report_of(manage: Manage) -> dict:
    out = manage("shell", "-v", "0", "--command", script("database.py")).stdout
    return json.loads(out.split("PDEZZY-DATABASE ", 1)[1])


def test_database_report_names_migrations_the_code_does_not_know(manage: Manage, tmp_path: Path) -> None:
    """What a rollback sees: the database migrated by a newer release than the code it runs."""
    migrations = tmp_path / "app" / "listings" / "migrations"
    newer = migrations / "0002_newer.py"
    newer.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('listings', '0001_initial')]\n"
        "    operations = []\n"
    )
    manage("migrate", "--noinput", "-v", "0")
    assert report_of(manage)["ahead"] == []
    newer.unlink()  # the older release's code
    report = report_of(manage)
    assert report["ahead"] == ["listings.0002_newer"]
    assert report["unapplied"] == 0


def test_database_report_does_not_count_squashed_migrations_as_ahead(manage: Manage, tmp_path: Path) -> None:
    migrations = tmp_path / "app" / "listings" / "migrations"
    initial = (migrations / "0001_initial.py").read_text()
    # The same operations squashed under a new name that replaces 0001_initial, which is then deleted.
    squashed = initial.replace(
        "class Migration(migrations.Migration):",
        "class Migration(migrations.Migration):\n    replaces = [('listings', '0001_initial')]",
        1,
    )
    (migrations / "0001_squashed.py").write_text(squashed)
    (migrations / "0001_initial.py").unlink()
    report = report_of(manage)
    assert report["ahead"] == []
    assert report["unapplied"] == 0

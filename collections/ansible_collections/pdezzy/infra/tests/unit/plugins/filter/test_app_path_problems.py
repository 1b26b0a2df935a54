from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.app_path_problems import FilterModule, app_path_problems

# As the probe prints them for a common layout (BASE_DIR / "staticfiles") and the demo app's.
THIRD_PARTY = {"static_root": "/app/staticfiles", "media_root": "/app/media", "workdir": "/app"}
DEMO = {"static_root": "/app/static", "media_root": "/app/media", "workdir": "/app"}


def test_paths_of_their_own_pass_whatever_their_names() -> None:
    assert app_path_problems(THIRD_PARTY) == []
    assert app_path_problems(DEMO) == []
    assert app_path_problems({"static_root": "/srv/static/", "media_root": "/srv/media", "workdir": "/code"}) == []


def test_an_unset_setting_is_named() -> None:
    problems = app_path_problems({"static_root": "", "media_root": "/app/media", "workdir": "/app"}, version="v7")
    assert len(problems) == 1
    assert problems[0].startswith("Django's STATIC_ROOT is not set in v7: set it in the app's settings")
    problems = app_path_problems({"static_root": "/app/static", "workdir": "/app"})
    assert len(problems) == 1
    assert "MEDIA_ROOT is not set" in problems[0]


def test_a_path_over_the_code_is_refused() -> None:
    for root in ("/", "/app", "/app/", "/app/../app"):
        problems = app_path_problems({**DEMO, "static_root": root})
        assert len(problems) == 1, root
        assert "holds the app's code (/app): a volume mounted there would hide it" in problems[0]
    # A sibling whose name starts like the working directory's is no parent of it.
    assert app_path_problems({**DEMO, "workdir": "/application"}) == []


def test_a_relative_path_is_refused() -> None:
    problems = app_path_problems({**DEMO, "media_root": "media"})
    assert problems == ["Django's MEDIA_ROOT in the image is 'media', not an absolute path."]


def test_the_inventory_value_must_agree_with_django() -> None:
    assert app_path_problems(THIRD_PARTY, static_root="/app/staticfiles/") == []
    problems = app_path_problems(THIRD_PARTY, static_root="/app/static", version="v2")
    assert problems == [
        "app_static_root is /app/static but Django's STATIC_ROOT in v2 is /app/staticfiles: remove app_static_root "
        "(the role asks Django) or make the app's settings agree."
    ]
    assert "app_media_root is /data/media" in app_path_problems(THIRD_PARTY, media_root="/data/media")[0]


def test_overlapping_paths_are_refused() -> None:
    problems = app_path_problems({"static_root": "/srv/files/static", "media_root": "/srv/files", "workdir": "/app"})
    assert len(problems) == 1
    assert "overlap" in problems[0]
    assert "overlap" in app_path_problems({**DEMO, "media_root": "/app/static"})[0]


def test_an_empty_report_names_both_settings() -> None:
    problems = app_path_problems({})
    assert [p.split(" is not set")[0] for p in problems] == ["Django's STATIC_ROOT", "Django's MEDIA_ROOT"]


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="expects the probe's report as a dict, got str"):
        app_path_problems("/app/static")
    assert FilterModule().filters()["app_path_problems"] is app_path_problems

from __future__ import annotations

import pytest
from ansible_collections.pdezzy.infra.plugins.filter.last_lines import FilterModule, last_lines

TRACEBACK = (
    "Operations to perform:\n  Apply all migrations: app\n"
    "Traceback (most recent call last):\n"
    '  File "/app/manage.py", line 22, in <module>\t\n'
    "    main()   \n"
    "\x1b[31mRuntimeError: this migration is broken\x1b[0m\r\n"
)


def test_a_traceback_comes_back_line_by_line_without_colours_or_trailing_space() -> None:
    assert last_lines(TRACEBACK, 3).split("\n") == [
        '  File "/app/manage.py", line 22, in <module>',
        "    main()",
        "RuntimeError: this migration is broken",
    ]


def test_all_lines_when_fewer_than_count_and_empty_lines_dropped() -> None:
    assert last_lines("one\n\n   \ntwo\n", 30) == "one\ntwo"
    assert last_lines("", 5) == ""
    assert last_lines(None) == ""


def test_a_progress_bar_redrawn_with_carriage_returns_shows_its_last_state() -> None:
    assert last_lines("Downloading 10%\rDownloading 55%\rDownloading 100%\ndone") == "Downloading 100%\ndone"


def test_outputs_in_a_list_are_read_in_order() -> None:
    assert last_lines(["err one\nerr two", None, "out one"], 2) == "err two\nout one"


def test_control_characters_are_dropped() -> None:
    assert last_lines("a\x07b\x00c\x1b]0;title\x07d") == "abcd"


@pytest.mark.parametrize("count", [0, -1, "3", True, 2.5])
def test_a_count_that_is_not_a_positive_integer_is_refused(count: object) -> None:
    with pytest.raises(ValueError, match="count"):
        last_lines("x", count)  # type: ignore[arg-type]


@pytest.mark.parametrize("output", [42, {"a": "b"}, ["ok", 3]])
def test_input_that_is_not_text_is_refused(output: object) -> None:
    with pytest.raises(TypeError):
        last_lines(output)
    assert FilterModule().filters() == {"last_lines": last_lines}

"""Ids typed in URLs, forms and files (``staywell.db.parse_id``)."""

from __future__ import annotations

import pytest

from staywell.db import parse_id


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("42", 42), (" 7 ", 7), (42, 42), ("0", 0)],
)
def test_ascii_digits_are_an_id(typed, expected):
    assert parse_id(typed) == expected


@pytest.mark.parametrize("typed", ["", None, "-1", "1.0", "abc", "²", "٣", "1e3"])
def test_anything_else_is_not_an_id(typed):
    # "²".isdigit() is true yet int("²") fails; "٣" (Arabic-Indic three) is not ASCII.
    assert parse_id(typed) is None

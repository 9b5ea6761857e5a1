"""Django's ``{# #}`` comment is one line only: spread over two lines it is printed on the
page as text. Every template keeps its comments to a line or uses ``{% comment %}``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import claims_family

OPEN_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def template_files() -> list[Path]:
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(settings.BASE_DIR) / app / "templates" for app in ("accounts", "vesting")]
    roots += [Path(settings.BASE_DIR) / app / "templates" for app in ("claims", "reports")]
    return sorted(
        p
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if p.suffix in {".html", ".txt", ".xml", ".csv", ".svg"}
    )


def test_no_template_opens_a_one_line_comment_it_closes_on_a_later_line():
    files = template_files()
    assert len(files) > 20  # the templates were found
    spread = [
        f"{path.relative_to(settings.BASE_DIR)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in files
        for text in [path.read_text()]
        for m in OPEN_COMMENT.finditer(text)
    ]
    assert spread == []


@pytest.mark.django_db
def test_enter_claims_page_shows_no_template_comment(clerk_client):
    employee, _, _ = claims_family()
    for query in ({}, {"employee": employee.pk}):
        html = clerk_client.get("/claims/enter/", query).content.decode()
        assert "Employee (policyholder)" in html or "Claim for" in html or "Patient" in html
        assert "{#" not in html
        assert "Step 1: find the family" not in html

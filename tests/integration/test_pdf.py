"""WeasyPrint renders the project's PDF layout with page numbers and the printed-on date."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from staywell.pdf import render_pdf


def test_pdf_has_title_page_numbers_and_printed_on_date(tmp_path, settings):
    (tmp_path / "sample.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}<h1>Sample register</h1>'
        "{% for n in rows %}<p>Row {{ n }}</p>{% endfor %}{% endblock %}"
    )
    template = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template, "DIRS": [*template["DIRS"], tmp_path]}]

    pdf = render_pdf(
        "sample.html",
        {
            "rows": range(120),
            "header_left": "Mendocino County Office of Education",
            "header_right": "1985-86",
        },
        printed_on=date(1986, 7, 15),
    )
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 2
    first = reader.pages[0].extract_text()
    last = reader.pages[-1].extract_text()
    assert "Sample register" in first
    assert "Mendocino County Office of Education" in first
    assert "Printed on July 15, 1986" in first
    assert f"Page 1 of {pages}" in first
    assert f"Page {pages} of {pages}" in last
    assert "Row 119" in last

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


def _sample_pdf(tmp_path, settings, context: dict) -> tuple[str, str]:
    """The HTML and the first page's text of a one-page document on ``pdf/base.html``."""
    from django.template.loader import render_to_string

    (tmp_path / "one.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}<h1>Register</h1>{% endblock %}'
    )
    template = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template, "DIRS": [*template["DIRS"], tmp_path]}]
    html = render_to_string("one.html", {**context, "printed_on": date(1986, 7, 15)})
    pdf = render_pdf("one.html", context, printed_on=date(1986, 7, 15))
    return html, PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_pdf_header_reads_stay_well_not_an_escape_code(tmp_path, settings):
    html, text = _sample_pdf(tmp_path, settings, {})
    assert '@top-left { content: "Stay-Well";' in html
    assert "Stay-Well" in text
    assert "u002D" not in text and "u002D" not in html


def test_pdf_header_prints_quotes_ampersands_and_brackets_as_typed(tmp_path, settings):
    """A name cannot end the CSS string or the style element, nor turn into ``&amp;``."""
    name = 'O\'Neil & "Sons" <Ukiah> {x}; \\ </style>'
    html, text = _sample_pdf(tmp_path, settings, {"header_left": name, "header_right": "1985-86"})
    assert "</style>" not in html.split("<body>")[0].replace("</style>\n", "", 1)
    assert "&amp;" not in html.split("</style>")[0]
    assert name in text
    assert "1985-86" in text


def test_the_same_document_again_comes_from_the_cache_encrypted(tmp_path, settings, monkeypatch):
    """A PDF is kept under the digest of its HTML (staywell.pdf): the same HTML again is
    not rendered again; other HTML is; what the cache holds is not readable PDF."""
    import uuid

    import weasyprint
    from django.core.cache import cache
    from django.template.loader import render_to_string

    from staywell import pdf as pdf_module

    (tmp_path / "statement.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}<p>Vested {{ amount }}</p>{% endblock %}'
    )
    template = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template, "DIRS": [*template["DIRS"], tmp_path]}]
    renders = []
    write_pdf = weasyprint.HTML.write_pdf

    def counted(self, *args, **kwargs):
        renders.append(1)
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counted)

    def text(context):
        made = render_pdf("statement.html", context, printed_on=date(1986, 7, 15))
        return PdfReader(io.BytesIO(made)).pages[0].extract_text()

    amount, other = (f"{uuid.uuid4().int % 10**8}.17" for _ in range(2))  # never cached before
    assert f"Vested {amount}" in text({"amount": amount})
    assert f"Vested {amount}" in text({"amount": amount})
    assert len(renders) == 1
    assert f"Vested {other}" in text({"amount": other}) and len(renders) == 2

    html = render_to_string("statement.html", {"amount": amount, "printed_on": date(1986, 7, 15)})
    kept = cache.get(pdf_module.cache_key(html))
    assert kept is not None and b"%PDF" not in kept and amount.encode() not in kept


def test_pdfs_are_laid_out_at_a_lower_cpu_priority_than_the_request_thread():
    """staywell.pdf: WeasyPrint's layout runs in a thread ``PDF_NICENESS`` nicer than the
    process, so that other workers' requests get the cores first; the caller keeps its own
    priority and gets the layout's exception as if it had called it."""
    import os
    import threading

    import pytest

    from staywell.pdf import PDF_NICENESS, at_low_priority

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    here = niceness()
    assert at_low_priority(niceness) == min(19, here + PDF_NICENESS)
    assert niceness() == here
    with pytest.raises(ZeroDivisionError):
        at_low_priority(lambda: 1 / 0)

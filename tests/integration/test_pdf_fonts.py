"""Names outside Latin script print in the PDFs, not as boxes: the PDF stylesheet names
Noto Sans CJK (Debian ``fonts-noto-cjk``) and Noto Color Emoji (``fonts-noto-color-emoji``)
after DejaVu, and the text of the name can be read back from the PDF."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from reports.services import statement_pdf
from tests.factories import hire


def installed(family: str) -> bool:
    try:
        found = subprocess.run(
            ["fc-list", f":family={family}", "family"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return False
    return bool(found.stdout.strip())


needs_cjk = pytest.mark.skipif(
    not installed("Noto Sans CJK JP"),
    reason="the Debian package fonts-noto-cjk is not installed (.ci/run installs it as root)",
)


def fonts_of(pdf: bytes) -> set[str]:
    """The base names of every font the PDF's pages use (subset prefix and hyphens removed:
    "NotoSansCJKJP")."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            base = str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1]
            names.add(base.replace("-", ""))
    return names


@needs_cjk
@pytest.mark.django_db
def test_statement_of_an_employee_with_a_japanese_name_uses_noto_cjk_and_reads_back():
    employee = hire(first_name="太郎", last_name="山田", hire_date=date(1982, 7, 1))
    pdf = statement_pdf(employee=employee, today=date(1984, 10, 1))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert employee.full_name in text
    assert "山田" in text and "太郎" in text
    assert any(name.startswith("NotoSansCJK") for name in fonts_of(pdf)), fonts_of(pdf)
    assert any(name.startswith("DejaVuSans") for name in fonts_of(pdf))  # the Latin text


@pytest.mark.skipif(
    not installed("Noto Color Emoji"),
    reason="the Debian package fonts-noto-color-emoji is not installed (.ci/run installs it)",
)
@pytest.mark.django_db
def test_statement_of_an_employee_with_an_emoji_in_the_name_uses_noto_color_emoji():
    employee = hire(first_name="Ana 🌻", last_name="Rivera", hire_date=date(1982, 7, 1))
    pdf = statement_pdf(employee=employee, today=date(1984, 10, 1))
    assert any(name.startswith("NotoColorEmoji") for name in fonts_of(pdf)), fonts_of(pdf)

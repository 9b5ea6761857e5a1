"""PDF documents (registers, fund reports, statements) rendered by WeasyPrint.

Templates extend ``pdf/base.html``, which prints the employer, the period, page numbers
("Page 2 of 5") and the printed-on date on every page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template_name: str, context: dict[str, Any], *, printed_on: date) -> bytes:
    """Render a template to PDF bytes. ``printed_on`` is passed in (no clock here)."""
    from weasyprint import HTML  # imported lazily: loading Pango takes a moment

    html = render_to_string(template_name, {**context, "printed_on": printed_on})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()

"""PDF documents (registers, fund reports, statements) rendered by WeasyPrint.

Templates extend ``pdf/base.html``, which prints the employer, the period, page numbers
("Page 2 of 5") and the printed-on date on every page.

A PDF is a function of its HTML (the styles are inline in ``pdf/base.html``), and
WeasyPrint takes a quarter of a second or more where the HTML takes milliseconds: a PDF
is kept in the cache for ``PDF_CACHE_SECONDS`` under the SHA-256 of its HTML, so that an
employee opening the same statement again, or a superintendent the same report, gets it
at once. Nothing stale can be served: any change to what the document says changes its
HTML, and so its key. The document holds health and money data: it is kept encrypted
(Fernet, the key of ``staywell.crypto``). A cache that cannot be reached only costs the
rendering.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string

from staywell import crypto

logger = logging.getLogger(__name__)

PDF_CACHE_SECONDS = 60 * 60
PDF_CACHE_MAX_BYTES = 2_000_000  # a larger document (a long register) is not kept


def render_pdf(template_name: str, context: dict[str, Any], *, printed_on: date) -> bytes:
    """Render a template to PDF bytes. ``printed_on`` is passed in (no clock here)."""
    html = render_to_string(template_name, {**context, "printed_on": printed_on})
    key = cache_key(html)
    pdf = _cached(key)
    if pdf is None:
        from weasyprint import HTML  # imported lazily: loading Pango takes a moment

        pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
        if len(pdf) <= PDF_CACHE_MAX_BYTES:
            _keep(key, pdf)
    return pdf


def cache_key(html: str) -> str:
    from weasyprint import __version__ as weasyprint_version

    digest = hashlib.sha256(html.encode("utf-8")).hexdigest()
    return f"pdf:{weasyprint_version}:{digest}"


def _cached(key: str) -> bytes | None:
    try:
        token = cache.get(key)
        return crypto.fernet().decrypt(token) if token is not None else None
    except InvalidToken:
        return None  # kept under another encryption key: rendered again
    except Exception:
        logger.warning("PDF cache unavailable", exc_info=True)
        return None


def _keep(key: str, pdf: bytes) -> None:
    try:
        cache.set(key, crypto.fernet().encrypt(pdf), PDF_CACHE_SECONDS)
    except Exception:
        logger.warning("PDF cache unavailable", exc_info=True)

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

WeasyPrint's layout is CPU work that no one waits on as keenly as a clerk waits on a saved
claim: it runs in a thread of its own whose niceness is ``PDF_NICENESS`` above the
process's (Linux gives each thread its own priority, and raising one's niceness needs no
privilege), so that a web worker laying out a statement yields the cores to the requests
of the other workers and to the database. Decision: one such thread per process, so
that a process lays out one PDF at a time (a sync web worker serves one request at a
time anyway); the request thread waits for it, holding no lock and no transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, TypeVar

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string

from staywell import crypto

logger = logging.getLogger(__name__)

PDF_CACHE_SECONDS = 60 * 60
PDF_CACHE_MAX_BYTES = 2_000_000  # a larger document (a long register) is not kept
PDF_NICENESS = 10  # how much nicer than its process the layout thread runs (at most 19)

T = TypeVar("T")
_low_priority: tuple[int, ThreadPoolExecutor] | None = None  # (the process's pid, its pool)


def render_pdf(template_name: str, context: dict[str, Any], *, printed_on: date) -> bytes:
    """Render a template to PDF bytes. ``printed_on`` is passed in (no clock here)."""
    html = render_to_string(template_name, {**context, "printed_on": printed_on})
    key = cache_key(html)
    pdf = _cached(key)
    if pdf is None:
        from weasyprint import HTML  # imported lazily: loading Pango takes a moment

        pdf = at_low_priority(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf)
        if len(pdf) <= PDF_CACHE_MAX_BYTES:
            _keep(key, pdf)
    return pdf


def at_low_priority(function: Callable[[], T]) -> T:
    """``function()`` run in this process's low-priority thread (see the module doc); its
    result, or its exception, as if called here."""
    global _low_priority
    if _low_priority is None or _low_priority[0] != os.getpid():  # none yet, or forked
        executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="pdf", initializer=_lower_priority
        )
        _low_priority = (os.getpid(), executor)
    return _low_priority[1].submit(function).result()


def _lower_priority() -> None:
    thread = threading.get_native_id()
    try:
        niceness = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, niceness + PDF_NICENESS))
    except OSError:  # not Linux, or not allowed: the layout runs at the process's priority
        logger.info("PDF layout thread at the process's priority", exc_info=True)


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

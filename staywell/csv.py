"""CSV files the pages and exports hand out: UTF-8 without a byte-order mark, rows
ended by CRLF (RFC 4180), written by the csv module (which quotes what needs it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]] = ()) -> str:
    """The header row, then the rows, as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]] = ()) -> bytes:
    """``csv_text`` encoded as UTF-8 (no byte-order mark)."""
    return csv_text(header, rows).encode("utf-8")


def csv_response(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]] = ()
) -> HttpResponse:
    """A download named ``filename``: the header row, then the rows."""
    response = HttpResponse(csv_bytes(header, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

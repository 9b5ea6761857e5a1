"""Hot-path SQL: statements prepared on the server, run in Django's connection."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connection
from psycopg.rows import RowFactory, dict_row, tuple_row


def prepared_rows(sql: str, params: Any, *, row_factory: RowFactory[Any] = tuple_row) -> list[Any]:
    """Run ``sql`` as a server-side prepared statement (parsed and planned once per
    connection: planning was most of the cost of the short statements of claim entry and
    ledger posting) in the current transaction, and return its rows (none for a statement
    without a result), tuples unless another psycopg ``row_factory`` is given (e.g.
    ``namedtuple_row`` to read columns by name). Errors are turned into ``django.db``
    errors, as for the ORM."""
    connection.ensure_connection()
    with (
        connection.wrap_database_errors,
        psycopg.Cursor(connection.connection, row_factory=row_factory) as cursor,
    ):
        cursor.execute(sql, params, prepare=True)
        return list(cursor.fetchall()) if cursor.description else []


def prepared_dicts(sql: str, params: Any) -> list[dict[str, Any]]:
    """:func:`prepared_rows`, each row a dict by column name."""
    return prepared_rows(sql, params, row_factory=dict_row)


def parse_id(value: Any) -> int | None:
    """A row id typed in a query string, a form or a file: ASCII digits only, else None
    (``"²".isdigit()`` is true but ``int("²")`` fails; "-1", "1.0" and "" are not ids)."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() else None

"""Hot-path SQL: statements prepared on the server, run in Django's connection."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connection


def prepared_rows(sql: str, params: Any) -> list[tuple[Any, ...]]:
    """Run ``sql`` as a server-side prepared statement (parsed and planned once per
    connection: planning was most of the cost of the short statements of claim entry and
    ledger posting) in the current transaction, and return its rows (none for a statement
    without a result). Errors are turned into ``django.db`` errors, as for the ORM."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return list(cursor.fetchall()) if cursor.description else []

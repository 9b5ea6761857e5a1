"""Hot-path SQL (statements prepared on the server, run in Django's connection; their rows
read back as model instances), and the owner role's connection for migrations and flush
(least privilege: staywell.dbroles)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection
from psycopg.pq import ExecStatus
from psycopg.rows import RowFactory, dict_row, tuple_row


def prepared_rows(sql: str, params: Any, *, row_factory: RowFactory[Any] = tuple_row) -> list[Any]:
    """Run ``sql`` as a server-side prepared statement (parsed and planned once per
    connection: planning was most of the cost of the short statements of claim entry and
    ledger posting) in the current transaction, and return its rows (none for a statement
    without a result), tuples unless another psycopg ``row_factory`` is given (e.g.
    ``namedtuple_row`` to read columns by name). Errors are turned into ``django.db``
    errors, as for the ORM.

    Prepared only because the settings give psycopg a ``prepare_threshold`` (Django's
    default turns preparing off, and ``prepare=True`` is then ignored). After five runs
    PostgreSQL keeps the statement's generic plan unless a plan for the values looks
    cheaper; a statement whose generic plan looks dear (an ``OR`` between a parameter
    and a join) is planned again on every run: write it so that it does not
    (``claims.services.checking._FAMILY_SQL``).

    A kept connection is checked first, as Django checks it before the ORM's first query
    of a request (``staywell.postgresql.base``): this is the first query of most."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with (
        connection.wrap_database_errors,
        psycopg.Cursor(connection.connection, row_factory=row_factory) as cursor,
    ):
        cursor.execute(sql, params, prepare=True)
        # The result's status, not ``cursor.description``: that builds a column object for
        # every column of the result, on every statement.
        result = cursor.pgresult
        returns_rows = result is not None and result.status == ExecStatus.TUPLES_OK
        return list(cursor.fetchall()) if returns_rows else []


def prepared_dicts(sql: str, params: Any) -> list[dict[str, Any]]:
    """:func:`prepared_rows`, each row a dict by column name."""
    return prepared_rows(sql, params, row_factory=dict_row)


def model_columns(model: Any, alias: str) -> str:
    """Every column of ``model`` from table alias ``alias`` for a SELECT, each named
    ``<alias>_<field>``: read back with ``model_from_row(model, row, prefix="<alias>_")``."""
    return ", ".join(
        f'{alias}."{f.column}" AS "{alias}_{f.attname}"' for f in model._meta.concrete_fields
    )


def model_from_row(model: Any, row: Mapping[str, Any], *, prefix: str = "") -> Any:
    """A model instance from a row read by name (``dict_row``): the model's fields found
    in ``row`` as ``prefix + field`` (the other fields load lazily when read), each value
    read as the ORM reads it (an encrypted field decrypted: ``staywell.crypto``).
    ``Model.from_db`` wants the values in the model's field order."""
    names = [f.attname for f in model._meta.concrete_fields if prefix + f.attname in row]
    values = [row[prefix + name] for name in names]
    converters = _converters(model)  # none for most models
    for index, name in enumerate(names if converters else ()):
        for field, converter in converters.get(name, ()):
            values[index] = converter(values[index], field, connection)
    return model.from_db(connection.alias, names, values)


@cache
def _converters(model: Any) -> dict[str, list[tuple[Any, Any]]]:
    """What the ORM runs on a field's values read from the database, by field (only the
    fields that have some: an encrypted field's decryption)."""
    return {
        f.attname: [(f, converter) for converter in f.get_db_converters(connection)]
        for f in model._meta.concrete_fields
        if f.get_db_converters(connection)
    }


def parse_id(value: Any) -> int | None:
    """A row id typed in a query string, a form or a file: ASCII digits only, else None
    (``"²".isdigit()`` is true but ``int("²")`` fails; "-1", "1.0" and "" are not ids)."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


# --- Least privilege: the owner role for migrate and flush (staywell.dbroles) -------------

_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


def use_credentials(alias: str, credentials: dict[str, Any] | None) -> dict[str, Any]:
    """Switch connection ``alias`` to other credentials (closing it: the next query
    connects anew) and return the ones it had, for :func:`use_credentials` to restore.
    Every connection of the alias made afterwards, in any thread, uses them."""
    from django.db import connections

    conn = connections[alias]
    saved = {key: conn.settings_dict.get(key) for key in _CREDENTIALS}
    if credentials:
        conn.close()
        conn.settings_dict.update({key: credentials.get(key) for key in _CREDENTIALS})
        if conn.settings_dict.get("OPTIONS") is None:
            conn.settings_dict["OPTIONS"] = {}
    return saved


def owner_credentials() -> dict[str, Any] | None:
    """The owner role's credentials (``DATABASE_OWNER_URL``), or None with one role."""
    from django.conf import settings

    return getattr(settings, "DATABASE_OWNER", None)


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block on connection ``alias`` as the owner role (migrations, flush), then
    go back to the app role. A no-op with one role, or for another alias."""
    owner = owner_credentials()
    if not owner or alias != DEFAULT_DB_ALIAS:
        yield
        return
    saved = use_credentials(alias, owner)
    try:
        yield
    finally:
        from django.db import connections

        connections[alias].close()
        use_credentials(alias, saved)


def analyze(*tables: str) -> None:
    """Fresh planner statistics for ``tables`` (all of the schema's with none), in the
    current transaction (rows not committed yet count too): through
    ``staywell_analyze``, which runs as the tables' owner (staywell migration 0003)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT staywell_analyze(%s)", [list(tables) or None])

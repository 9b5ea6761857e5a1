"""A kept database connection is checked before a request's first query without a round
trip, and one the server ended is replaced (``staywell.postgresql.base``).

Django's own check sends ``SELECT 1`` at the start of every request; the backend polls the
socket instead and asks the server only when it has sent something. Each test starts as a
request does, with ``close_if_unusable_or_obsolete`` (Django's ``request_started``)."""

from __future__ import annotations

import select

import pytest
from django.db import connection

from staywell.db import prepared_rows

pytestmark = pytest.mark.django_db(transaction=True)


def other_connection():
    """A second connection of the same role: it may read and end the first one's backend."""
    return connection.get_new_connection(connection.get_connection_params())


def test_a_live_connection_is_checked_without_a_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement before the check'")
    pid = connection.connection.info.backend_pid

    connection.close_if_unusable_or_obsolete()  # a new request
    connection.close_if_health_check_failed()  # before its first query

    assert connection.connection.info.backend_pid == pid  # kept
    with other_connection() as other:
        last = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        # Django's own check would have sent SELECT 1.
        assert last.fetchone()[0] == "SELECT 'the last statement before the check'"


def test_a_connection_the_server_ended_is_replaced_before_the_next_query():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with other_connection() as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    # The server's farewell reaches the socket shortly after.
    readable, _, _ = select.select([connection.connection.fileno()], [], [], 10)
    assert readable

    connection.close_if_unusable_or_obsolete()  # a new request
    # The hot path's first query (a token's user, a session's user) runs on a new backend.
    [(new_pid,)] = prepared_rows("SELECT pg_backend_pid()", [])
    assert new_pid != pid

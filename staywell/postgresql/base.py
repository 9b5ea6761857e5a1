"""Django's PostgreSQL backend with a health check that asks the server only when the
server has spoken.

Django checks a kept connection (``CONN_HEALTH_CHECKS``) before its first query of each
request with ``SELECT 1``: a round trip on every page and API call, one of about a dozen of a
claim's. A connection idle between requests has nothing to read: after each statement
psycopg reads the server's answer whole. Once the server ends it (a restart,
``pg_terminate_backend``, ``idle_session_timeout``) its socket turns readable, with the
server's last message and the end of the stream. So the socket is polled first, without
waiting: nothing to read, the connection is taken as live; something to read, Django's
``SELECT 1`` decides (and reading consumes whatever was sent).

Decision: a connection whose network path is lost silently (no end of stream reaches the
socket) passes the check and fails at its first query, as it would have failed the
``SELECT 1`` only after the socket's timeout."""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if not _has_input(connection.fileno()):
            return True
        return bool(super().is_usable())


def _has_input(fd: int) -> bool:
    """Whether the socket has something to read (or its stream ended), without waiting."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))

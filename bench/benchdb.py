"""The database a benchmark runs in: its own, on the same server as the app's.

Each benchmark recreates ``staywell_bench_<name>`` so that the demo and the test
databases are never touched, whether the server is the embedded one or DATABASE_URL's.
Least privilege as in the app (``staywell.dbroles``): the owner role (``DATABASE_OWNER_URL``,
or the embedded server's) creates the database and migrates it; the benchmark's own work
runs as the app role (``DATABASE_URL``), its maintenance (VACUUM) as the owner.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def _in_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def fresh_database_url(name: str, *, reuse: bool = False, owner_only: bool = False) -> str:
    """Create (or with ``reuse``, keep) database ``name``; return its URL as the app role,
    and set ``DATABASE_OWNER_URL`` to its URL as the owner role. ``owner_only``: return the
    owner's URL (a peer program that creates its own tables and runs as one role)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    app = os.environ.get("DATABASE_URL", "").strip()
    owner = os.environ.get("DATABASE_OWNER_URL", "").strip()
    if not app:
        from staywell import embedded

        app, owner = embedded.postgres_urls(BASE_DIR)
    owner = owner or app
    with psycopg.connect(make_conninfo(owner, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            _drop(conn, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if not exists or not reuse:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if owner_only:
        return _in_database(owner, name)
    os.environ["DATABASE_OWNER_URL"] = _in_database(owner, name)
    return _in_database(app, name)


def _drop(conn: Any, statement: Any) -> None:
    """DROP ... WITH (FORCE), again for a while when a session the owner may not end is
    still there (the autovacuum of the last run's inserts, a run's closing session)."""
    import psycopg

    for attempt in range(30):
        try:
            conn.execute(statement)
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == 29:
                raise
            time.sleep(1)


def owner_url() -> str:
    """The benchmark database's URL as its owner (VACUUM, the floor's own tables)."""
    return os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"]


def _owner_server_url() -> str:
    owner = os.environ.get("DATABASE_OWNER_URL", "").strip()
    if not owner:
        from staywell import embedded

        app, owner = embedded.postgres_urls(BASE_DIR)
        owner = owner or app
    return owner


def database_exists(name: str) -> bool:
    import psycopg
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(make_conninfo(_owner_server_url(), dbname="postgres")) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def clone_database(template: str, name: str, *, replace: bool = False) -> None:
    """Database ``name`` as a copy of ``template`` (a file copy: seconds for gigabytes);
    nobody may be connected to ``template``."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    url = make_conninfo(_owner_server_url(), dbname="postgres")
    with psycopg.connect(url, autocommit=True) as conn:
        if replace:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )

"""The database a benchmark runs in: its own, on the same server as the app's.

Each benchmark recreates ``staywell_bench_<name>`` so that the demo and the test
databases are never touched, whether the server is the embedded one or DATABASE_URL's.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def fresh_database_url(name: str, *, reuse: bool = False) -> str:
    """Create (or with ``reuse``, keep) database ``name`` and return its URL."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    base = os.environ.get("DATABASE_URL", "").strip()
    if not base:
        from staywell import embedded

        base = embedded.postgres_url(BASE_DIR)
    with psycopg.connect(make_conninfo(base, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if not exists or not reuse:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(urlsplit(base)._replace(path="/" + name))

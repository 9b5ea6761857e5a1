"""Least privilege in PostgreSQL: an owner role for migrations, an app role for the rest.

- The **owner** role owns the database, its schema and every table, sequence and
  function: ``manage.py migrate`` (and ``flush``) run as it (``DATABASE_OWNER_URL``).
- The **app** role (``DATABASE_URL``: the web app, the Celery worker and beat) reads and
  writes rows and owns nothing: it is no superuser and not the owner, so PostgreSQL
  refuses it ``TRUNCATE``, ``ALTER TABLE`` (``DISABLE TRIGGER`` included), ``DROP`` and
  ``SET session_replication_role`` (which would switch the ledger's triggers off).

Decision: the grants are given by the owner after every ``migrate`` (a ``post_migrate``
handler, :func:`app_grants`): every table and sequence of the schema, plus default
privileges, so that tables created by later migrations are the app role's to use as
well. It is idempotent and costs a few statements, and it works the same on the
embedded server, in docker-compose (whose init script creates the two roles) and on any
managed PostgreSQL where an operator created them. With one role only (``DATABASE_URL``
and no ``DATABASE_OWNER_URL``) nothing is granted and the app runs as that role.

Pure: no Django (the embedded set-up uses it before Django is configured).
"""

from __future__ import annotations

import re

# The role names of the embedded server (docker-compose's init script uses the same).
OWNER_ROLE = "staywell_owner"
APP_ROLE = "staywell_app"

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_$]*")


def quoted(role: str) -> str:
    """``role`` as an SQL identifier (refused unless a plain lower-case name)."""
    if not _IDENTIFIER.fullmatch(role or ""):
        raise ValueError(f"A database role name must be a plain identifier, not {role!r}.")
    return f'"{role}"'


def app_grants(app_role: str) -> list[str]:
    """What the owner grants the app role, run by the owner in the database (idempotent):
    rows of every table (read, insert, update, delete: no TRUNCATE, no REFERENCES, no
    TRIGGER), the sequences, and the same on whatever the owner creates later."""
    app = quoted(app_role)
    return [
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
    ]


def create_roles_sql(owner_role: str = OWNER_ROLE, app_role: str = APP_ROLE) -> str:
    """Create the two login roles unless they exist (run by a superuser). The owner may
    create databases (the test and benchmark databases); the app role may do nothing but
    log in until the owner grants it rows."""
    owner, app = quoted(owner_role), quoted(app_role)
    return f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{owner_role}') THEN
        CREATE ROLE {owner} LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{app_role}') THEN
        CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT;
    END IF;
END
$$;
"""  # noqa: S608 - the role names are checked by quoted()


def take_ownership_sql(owner_role: str = OWNER_ROLE) -> str:
    """Give the owner role what another role (the superuser of an older set-up) created in
    the current database's public schema: the schema, tables, views, sequences not owned
    by a column, functions and types. Run by a superuser; a no-op when all is the owner's."""
    owner = quoted(owner_role)
    return f"""
DO $$
DECLARE
    r record;
BEGIN
    EXECUTE 'ALTER SCHEMA public OWNER TO {owner}';
    FOR r IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public'
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND pg_get_userbyid(c.relowner) <> '{owner_role}'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                              AND d.deptype IN ('a', 'i'))
    LOOP
        IF r.relkind = 'S' THEN
            EXECUTE format('ALTER SEQUENCE %s OWNER TO {owner}', r.name);
        ELSIF r.relkind IN ('v', 'm') THEN
            EXECUTE format('ALTER %s %s OWNER TO {owner}',
                           CASE r.relkind WHEN 'v' THEN 'VIEW' ELSE 'MATERIALIZED VIEW' END, r.name);
        ELSE
            EXECUTE format('ALTER TABLE %s OWNER TO {owner}', r.name);
        END IF;
    END LOOP;
    FOR r IN
        SELECT p.oid::regprocedure AS name, p.prokind
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{owner_role}'
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO {owner}',
                       CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE'
                                      ELSE 'FUNCTION' END, r.name);
    END LOOP;
    FOR r IN
        SELECT t.oid::regtype AS name, t.typtype
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = 'public' AND t.typtype IN ('d', 'e')
           AND pg_get_userbyid(t.typowner) <> '{owner_role}'
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO {owner}',
                       CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.name);
    END LOOP;
END
$$;
"""  # noqa: S608 - the role names are checked by quoted()

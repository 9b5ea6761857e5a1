#!/bin/sh
# Least privilege (staywell/dbroles.py): run once by the postgres image on an empty data
# volume (/docker-entrypoint-initdb.d), as its superuser, after it created the database
# POSTGRES_DB. The owner role owns the database and migrates it; the app role (web, worker,
# beat) reads and writes rows of the tables the owner creates, and owns nothing: no
# TRUNCATE, no ALTER (DISABLE TRIGGER), no session_replication_role.
set -eu
: "${DB_OWNER_PASSWORD:?set DB_OWNER_PASSWORD}"
: "${DB_APP_PASSWORD:?set DB_APP_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_password="$DB_OWNER_PASSWORD" -v app_password="$DB_APP_PASSWORD" <<'SQL'
CREATE ROLE staywell_owner LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION PASSWORD :'owner_password';
CREATE ROLE staywell_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT
    PASSWORD :'app_password';
SELECT format('ALTER DATABASE %I OWNER TO staywell_owner', current_database()) \gexec
ALTER SCHEMA public OWNER TO staywell_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO staywell_app;
-- What the owner creates later is the app role's to use (rows and sequences only); every
-- migrate grants the same again (staywell.apps.grant_app_role).
ALTER DEFAULT PRIVILEGES FOR ROLE staywell_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO staywell_app;
ALTER DEFAULT PRIVILEGES FOR ROLE staywell_owner IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO staywell_app;
SQL

-- Migration staywell 0004_access_log, forward. A snapshot: never edited later.
-- The access log of health data is append-only: its rows cannot be updated or deleted
-- (SQLSTATE 23001 restrict_violation), whoever connects; TRUNCATE stays allowed to the
-- table owner (as for the ledger's tables).

CREATE FUNCTION staywell_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The access log is append-only: % refused.', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER staywell_accessrecord_append_only
    BEFORE UPDATE OR DELETE ON staywell_accessrecord
    FOR EACH ROW EXECUTE FUNCTION staywell_access_log_append_only();

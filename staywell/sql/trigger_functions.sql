-- Put back after every migrate (staywell.apps.install_trigger_functions), as the owner:
-- the two functions that every history trigger (django-pghistory, on django-pgtrigger)
-- calls for every row written, without the BEGIN ... EXCEPTION blocks of the packages'
-- own versions. Those read a setting that is usually not set, which raises an error that
-- the block catches: a subtransaction started and rolled back for every row, and each
-- rollback scans the statement's pending trigger events, so a statement writing n
-- tracked rows (a census import, a claims file, a generated pool) took time in n squared
-- (10,000 employees generated: 28.5 s with the triggers, 2.8 s without).
-- current_setting(name, true) answers NULL for a setting never set and '' for one set
-- earlier in the session and reset: no error, the same answers. django-pgtrigger writes
-- its version again with every migration that installs a trigger, hence after migrate.

CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[] :=
            NULLIF(current_setting('pgtrigger.ignore', true), '')::TEXT[];
    BEGIN
        IF _pgtrigger_ignore IS NOT NULL THEN
            RETURN trigger_name = ANY(_pgtrigger_ignore);
        END IF;
        RETURN FALSE;
    END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION _pgh_attach_context()
RETURNS pghistory_context.id%TYPE AS $$
    DECLARE
        _pgh_context_id UUID := NULLIF(current_setting('pghistory.context_id', true), '')::uuid;
        _pgh_context_metadata JSONB :=
            NULLIF(current_setting('pghistory.context_metadata', true), '')::jsonb;
    BEGIN
        IF _pgh_context_id IS NOT NULL AND _pgh_context_metadata IS NOT NULL THEN
            INSERT INTO pghistory_context (id, metadata, created_at, updated_at)
                VALUES (_pgh_context_id, _pgh_context_metadata, NOW(), NOW())
                ON CONFLICT (id) DO UPDATE
                    SET metadata = EXCLUDED.metadata,
                        updated_at = EXCLUDED.updated_at
                    WHERE pghistory_context.metadata != EXCLUDED.metadata;
            RETURN _pgh_context_id;
        END IF;
        RETURN NULL;
    END;
$$ LANGUAGE plpgsql;

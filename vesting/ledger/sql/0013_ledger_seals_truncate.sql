-- Migration vesting 0013_ledger_seals_money_truncate, forward (2 of 2). A snapshot: never
-- edited later.
-- 1. TRUNCATE (which fires no row trigger) is refused on the ledger's tables, to the owner
--    as well (the app role has no TRUNCATE privilege at all): a statement-level BEFORE
--    TRUNCATE trigger, SQLSTATE 23001 restrict_violation. ``manage.py flush`` outside
--    production (tests, development) says ``staywell.allow_ledger_truncate = on`` first.
-- 2. Seals (vesting_ledgerseal) are append-only like the postings they seal.
-- 3. Every statement that inserts postings first takes the seal lock (advisory lock
--    83140001) in SHARE mode until its transaction ends, before any posting id is drawn:
--    writers never wait for each other; a sealer takes the lock EXCLUSIVE for a moment, so
--    that every posting id below the highest it then sees is committed (vesting.ledger.seals).

CREATE FUNCTION vesting_ledger_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('staywell.allow_ledger_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The ledger''s table % cannot be emptied (R-FU3): TRUNCATE refused.', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER vesting_transaction_no_truncate BEFORE TRUNCATE ON vesting_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();
CREATE TRIGGER vesting_posting_no_truncate BEFORE TRUNCATE ON vesting_posting
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();
CREATE TRIGGER vesting_accountbalance_no_truncate BEFORE TRUNCATE ON vesting_accountbalance
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();
CREATE TRIGGER vesting_accountdaytotal_no_truncate BEFORE TRUNCATE ON vesting_accountdaytotal
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();
CREATE TRIGGER vesting_funddaytotal_no_truncate BEFORE TRUNCATE ON vesting_funddaytotal
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();
CREATE TRIGGER vesting_fundmonthtotal_no_truncate BEFORE TRUNCATE ON vesting_fundmonthtotal
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();
CREATE TRIGGER vesting_trustclaimtotal_no_truncate BEFORE TRUNCATE ON vesting_trustclaimtotal
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();
CREATE TRIGGER vesting_ledgerseal_no_truncate BEFORE TRUNCATE ON vesting_ledgerseal
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_ledger_no_truncate();

CREATE TRIGGER vesting_ledgerseal_immutable
    BEFORE UPDATE OR DELETE ON vesting_ledgerseal
    FOR EACH ROW EXECUTE FUNCTION vesting_ledger_immutable('seals');

CREATE FUNCTION vesting_posting_seal_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(83140001);
    RETURN NULL;
END;
$$;

CREATE TRIGGER vesting_posting_seal_lock
    BEFORE INSERT ON vesting_posting
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_posting_seal_lock();

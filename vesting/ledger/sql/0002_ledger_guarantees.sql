-- Migration vesting 0002_ledger_guarantees, forward. A snapshot: never edited later.
-- The ledger's guarantees in PostgreSQL itself (R-FU3), so raw SQL cannot break them:
-- 1. vesting_transaction and vesting_posting rows cannot be updated or deleted
--    (SQLSTATE 23001 restrict_violation); TRUNCATE stays allowed to the table owner.
-- 2. Each ledger transaction has at least two postings and balances (debits = credits),
--    checked at commit by a deferred constraint trigger (SQLSTATE 23514 check_violation).
-- 3. Postings are added only in the database transaction that created their ledger
--    transaction (created_xact), with its effective date, on accounts of its employer.
-- 4. Balances and per-account / per-fund day totals are kept by one statement-level
--    trigger per INSERT into postings, rows locked in a fixed order (account, then day);
--    CHECK side_account_never_negative refuses a negative side account.
-- 5. Every account gets its balance row when opened; balance rows cannot be deleted, and
--    an account's fund, normal side and floor cannot change.

CREATE FUNCTION vesting_ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Ledger % are immutable (R-FU3): % refused. Correct the ledger with a reversing transaction.',
        TG_ARGV[0], TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER vesting_posting_immutable
    BEFORE UPDATE OR DELETE ON vesting_posting
    FOR EACH ROW EXECUTE FUNCTION vesting_ledger_immutable('postings');

CREATE TRIGGER vesting_transaction_immutable
    BEFORE UPDATE OR DELETE ON vesting_transaction
    FOR EACH ROW EXECUTE FUNCTION vesting_ledger_immutable('transactions');

CREATE FUNCTION vesting_transaction_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_xact := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$;

CREATE TRIGGER vesting_transaction_stamp
    BEFORE INSERT ON vesting_transaction
    FOR EACH ROW EXECUTE FUNCTION vesting_transaction_stamp();

CREATE FUNCTION vesting_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lines integer;
    debits numeric;
    credits numeric;
BEGIN
    SELECT count(*),
           coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0),
           coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0)
      INTO lines, debits, credits
      FROM vesting_posting
     WHERE transaction_id = NEW.id;
    IF lines < 2 THEN
        RAISE EXCEPTION 'Ledger transaction % has % posting(s); every transaction needs at least two (R-FU3).',
            NEW.id, lines
            USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'Ledger transaction % does not balance: debits % and credits % (R-FU3).',
            NEW.id, debits, credits
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER vesting_transaction_balanced
    AFTER INSERT ON vesting_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vesting_transaction_balanced();

CREATE FUNCTION vesting_posting_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.transaction_id, n.effective_date AS posting_date, t.effective_date AS transaction_date,
           t.created_xact, f.employer_id AS account_employer, t.employer_id AS transaction_employer
      INTO bad
      FROM new_postings n
      JOIN vesting_transaction t ON t.id = n.transaction_id
      JOIN vesting_account a ON a.id = n.account_id
      JOIN vesting_fund f ON f.id = a.fund_id
     WHERE t.created_xact IS DISTINCT FROM pg_current_xact_id()::text::bigint
        OR t.effective_date <> n.effective_date
        OR f.employer_id <> t.employer_id
     LIMIT 1;
    IF FOUND THEN
        IF bad.created_xact IS DISTINCT FROM pg_current_xact_id()::text::bigint THEN
            RAISE EXCEPTION 'Postings can be added to ledger transaction % only when it is created (R-FU3): post a new transaction instead.',
                bad.transaction_id
                USING ERRCODE = 'restrict_violation';
        ELSIF bad.posting_date <> bad.transaction_date THEN
            RAISE EXCEPTION 'A posting of ledger transaction % is dated % but the transaction is dated %.',
                bad.transaction_id, bad.posting_date, bad.transaction_date
                USING ERRCODE = 'check_violation';
        ELSE
            RAISE EXCEPTION 'Ledger transaction % of employer % posts to an account of employer %.',
                bad.transaction_id, bad.transaction_employer, bad.account_employer
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;

    -- Every account has its balance row (trigger on vesting_account), so this upsert
    -- always updates. The CHECK is evaluated on the row INSERT ... ON CONFLICT proposes
    -- as well, so the proposal carries the floor only when it holds.
    INSERT INTO vesting_accountbalance AS b (account_id, balance, never_negative)
    SELECT a.id,
           sum(CASE WHEN n.direction = a.normal_balance THEN n.amount ELSE -n.amount END),
           a.never_negative
           AND sum(CASE WHEN n.direction = a.normal_balance THEN n.amount ELSE -n.amount END) >= 0
      FROM new_postings n JOIN vesting_account a ON a.id = n.account_id
     GROUP BY a.id
     ORDER BY a.id
    ON CONFLICT (account_id) DO UPDATE SET balance = b.balance + EXCLUDED.balance;

    INSERT INTO vesting_accountdaytotal AS d (account_id, day, net_change)
    SELECT a.id, n.effective_date,
           sum(CASE WHEN n.direction = a.normal_balance THEN n.amount ELSE -n.amount END)
      FROM new_postings n JOIN vesting_account a ON a.id = n.account_id
     GROUP BY a.id, n.effective_date
     ORDER BY a.id, n.effective_date
    ON CONFLICT (account_id, day) DO UPDATE SET net_change = d.net_change + EXCLUDED.net_change;

    INSERT INTO vesting_funddaytotal AS f (fund_id, day, net_change)
    SELECT a.fund_id, n.effective_date,
           sum(CASE WHEN n.direction = a.normal_balance THEN n.amount ELSE -n.amount END)
      FROM new_postings n JOIN vesting_account a ON a.id = n.account_id
     GROUP BY a.fund_id, n.effective_date
     ORDER BY a.fund_id, n.effective_date
    ON CONFLICT (fund_id, day) DO UPDATE SET net_change = f.net_change + EXCLUDED.net_change;

    RETURN NULL;
END;
$$;

CREATE FUNCTION vesting_account_opened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vesting_accountbalance (account_id, balance, never_negative)
    VALUES (NEW.id, 0, NEW.never_negative)
    ON CONFLICT (account_id) DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER vesting_account_opened
    AFTER INSERT ON vesting_account
    FOR EACH ROW EXECUTE FUNCTION vesting_account_opened();

CREATE FUNCTION vesting_account_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Ledger balance rows cannot be deleted; they follow the postings (R-FU3).'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RAISE EXCEPTION 'An account''s fund, normal balance and floor are fixed once opened: postings are read by them (R-FU3).'
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER vesting_account_fixed
    BEFORE UPDATE OF fund_id, normal_balance, never_negative ON vesting_account
    FOR EACH ROW
    WHEN (OLD.fund_id IS DISTINCT FROM NEW.fund_id
          OR OLD.normal_balance IS DISTINCT FROM NEW.normal_balance
          OR OLD.never_negative IS DISTINCT FROM NEW.never_negative)
    EXECUTE FUNCTION vesting_account_fixed();

CREATE TRIGGER vesting_accountbalance_fixed
    BEFORE DELETE OR UPDATE OF never_negative, account_id ON vesting_accountbalance
    FOR EACH ROW EXECUTE FUNCTION vesting_account_fixed();

CREATE TRIGGER vesting_posting_apply
    AFTER INSERT ON vesting_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION vesting_posting_apply();

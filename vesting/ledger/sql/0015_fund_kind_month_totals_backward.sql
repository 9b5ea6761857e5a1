-- Migration vesting 0015_fund_kind_month_totals, backward: the posting trigger's function
-- as migration 0011 left it (the table, and its TRUNCATE trigger, are dropped by the
-- migration).

CREATE OR REPLACE FUNCTION vesting_posting_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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

    INSERT INTO vesting_fundmonthtotal AS m (fund_id, month, net_change)
    SELECT a.fund_id, date_trunc('month', n.effective_date)::date,
           sum(CASE WHEN n.direction = a.normal_balance THEN n.amount ELSE -n.amount END)
      FROM new_postings n JOIN vesting_account a ON a.id = n.account_id
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (fund_id, month) DO UPDATE SET net_change = m.net_change + EXCLUDED.net_change;

    -- R-VE2: each statement's trust-fund claims per account, employee and policy year
    -- (a claim payment, or a reversal of one, with its employee, in the policy year of its
    -- date of service), what the July 1 vesting subtracts.
    INSERT INTO vesting_trustclaimtotal AS c (account_id, employee_id, policy_year, paid)
    SELECT n.account_id, t.employee_id,
           (extract(year FROM t.period_start)
            - CASE WHEN extract(month FROM t.period_start) < 7 THEN 1 ELSE 0 END)::smallint,
           sum(CASE WHEN n.direction = 'credit' THEN n.amount ELSE -n.amount END)
      FROM new_postings n
      JOIN vesting_transaction t ON t.id = n.transaction_id
      JOIN vesting_account a ON a.id = n.account_id
      JOIN vesting_fund f ON f.id = a.fund_id
     WHERE f.kind = 'general_trust' AND a.employee_id IS NULL
       AND t.employee_id IS NOT NULL AND t.period_start IS NOT NULL
       AND (t.kind = 'claim_payment'
            OR (t.kind = 'reversal'
                AND EXISTS (SELECT 1 FROM vesting_transaction o
                             WHERE o.id = t.reverses_id AND o.kind = 'claim_payment')))
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (account_id, employee_id, policy_year) DO UPDATE SET paid = c.paid + EXCLUDED.paid;

    RETURN NULL;
END;
$$;

-- Migration vesting 0013_ledger_seals_money_truncate, forward (1 of 2). A snapshot: never
-- edited later.
-- R-PY2: the ledger's money in exact cents, refused (not rounded) by PostgreSQL itself.
-- numeric(14,2) rounds 1.005 to 1.01 while coercing the value, before any CHECK or trigger
-- sees it, so a debit of 1.004 against a credit of 1.000 passed as balanced. The domain
-- keeps the value as given and checks it: at most two decimals, within numeric(14,2).
CREATE DOMAIN ledger_money AS numeric
    CONSTRAINT ledger_money_cents CHECK (VALUE = round(VALUE, 2))
    CONSTRAINT ledger_money_range CHECK (VALUE > -1000000000000 AND VALUE < 1000000000000);

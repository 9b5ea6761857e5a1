-- Migration vesting 0013_ledger_seals_money_truncate, backward (1 of 2): the column went
-- back to numeric(14,2) (AlterField), so the domain can go.
DROP DOMAIN IF EXISTS ledger_money;

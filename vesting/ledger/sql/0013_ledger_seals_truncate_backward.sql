-- Migration vesting 0013_ledger_seals_money_truncate, backward (2 of 2).
DROP TRIGGER IF EXISTS vesting_posting_seal_lock ON vesting_posting;
DROP FUNCTION IF EXISTS vesting_posting_seal_lock();
DROP TRIGGER IF EXISTS vesting_ledgerseal_immutable ON vesting_ledgerseal;
DROP TRIGGER IF EXISTS vesting_ledgerseal_no_truncate ON vesting_ledgerseal;
DROP TRIGGER IF EXISTS vesting_trustclaimtotal_no_truncate ON vesting_trustclaimtotal;
DROP TRIGGER IF EXISTS vesting_fundmonthtotal_no_truncate ON vesting_fundmonthtotal;
DROP TRIGGER IF EXISTS vesting_funddaytotal_no_truncate ON vesting_funddaytotal;
DROP TRIGGER IF EXISTS vesting_accountdaytotal_no_truncate ON vesting_accountdaytotal;
DROP TRIGGER IF EXISTS vesting_accountbalance_no_truncate ON vesting_accountbalance;
DROP TRIGGER IF EXISTS vesting_posting_no_truncate ON vesting_posting;
DROP TRIGGER IF EXISTS vesting_transaction_no_truncate ON vesting_transaction;
DROP FUNCTION IF EXISTS vesting_ledger_no_truncate();

-- Migration vesting 0002_ledger_guarantees, backward. A snapshot: never edited later.
-- Drops the triggers and functions of the forward file: the ledger's guarantees
-- (immutable rows, balanced transactions, maintained balances) are no longer enforced.

DROP TRIGGER IF EXISTS vesting_accountbalance_fixed ON vesting_accountbalance;
DROP TRIGGER IF EXISTS vesting_account_fixed ON vesting_account;
DROP TRIGGER IF EXISTS vesting_account_opened ON vesting_account;
DROP TRIGGER IF EXISTS vesting_posting_apply ON vesting_posting;
DROP TRIGGER IF EXISTS vesting_transaction_balanced ON vesting_transaction;
DROP TRIGGER IF EXISTS vesting_transaction_stamp ON vesting_transaction;
DROP TRIGGER IF EXISTS vesting_transaction_immutable ON vesting_transaction;
DROP TRIGGER IF EXISTS vesting_posting_immutable ON vesting_posting;
DROP FUNCTION IF EXISTS vesting_account_fixed();
DROP FUNCTION IF EXISTS vesting_account_opened();
DROP FUNCTION IF EXISTS vesting_posting_apply();
DROP FUNCTION IF EXISTS vesting_transaction_balanced();
DROP FUNCTION IF EXISTS vesting_transaction_stamp();
DROP FUNCTION IF EXISTS vesting_ledger_immutable();

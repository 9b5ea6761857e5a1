"""The trust-fund ledger: posting, accounts, named operations, month close and its pages."""

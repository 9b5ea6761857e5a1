"""The trust-fund ledger (R-FU1..R-FU3): posting, accounts, named operations, month close.

Callers write ``from vesting import ledger`` and ``ledger.post_claim_payment(...)``; the
reads are in :mod:`vesting.ledger.selectors`, the pages in ``views``, ``api``, ``urls``.
The trigger SQL that PostgreSQL enforces is in ``sql/``, one file per migration.
"""

from __future__ import annotations

from vesting.ledger.accounts import (
    ADMINISTRATIVE_EXPENSES_ACCOUNT,
    BANK_ACCOUNT,
    CARRIER_ACCOUNT,
    DEFAULT_ACCOUNTS,
    DISTRICT_ACCOUNT,
    GENERAL_TRUST_ACCOUNT,
    PAYEES_ACCOUNT,
    PAYROLL_DEDUCTIONS_ACCOUNT,
    PROGRAM_CHARGES_ACCOUNT,
    EmployerLedger,
    account_get_or_create,
    ledger_accounts_for_employer,
    payee_account_for,
    side_account_for,
)
from vesting.ledger.month_close import (
    month_close,
    month_is_closed,
    next_month_to_close,
)
from vesting.ledger.operations import (
    post_administrative_expense,
    post_beneficiary_payment,
    post_claim_payment,
    post_continuation_premium,
    post_employer_contribution,
    post_interest,
    post_lump_sum_payout,
    post_reversal,
    post_runout_recovery,
    post_unvested_transfer,
    post_vesting_transfer,
)
from vesting.ledger.posting import (
    MAX_AMOUNT,
    ONE_DAY,
    IdempotencyConflict,
    Line,
    TransactionSpec,
    credit,
    debit,
    employer_id_of,
    money_amount,
    month_last_day,
    payload_hash,
    post_transaction,
    post_transactions_batch,
    user_id_of,
)

__all__ = [
    "ADMINISTRATIVE_EXPENSES_ACCOUNT",
    "BANK_ACCOUNT",
    "CARRIER_ACCOUNT",
    "DEFAULT_ACCOUNTS",
    "DISTRICT_ACCOUNT",
    "GENERAL_TRUST_ACCOUNT",
    "MAX_AMOUNT",
    "ONE_DAY",
    "PAYEES_ACCOUNT",
    "PAYROLL_DEDUCTIONS_ACCOUNT",
    "PROGRAM_CHARGES_ACCOUNT",
    "EmployerLedger",
    "IdempotencyConflict",
    "Line",
    "TransactionSpec",
    "account_get_or_create",
    "credit",
    "debit",
    "employer_id_of",
    "ledger_accounts_for_employer",
    "money_amount",
    "month_close",
    "month_is_closed",
    "month_last_day",
    "next_month_to_close",
    "payee_account_for",
    "payload_hash",
    "post_administrative_expense",
    "post_beneficiary_payment",
    "post_claim_payment",
    "post_continuation_premium",
    "post_employer_contribution",
    "post_interest",
    "post_lump_sum_payout",
    "post_reversal",
    "post_runout_recovery",
    "post_transaction",
    "post_transactions_batch",
    "post_unvested_transfer",
    "post_vesting_transfer",
    "side_account_for",
    "user_id_of",
]

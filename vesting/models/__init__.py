"""The vesting app's models: the trust-fund ledger and vesting, re-exported here."""

from __future__ import annotations

from vesting.models.golive import GoLive, GoLiveEmployer
from vesting.models.ledger import (
    MONEY,
    NORMAL_BALANCE,
    OUTSIDE_FUNDS,
    PLAN_FUNDS,
    SIDE_ACCOUNT_NAME,
    Account,
    AccountBalance,
    AccountDayTotal,
    Direction,
    Fund,
    FundDayTotal,
    FundKind,
    FundMonthTotal,
    MonthClose,
    Posting,
    Transaction,
    TransactionKind,
)
from vesting.models.vesting import (
    OPEN_PAYOUT_STATUSES,
    Payout,
    PayoutRegister,
    VestingAdjustment,
    VestingLine,
    VestingRun,
    VestingRunEmployerStep,
)

__all__ = [
    "MONEY",
    "NORMAL_BALANCE",
    "OPEN_PAYOUT_STATUSES",
    "OUTSIDE_FUNDS",
    "PLAN_FUNDS",
    "SIDE_ACCOUNT_NAME",
    "Account",
    "AccountBalance",
    "AccountDayTotal",
    "Direction",
    "Fund",
    "FundDayTotal",
    "FundKind",
    "FundMonthTotal",
    "GoLive",
    "GoLiveEmployer",
    "MonthClose",
    "Payout",
    "PayoutRegister",
    "Posting",
    "Transaction",
    "TransactionKind",
    "VestingAdjustment",
    "VestingLine",
    "VestingRun",
    "VestingRunEmployerStep",
]

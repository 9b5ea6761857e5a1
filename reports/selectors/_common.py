"""What the report selectors share: ledger conventions, the reporting date, the plan
year's deductible."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.models import (
    Employer,
    PlanYear,
)
from accounts.rules import policy_year_of
from vesting.models import (
    PLAN_FUNDS,
    FundKind,
    TransactionKind,
)

logger = logging.getLogger(__name__)


DEFAULT_DEDUCTIBLE = Decimal("500.00")  # R-CL1 default when a plan year is not set up


# Money that leaves an employee's side account to the employee or on their behalf.
# Decision (R-VE6, R-VE8, R-VE10): "refunds" are lump sums, continuation premiums paid
# from the side account, and beneficiary payments: all are the employee's vested money
# paid out after separation (constructive receipt).
REFUND_KINDS = (
    TransactionKind.LUMP_SUM_PAYOUT.value,
    TransactionKind.CONTINUATION_PREMIUM.value,
    TransactionKind.BENEFICIARY_PAYMENT.value,
)


# Moves between the General and the Vested Trust Fund: no change to the employees' total.
INTERNAL_KINDS = (TransactionKind.VESTING_TRANSFER.value, TransactionKind.RUNOUT_RECOVERY.value)


EMPLOYEE_FUNDS = (FundKind.GENERAL_TRUST.value, FundKind.VESTED_TRUST.value)


def plan_fund_values() -> list[str]:
    return [str(kind) for kind in PLAN_FUNDS]


def today_or(today: date | None) -> date:
    return today or timezone.localdate()


def employer_filter(employer_id: int | None, alias: str = "f") -> str:
    return "" if employer_id is None else f"AND {alias}.employer_id = %(employer_id)s"


def employer_name(employer_id: int | None) -> str:
    if employer_id is None:
        return "All employers of the pool"
    return Employer.objects.filter(pk=employer_id).values_list("name", flat=True).first() or ""


def deductible_of(policy_year: int) -> Decimal:
    value = (
        PlanYear.objects.filter(start_year=policy_year).values_list("deductible", flat=True).first()
    )
    return value if value is not None else DEFAULT_DEDUCTIBLE


def reporting_date(*, employer_id: int | None = None, today: date | None = None) -> date:
    """The day the dashboard and the self-service pages report on.

    Decision: today while the ledger has entries in today's policy year (R-PY1); else
    the ledger's latest effective date (an installation whose ledger stops in the past,
    such as the 1979-86 demo, still shows its last months rather than empty ones). One
    index probe per fund.
    """
    day = today_or(today)
    sql = f"""
        SELECT max(last.day) FROM vesting_fund f
        CROSS JOIN LATERAL (
            SELECT max(d.day) AS day FROM vesting_funddaytotal d
             WHERE d.fund_id = f.id AND d.day <= %(today)s
        ) last
        WHERE f.kind = ANY(%(funds)s) {employer_filter(employer_id)}
    """  # noqa: S608 - fixed SQL fragments only; values are bound
    with connection.cursor() as cursor:
        cursor.execute(sql, {"today": day, "funds": plan_fund_values(), "employer_id": employer_id})
        latest = cursor.fetchone()[0]
    if latest is None or policy_year_of(latest) == policy_year_of(day):
        return day
    return latest

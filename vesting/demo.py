"""Demonstration ledger: a few policy years of month closes, interest and expenses; then
the vesting history (``seed_vesting``: the July 1 rollovers with their payouts).

``seed_ledger(employers)`` posts everything through ``vesting.ledger`` (so the demo
ledger obeys every rule of the real one) and is idempotent: run twice, it posts nothing
the second time (month closes are once per month; interest and expenses carry
idempotency keys). ``seed_demo`` calls it after the members exist.

Decisions:
- Decision: contributions come from closing each month, i.e. from the members' premium
  charges (``accounts.selectors.monthly_premium_charges``), through the ledger's month
  close.
- Decision: interest is posted quarterly at 2% of each trust fund's balance at the
  quarter's end (about 8% a year, the rates of the mid-1980s), earned by the fund
  (R-FU2); administrative expenses quarterly: a claims-administration fee of $75 a month
  plus $0.50 per employee charged that month.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from accounts import services as accounts_services
from accounts.models import Employee, Employer, Marriage
from accounts.rules import add_months, policy_year_of, policy_year_start
from staywell.money import ZERO, money
from vesting import ledger
from vesting.ledger import selectors
from vesting.models import FundKind, MonthClose, Transaction, TransactionKind
from vesting.payouts import continuation_premiums_post, payouts_process, separation_record
from vesting.rollover import rollover_execute, rollover_start

QUARTERLY_RATE = Decimal("0.02")
MONTHLY_FEE = Decimal("75.00")
FEE_PER_EMPLOYEE = Decimal("0.50")


def seed_ledger(
    employers: Iterable[Employer],
    *,
    first_year: int = 1983,
    last_year: int = 1985,
    posted_by: Any = None,
    before: date | None = None,
    monthly_fee: Decimal = MONTHLY_FEE,
) -> dict[str, int]:
    """Close every month of policy years ``first_year``..``last_year`` (those that begin
    before ``before``, if given) for each employer, with quarterly interest and expenses
    (the claims administrator's ``monthly_fee`` plus 0.50 an employee-month). Returns
    counts of what was posted."""
    counts = {"months": 0, "interest": 0, "expenses": 0}
    months = [
        add_months(policy_year_start(first_year), i)
        for i in range(12 * (last_year - first_year + 1))
    ]
    months = [first for first in months if before is None or first < before]
    for employer in employers:
        for first in months:
            if not MonthClose.objects.filter(
                employer=employer, year=first.year, month=first.month
            ).exists():
                _close(employer, first, posted_by)
                counts["months"] += 1
            if first.month in (9, 12, 3, 6):
                quarter_end = add_months(first, 1) - timedelta(days=1)
                counts["interest"] += _interest(employer, quarter_end, posted_by)
                counts["expenses"] += _expense(employer, quarter_end, posted_by, monthly_fee)
    return counts


def _close(employer: Employer, first: date, posted_by: Any) -> MonthClose:
    return ledger.month_close(
        employer_id=employer.pk, year=first.year, month=first.month, closed_by=posted_by
    )


def _interest(employer: Employer, quarter_end: date, posted_by: Any) -> int:
    balances = selectors.employer_fund_balances(employer.pk, as_of=quarter_end)
    posted = 0
    for kind in (FundKind.GENERAL_TRUST, FundKind.VESTED_TRUST):
        amount = money(balances[kind] * QUARTERLY_RATE)
        if amount <= ZERO:
            continue
        ledger.post_interest(
            employer=employer,
            amount=amount,
            period_start=add_months(quarter_end + timedelta(days=1), -3),
            period_end=quarter_end,
            earned_by=kind,
            posted_by=posted_by,
            idempotency_key=f"demo-interest:{employer.code}:{quarter_end}:{kind}",
        )
        posted += 1
    return posted


def _expense(employer: Employer, quarter_end: date, posted_by: Any, monthly_fee: Decimal) -> int:
    start = add_months(quarter_end + timedelta(days=1), -3)
    closes = MonthClose.objects.filter(
        employer=employer,
        year__in={start.year, quarter_end.year},
    )
    employee_months = sum(
        c.employee_count for c in closes if start <= date(c.year, c.month, 1) <= quarter_end
    )
    amount = money(monthly_fee * 3 + FEE_PER_EMPLOYEE * employee_months)
    ledger.post_administrative_expense(
        employer=employer,
        amount=amount,
        period_start=start,
        period_end=quarter_end,
        description=f"Claims administration, quarter ending {quarter_end:%B %Y}",
        payee_name="Claims administrator",
        posted_by=posted_by,
        idempotency_key=f"demo-expense:{employer.code}:{quarter_end}",
    )
    return 1


# --- Vesting history -----------------------------------------------------------------------


def seed_vesting(
    *,
    first_year: int = 1979,
    last_year: int = 1985,
    posted_by: Any = None,
    process_through: date = date(1986, 6, 30),
) -> dict[str, int]:
    """The July 1 rollovers of ``first_year``..``last_year`` (1979-80 .. 1985-86), run after
    the members, the ledger and the claims exist, each followed by a year of the daily and
    monthly jobs (on the first of each month, up to ``process_through``): the separated
    employees' lump sums and beneficiary payments go into payout registers, the retirees'
    continuation premiums are paid from their side accounts (R-VE3..R-VE10).

    Everything goes through the services, dated in the plan's history, so the demo obeys
    every rule of the real thing; idempotent (a year that ran is not run again, a payout is
    paid once). Returns counts of what was done.
    """
    counts = {"runs": 0, "registers": 0, "premiums": 0}
    for year in range(first_year, last_year + 1):
        rollover_day = policy_year_start(year + 1)
        run = rollover_start(
            policy_year=year, started_by=posted_by, today=rollover_day, queue=False
        )
        if run.status != run.Status.COMPLETED:
            rollover_execute(run.pk)
            counts["runs"] += 1
        for index in range(12):
            first = add_months(rollover_day, index)
            if first > process_through:
                break
            # The members were seeded before any rollover ran: their separations are
            # recorded again (idempotent) in the month after they happened, as the clerk
            # would have then, so that the year of separation vests at separation (R-VE4).
            for employee in Employee.objects.filter(
                separation_date__gte=add_months(first, -1), separation_date__lt=first
            ).order_by("pk"):
                separation_record(employee=employee)
            counts["premiums"] += continuation_premiums_post(month=first, posted_by=posted_by)
            if payouts_process(today=first, created_by=posted_by) is not None:
                counts["registers"] += 1
    return counts


def seed_recent_separation(*, today: date, posted_by: Any = None) -> Employee | None:
    """A long-serving full-time employee resigned on the last day of last month (on
    July 1: today), recorded but not yet paid out: the amounts vested for earlier years
    are due, last year's is held until six months after that year ended (unless that
    day has come) and this year's part until six months after the separation (R-VE4,
    R-VE7). A separation in June would cover the whole year, which then vests on July 1.

    Idempotent: a second call finds the resignation on file and records nothing.
    """
    start = policy_year_start(policy_year_of(today))
    day = max(start, today.replace(day=1) - timedelta(days=1))
    if Employee.objects.filter(separation_date__gte=start).exists():
        return None
    married = Marriage.objects.values_list("employee_a_id", "employee_b_id")
    employee = (
        Employee.objects.filter(
            status=Employee.Status.REGULAR,
            separation_date__isnull=True,
            user__isnull=True,
            weekly_hours__gte=30,
            hire_date__lt=add_months(start, -60),
            vesting_lines__policy_year=policy_year_of(today) - 1,
        )
        .exclude(hours_changes__effective_date__gt=day)
        .exclude(pk__in=[pk for pair in married for pk in pair])
        .exclude(  # no trust-fund claims this year: a part of the year to vest (R-VE4)
            pk__in=Transaction.objects.filter(
                kind=TransactionKind.CLAIM_PAYMENT, period_start__gte=start, employee__isnull=False
            ).values("employee_id")
        )
        .order_by("employer_id", "number")
        .first()
    )
    if employee is None:
        return None
    return accounts_services.employee_separate(
        employee=employee, separation_date=day, reason="resignation", created_by=posted_by
    )

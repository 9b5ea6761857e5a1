"""Reads of vesting: runs, side accounts (balance, per-year lines, payouts), payouts.

Ledger reads (balances, statements) are in :mod:`vesting.ledger.selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Employee, PlanYear, SeparationContinuation
from accounts.rules import (
    Tier,
    add_months,
    coverage_end,
    policy_year_end,
    policy_year_label,
    policy_year_months,
    policy_year_of,
    policy_year_start,
    tier_on,
)
from accounts.selectors import coverage_timeline_for, employee_get_for_user, rule_segments
from accounts.signals import PlanYearUse
from staywell.db import model_columns, model_from_row, prepared_dicts, prepared_rows
from staywell.money import ZERO
from staywell.roles import SIDE_ACCOUNT_ROLES, Role, has_role
from vesting.models import (
    OPEN_PAYOUT_STATUSES,
    Account,
    Fund,
    MonthClose,
    Overpayment,
    Payout,
    PayoutRegister,
    RevestPending,
    VestingLine,
    VestingRun,
    VestingRunEmployerStep,
)
from vesting.rules import account_position, allotment


def vesting_runs() -> QuerySet[VestingRun]:
    return VestingRun.objects.select_related("started_by", "employer", "override_by").order_by(
        "-policy_year", "-id"
    )


def employer_years(
    *, policy_year: int | None = None, employer_id: int | None = None, status: str | None = None
) -> QuerySet[VestingRunEmployerStep]:
    """The rollover's employer-years, latest year first, with their employer and run.

    ``status="stale"``: running ones whose worker stopped (see ``VestingRun``)."""
    steps = VestingRunEmployerStep.objects.select_related("employer", "run").order_by(
        "-policy_year", "employer__code"
    )
    if policy_year is not None:
        steps = steps.filter(policy_year=policy_year)
    if employer_id is not None:
        steps = steps.filter(employer_id=employer_id)
    if status == "stale":
        limit = timezone.now() - timedelta(seconds=settings.VESTING_ROLLOVER_STALE_SECONDS)
        steps = steps.filter(status=VestingRunEmployerStep.Status.RUNNING).filter(
            Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=limit)
        )
    elif status:
        steps = steps.filter(status=status)
    return steps


def side_account_employee_for_user(user: Any, employee_id: int | str) -> Employee:
    """The employee whose side account ``user`` may see, else Http404 (never 403): staff
    see every employee's; an employee only their own (``accounts`` decides who is who)."""
    if not (has_role(user, *SIDE_ACCOUNT_ROLES) or has_role(user, Role.EMPLOYEE)):
        raise Http404("No such employee.")
    return employee_get_for_user(user, employee_id)


# R-VE2's sum: the employer's General Deductible Trust Fund account's claim payments for
# the employee in the policy year (by date of service), net of their reversals.
_TRUST_FUND_CLAIMS_SQL = """
SELECT coalesce(sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END), 0)
  FROM vesting_transaction t
  JOIN vesting_posting p ON p.transaction_id = t.id
   AND p.account_id = (SELECT a.id FROM vesting_account a JOIN vesting_fund f ON f.id = a.fund_id
                        WHERE f.employer_id = %(employer)s AND f.kind = 'general_trust'
                          AND a.employee_id IS NULL AND a.name = %(name)s
                        ORDER BY a.id LIMIT 1)
  LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
 WHERE t.employee_id = %(employee)s
   AND t.period_start BETWEEN %(ys)s AND %(ye)s
   AND (%(as_of)s::date IS NULL OR t.effective_date <= %(as_of)s::date)
   AND (t.kind = 'claim_payment' OR (t.kind = 'reversal' AND o.kind = 'claim_payment'))
"""


def trust_fund_claims(employee: Any, policy_year: int, as_of: date | None = None) -> Decimal:
    """R-VE2: what the trust fund paid for the family's claims of ``policy_year``, read
    from the ledger (claim payments and their reversals by date of service). One prepared
    statement (the side account page asks on every view)."""
    params = {
        "employer": employee.employer_id,
        "name": "General Deductible Trust Fund",
        "employee": employee.pk,
        "ys": policy_year_start(policy_year),
        "ye": policy_year_end(policy_year),
        "as_of": as_of,
    }
    return max(prepared_rows(_TRUST_FUND_CLAIMS_SQL, params)[0][0], ZERO)


@dataclass(frozen=True)
class SideAccountSummary:
    """Everything the side-account page and API show of one employee (R-VE1..R-VE10)."""

    employee: Any
    account: Account | None
    balance: Decimal  # dollars in the Vested Trust Fund side account now
    lines: list[Any]  # VestingLine, oldest year first, with their adjustments
    payouts: list[Any]  # Payout, by due date
    position: Any  # vesting.rules.AccountPosition for the policy year of ``on``
    on: date
    continuation: Any  # accounts SeparationContinuation or None
    continuation_offer: str  # R-VE8 / R-VE9, for a separated employee; else ""

    @property
    def year_label(self) -> str:
        """The policy year of ``on``, "1984-85" (R-PY1)."""
        year = policy_year_of(self.on)
        return policy_year_label(year)

    @property
    def vested_total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.outcome == "vested"), ZERO)

    @property
    def open_payouts_total(self) -> Decimal:
        return sum((p.amount for p in self.payouts if p.open), ZERO)


# The id of an employee's side account (their account in their employer's Vested Trust
# Fund), NULL if it does not exist yet (a read never creates it: the ledger does, on first
# use). A scalar subquery of the parameters ``employee`` and ``employer``, for statements
# that read the account with other figures (here and the employee's own page).
SIDE_ACCOUNT_ID_SQL = """(
    SELECT a.id FROM vesting_account a JOIN vesting_fund f ON f.id = a.fund_id
     WHERE a.employee_id = %(employee)s AND f.employer_id = %(employer)s
       AND f.kind = 'vested_trust'
     ORDER BY a.id LIMIT 1)"""


@cache
def _side_figures_sql() -> str:
    """The side account page's single rows in one prepared statement (they took five
    queries): the employee's Vested Trust Fund account (``a_``) with its fund (``f_``)
    and balance, the plan year (``y_``) and the continuation on file (``s_``)."""
    return f"""
        SELECT {model_columns(Account, "a")}, {model_columns(Fund, "f")},
               coalesce(b.balance, 0) AS balance, {model_columns(PlanYear, "y")}, sc.*
          FROM (SELECT 1) AS one
          LEFT JOIN vesting_account a ON a.id = {SIDE_ACCOUNT_ID_SQL}
          LEFT JOIN vesting_fund f ON f.id = a.fund_id
          LEFT JOIN vesting_accountbalance b ON b.account_id = a.id
          LEFT JOIN accounts_planyear y ON y.start_year = %(year)s
          LEFT JOIN LATERAL (
                SELECT {model_columns(SeparationContinuation, "s")}
                  FROM accounts_separationcontinuation s WHERE s.employee_id = %(employee)s
                 ORDER BY s.id LIMIT 1
               ) sc ON true
    """  # noqa: S608 - names from the models; the values are bound


def side_account_summary(employee: Any, on: date | None = None) -> SideAccountSummary:
    """The side account of an employee: balance, per-year lines, payouts, and the account
    "held in his name" this year (the introduction: "$800 in the account, $500 of which
    he can use"). A handful of queries whatever the history's length."""
    on = on or timezone.localdate()
    year = policy_year_of(on)
    row = prepared_dicts(
        _side_figures_sql(),
        {"employee": employee.pk, "employer": employee.employer_id, "year": year},
    )[0]
    account = None
    if row["a_id"] is not None:
        account = model_from_row(Account, row, prefix="a_")
        account.fund = model_from_row(Fund, row, prefix="f_")
    balance: Decimal = row["balance"]
    lines = list(
        VestingLine.objects.filter(employee=employee)
        .select_related("spouse", "transaction")
        .prefetch_related("adjustments")
        .order_by("policy_year")
    )
    payouts = list(
        Payout.objects.filter(employee=employee)
        .select_related("register", "transaction")
        .order_by("due_on", "kind", "policy_year", "id")
    )
    plan = (
        model_from_row(PlanYear, row, prefix="y_")
        if row["y_id"] is not None
        else PlanYear(start_year=year)
    )
    segments = rule_segments(coverage_timeline_for(employee))
    full_months = [
        index
        for index, first in enumerate(policy_year_months(year))
        if tier_on(segments, first) is Tier.FULL
    ]
    position = account_position(
        vested=max(balance, ZERO),
        allotment=allotment(full_months, plan.deductible),
        absorbed=min(trust_fund_claims(employee, year, as_of=on), plan.deductible),
        deductible=plan.deductible,
    )
    continuation = (
        model_from_row(SeparationContinuation, row, prefix="s_")
        if row["s_id"] is not None
        else None
    )
    return SideAccountSummary(
        employee=employee,
        account=account,
        balance=balance,
        lines=lines,
        payouts=payouts,
        position=position,
        on=on,
        continuation=continuation,
        continuation_offer=_continuation_offer(employee),
    )


def _continuation_offer(employee: Any) -> str:
    """R-VE8 / R-VE9: the continuation the plan offers a separated employee."""
    if employee.separation_date is None or employee.separation_reason == "death":
        return ""
    ended = coverage_end(employee.separation_date)
    if employee.separation_reason == "retirement":
        return (
            f"Coverage may continue from {add_months(ended, 1):%B %-d, %Y} for as long as the "
            "retiree pays the major-medical premium (and dental if kept); the side account "
            "pays the premiums each month until exhausted, then they are billed to the "
            "retiree (R-VE8)."
        )
    return (
        f"Coverage may continue for up to three months, to {add_months(ended, 4) - timedelta(days=1):%B %-d, %Y}, "
        "if the person pays the major-medical premium; the side account may pay it (R-VE9)."
    )


def payouts_list(
    *,
    due_by: date | None = None,
    status: str | None = None,
    kind: str | None = None,
    employer_id: int | None = None,
    employee_id: int | None = None,
) -> QuerySet[Payout]:
    """Payouts with their employee and employer, by due date (the payouts page and API).

    ``due_by``: unpaid payouts payable by that day (scheduled, held or due). ``status``:
    that status only ("open": everything still to pay or resolve)."""
    queryset = Payout.objects.select_related("employee__employer", "register")
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_PAYOUT_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    if due_by is not None:
        queryset = queryset.filter(
            due_on__lte=due_by,
            status__in=[Payout.Status.SCHEDULED, Payout.Status.HELD, Payout.Status.DUE],
        )
    if kind:
        queryset = queryset.filter(kind=kind)
    if employer_id:
        queryset = queryset.filter(employee__employer_id=employer_id)
    if employee_id:
        queryset = queryset.filter(employee_id=employee_id)
    return queryset.order_by("due_on", "employee__last_name", "employee__first_name", "id")


def beneficiary_flags() -> QuerySet[Payout]:
    """R-VE10: deaths with no beneficiary statement on file, for the clerk."""
    return (
        Payout.objects.filter(kind=Payout.Kind.BENEFICIARY, status=Payout.Status.FLAGGED)
        .select_related("employee__employer")
        .order_by("due_on", "employee__last_name")
    )


def payout_registers() -> QuerySet[PayoutRegister]:
    return PayoutRegister.objects.select_related("created_by", "ach_file").order_by("-date", "-id")


def payout_register_rows(register: PayoutRegister) -> QuerySet[Payout]:
    """The payouts of a register, for the county's CSV."""
    return register.payouts.select_related("employee__employer", "transaction").order_by(
        "employee__employer__code", "employee__last_name", "employee__first_name", "id"
    )


def overpayments_for(employee: Any) -> list[Overpayment]:
    """The overpayments recorded against an employee (vesting.revest), oldest year first."""
    return list(Overpayment.objects.filter(employee=employee).order_by("policy_year", "id"))


def revest_pending() -> QuerySet[RevestPending]:
    """The nightly list of employer-years whose vesting would change if re-vested."""
    return RevestPending.objects.select_related("employer").order_by(
        "employer__name", "policy_year"
    )


def revest_pending_count() -> int:
    """How many vested employer-years the nightly check found would change (dashboard)."""
    return RevestPending.objects.count()


def plan_year_use(sender: Any, *, start_year: int, **kwargs: Any) -> PlanYearUse:
    """Answers ``accounts.signals.plan_year_use_asked``: the plan year's months closed by
    any employer, and whether an employer-year of its rollover has vested (completed) or
    is vesting (running). A failed or queued one has moved no money: the settings that
    made it fail can still be corrected."""
    closes = MonthClose.objects.filter(
        Q(year=start_year, month__gte=7) | Q(year=start_year + 1, month__lte=6)
    ).values_list("year", "month")
    months = frozenset(date(year, month, 1) for year, month in closes.distinct())
    vested = VestingRunEmployerStep.objects.filter(
        policy_year=start_year,
        status__in=[VestingRunEmployerStep.Status.COMPLETED, VestingRunEmployerStep.Status.RUNNING],
    ).exists()
    return PlanYearUse(closed_months=months, rollover_started=vested)

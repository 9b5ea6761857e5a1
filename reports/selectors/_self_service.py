"""Employee self-service: the logged-in employee's own coverage, deductible, vested
balance, history, payouts and beneficiaries; never anyone else's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.models import (
    BeneficiaryDesignation,
    CoverageSegment,
    Employee,
    PlanYear,
)
from accounts.rules import (
    TIER_LABELS,
    Tier,
    add_months,
    policy_year_label,
    policy_year_of,
    policy_year_start,
)
from accounts.selectors import (
    coverage_timeline_for,
    rule_segments,
)
from claims.models import FamilyYear
from reports.selectors._common import (
    DEFAULT_DEDUCTIBLE,
    REFUND_KINDS,
    deductible_of,
    reporting_date,
)
from staywell.money import ZERO
from vesting import rules as vesting_rules
from vesting.ledger import selectors as ledger
from vesting.models import (
    FundKind,
    Payout,
    TransactionKind,
    VestingLine,
)


def employee_for_self_service(user: Any) -> Employee | None:
    """THE rule of self-service: the employee record linked to the logged-in user, and no
    other. Pages and API take no employee id at all, so none can be guessed."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Employee.objects.select_related("employer", "program").filter(user_id=user.pk).first()


@dataclass(frozen=True)
class YearLine:
    """One policy year of an employee's vesting history."""

    policy_year: int
    allotment: Decimal  # R-VE1
    trust_fund_claims: Decimal  # the trust fund's payments for the family's claims
    vested: Decimal  # what moved to the side account for this year (after run-out)
    status: str  # "vested", "pending", "to district", ...

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)


@dataclass(frozen=True)
class ScheduledPayout:
    description: str
    amount: Decimal
    due_on: date
    status: str


@dataclass(frozen=True)
class SelfService:
    """What an employee sees of their own plan records."""

    employee: Employee
    as_of: date
    tier: str  # tier value on as_of
    tier_label: str
    segments: list[CoverageSegment]  # the coverage timeline, oldest first
    policy_year: int  # the plan year of as_of
    deductible: Decimal
    deductible_used: Decimal
    deductible_source: str  # "claims" or "ledger"
    vested_balance: Decimal
    history: list[YearLine]
    history_source: str  # "vesting" (VestingLine) or "ledger"
    payouts: list[ScheduledPayout]
    payouts_source: str  # "vesting" (Payout) or "rules"
    refunds_paid: Decimal  # paid out of the side account to date
    beneficiaries: list[BeneficiaryDesignation]

    @property
    def deductible_remaining(self) -> Decimal:
        return max(ZERO, self.deductible - self.deductible_used)

    @property
    def year_label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def separated(self) -> bool:
        return self.employee.separation_date is not None

    @property
    def trust_funded(self) -> bool:
        return self.tier == Tier.FULL.value

    @property
    def timeline(self) -> list[CoverageSegment]:
        """The timeline without the uncovered stretch before coverage starts."""
        rows = list(self.segments)
        while rows and rows[0].tier == Tier.NONE.value:
            rows.pop(0)
        return rows


def self_service(employee: Employee, *, today: date | None = None) -> SelfService:
    """The self-service page's data for ``employee`` (obtained from
    :func:`employee_for_self_service`, never from a request parameter)."""
    as_of = reporting_date(employer_id=employee.employer_id, today=today)
    segments = coverage_timeline_for(employee)
    tier = Tier.NONE
    for segment in segments:
        if segment.start <= as_of and (segment.end is None or segment.end >= as_of):
            tier = Tier(segment.tier)
    year = policy_year_of(as_of)
    used, used_source = family_deductible_used(employee, year, as_of)
    history, history_source = vesting_history(employee, segments, as_of)
    payouts, payouts_source = payout_schedule(employee, history)
    side = ledger_side_account(employee)
    return SelfService(
        employee=employee,
        as_of=as_of,
        tier=tier.value,
        tier_label=TIER_LABELS[tier],
        segments=segments,
        policy_year=year,
        deductible=deductible_of(year),
        deductible_used=used,
        deductible_source=used_source,
        vested_balance=ledger.account_balance(side) if side else ZERO,
        history=history,
        history_source=history_source,
        payouts=payouts,
        payouts_source=payouts_source,
        refunds_paid=_refunds_paid(employee),
        beneficiaries=list(
            BeneficiaryDesignation.objects.filter(employee=employee, revoked_on=None).order_by(
                "-share_percent", "name"
            )
        ),
    )


def ledger_side_account(employee: Employee) -> int | None:
    """The id of the employee's side account in the Vested Trust Fund, if it exists (a
    read: the ledger creates it on first use, which a page must not do)."""
    from vesting.models import Account

    return (
        Account.objects.filter(
            fund__kind=FundKind.VESTED_TRUST,
            fund__employer_id=employee.employer_id,
            employee=employee,
        )
        .values_list("id", flat=True)
        .first()
    )


def family_deductible_used(
    employee: Employee, policy_year: int, as_of: date
) -> tuple[Decimal, str]:
    """What the family's deductible has taken this policy year (R-CL1).

    From the claims app's ``FamilyYear.absorbed`` when it has a row for the family and
    year (it also counts what a three-quarter or self-pay employee paid themselves).
    Otherwise from the ledger: the trust fund's claim payments for this employee with a
    date of service in the year, net of reversals (the FULL tier only: the ledger knows
    nothing of amounts the employee paid).
    """
    value = (
        FamilyYear.objects.filter(employee=employee, policy_year=policy_year)
        .values_list("absorbed", flat=True)
        .first()
    )
    if value is not None:
        return value, "claims"
    claims = _claims_by_year(employee, as_of)
    return claims.get(policy_year, ZERO), "ledger"


_EMPLOYEE_YEARS_SQL = """
SELECT coalesce(o.kind, t.kind) AS kind,
       (extract(year FROM coalesce(o.period_start, o.effective_date, t.period_start, t.effective_date))::int
        - CASE WHEN extract(month FROM coalesce(o.period_start, o.effective_date,
                                                t.period_start, t.effective_date)) < 7
               THEN 1 ELSE 0 END) AS year,
       sum(CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END)
  FROM (SELECT id FROM vesting_transaction WHERE employee_id = %(employee_id)s
        UNION  -- the reversals of the employee's transactions, whoever they name
        SELECT r.id FROM vesting_transaction r
          JOIN vesting_transaction m ON r.reverses_id = m.id
         WHERE m.employee_id = %(employee_id)s) AS mine
  JOIN vesting_transaction t ON t.id = mine.id
  LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
  JOIN vesting_posting p ON p.transaction_id = t.id
  JOIN vesting_account a ON a.id = p.account_id
  JOIN vesting_fund f ON f.id = a.fund_id
 WHERE coalesce(o.employee_id, t.employee_id) = %(employee_id)s
   AND t.effective_date <= %(as_of)s
   AND ((f.kind = 'general_trust' AND coalesce(o.kind, t.kind) = 'claim_payment')
     OR (f.kind = 'vested_trust' AND coalesce(o.kind, t.kind) IN ('vesting_transfer', 'runout_recovery'))
     OR (f.kind = 'general_trust' AND coalesce(o.kind, t.kind) = 'unvested_transfer'))
 GROUP BY 1, 2
"""


def _employee_years(employee: Employee, as_of: date) -> dict[str, dict[int, Decimal]]:
    """Per policy year (of the date of service, or of the vested period): trust-fund
    claims, net vested (vesting transfers less run-out recoveries) and unvested amounts
    of one employee, from the ledger (one query: the employee's transactions and their
    reversals found by index; a filter on ``coalesce(o.employee_id, t.employee_id)`` alone
    reads the whole ledger)."""
    with connection.cursor() as cursor:
        cursor.execute(_EMPLOYEE_YEARS_SQL, {"employee_id": employee.pk, "as_of": as_of})
        rows = cursor.fetchall()
    result: dict[str, dict[int, Decimal]] = {
        "claims": defaultdict(lambda: ZERO),
        "vested": defaultdict(lambda: ZERO),
        "unvested": defaultdict(lambda: ZERO),
    }
    for kind, year, amount in rows:
        if kind == TransactionKind.CLAIM_PAYMENT:
            result["claims"][year] -= amount  # credits to the trust fund: money paid out
        elif kind == TransactionKind.UNVESTED_TRANSFER:
            result["unvested"][year] -= amount
        else:
            result["vested"][year] += amount
    return result


def _claims_by_year(employee: Employee, as_of: date) -> dict[int, Decimal]:
    return dict(_employee_years(employee, as_of)["claims"])


def vesting_history(
    employee: Employee, segments: Iterable[CoverageSegment], as_of: date
) -> tuple[list[YearLine], str]:
    """The employee's per-year history: allotment, trust-fund claims, vested.

    Each year the vesting rollover has recorded comes from its ``vesting.VestingLine``
    (source "vesting"). Any other year (the year still running, or a ledger written
    without the rollover) is computed: the allotment from the coverage timeline by the
    vesting rules (R-VE1: the FULL-tier months of the year), the trust-fund claims and
    the vested amount from the ledger (per policy year of the date of service / of the
    vested period, net of reversals and run-out recoveries). Status of a computed year:
    "vested" when the ledger shows a vesting transfer, "to district" for an unvested
    transfer, else "in progress" (still running) or "pending".
    """
    timeline = rule_segments(segments)
    years = _employee_years(employee, as_of)
    deductibles = dict(PlanYear.objects.values_list("start_year", "deductible"))
    first_covered = next((seg.start for seg in timeline if seg.tier is not Tier.NONE), None)
    current_year = policy_year_of(as_of)
    computed: dict[int, YearLine] = {}
    if first_covered is not None:
        last_day = min(as_of, employee.separation_date or as_of)
        for year in range(policy_year_of(first_covered), policy_year_of(last_day) + 1):
            months = [
                index
                for index in range(12)
                if add_months(policy_year_start(year), index) <= as_of
                and _tier_on(timeline, add_months(policy_year_start(year), index)) is Tier.FULL
            ]
            allotment = vesting_rules.allotment(months, deductibles.get(year, DEFAULT_DEDUCTIBLE))
            vested = years["vested"].get(year, ZERO)
            unvested = years["unvested"].get(year, ZERO)
            claims = years["claims"].get(year, ZERO)
            if not (allotment or vested or claims or unvested):
                continue
            status = (
                "vested"
                if vested
                else "to district"
                if unvested
                else "in progress"
                if year == current_year
                else "pending"
            )
            computed[year] = YearLine(year, allotment, claims, vested or unvested, status)
    source = "ledger"
    for row in VestingLine.objects.filter(employee=employee).order_by("policy_year"):
        source = "vesting"
        computed[row.policy_year] = YearLine(
            policy_year=row.policy_year,
            allotment=row.allotment,
            trust_fund_claims=row.trust_fund_claims,
            vested=row.amount,
            status=str(row.get_outcome_display()).lower(),
        )
    return [computed[year] for year in sorted(computed)], source


def _tier_on(timeline: list[Any], day: date) -> Tier:
    from accounts.rules import tier_on

    return tier_on(timeline, day)


def payout_schedule(
    employee: Employee, history: list[YearLine]
) -> tuple[list[ScheduledPayout], str]:
    """A separated employee's payout schedule (R-VE7, R-VE8, R-VE10).

    From the vesting app's ``Payout`` rows when it has recorded any for the employee.
    Otherwise the schedule the vesting rules give (``lump_sum_schedule`` with the plan
    year's hold setting; after a death, ``beneficiary_due_date``) over the amounts
    vested per year, marked "expected". Nothing for an employee still employed.
    """
    if employee.separation_date is None:
        return [], "rules"
    rows = list(Payout.objects.filter(employee=employee).order_by("due_on", "pk"))
    if rows:
        return [
            ScheduledPayout(
                description=row.reason or row.get_kind_display(),
                amount=row.amount,
                due_on=row.due_on,
                status=str(row.get_status_display()).lower(),
            )
            for row in rows
        ], "vesting"
    separation_year = policy_year_of(employee.separation_date)
    vested = [(y.policy_year, y.vested) for y in history if y.status == "vested"]
    if employee.separation_reason == Employee.SeparationReason.DEATH:
        total = sum((amount for _, amount in vested), ZERO)
        due = vesting_rules.beneficiary_due_date(employee.separation_date)
        description = "Vested balance to the beneficiary, six months after death"
        return [ScheduledPayout(description, total, due, "expected")] if total else [], "rules"
    earlier = [(year, amount) for year, amount in vested if year < separation_year]
    own = sum((amount for year, amount in vested if year == separation_year), ZERO)
    hold = (
        PlanYear.objects.filter(start_year=separation_year)
        .values_list("prior_year_hold_from", flat=True)
        .first()
        or "year_end"
    )
    schedule = vesting_rules.lump_sum_schedule(
        separation_date=employee.separation_date,
        vested_by_year=earlier,
        separation_year_amount=own,
        hold_prior_year_from=hold,
    )
    return [
        ScheduledPayout(
            f"{policy_year_label(p.start_year)}: {p.reason}", p.amount, p.due_on, "expected"
        )
        for p in schedule
    ], "rules"


def _refunds_paid(employee: Employee) -> Decimal:
    side = ledger_side_account(employee)
    if side is None:
        return ZERO
    sql = """
        SELECT coalesce(sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END), 0)
          FROM vesting_posting p
          JOIN vesting_transaction t ON t.id = p.transaction_id
          LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
         WHERE p.account_id = %(side)s AND coalesce(o.kind, t.kind) = ANY(%(refunds)s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"side": side, "refunds": list(REFUND_KINDS)})
        return cursor.fetchone()[0]

"""Employee self-service: the logged-in employee's own coverage, deductible, vested
balance, history, payouts and beneficiaries; never anyone else's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection

from accounts.models import (
    BeneficiaryDesignation,
    CoverageSegment,
    Employee,
    Employer,
    PlanYear,
    Program,
)
from accounts.rules import (
    TIER_LABELS,
    Tier,
    add_months,
    policy_year_label,
    policy_year_of,
    policy_year_start,
    tier_on,
)
from accounts.selectors import (
    coverage_timeline_for,
    rule_segments,
)
from reports.selectors._common import (
    DEFAULT_DEDUCTIBLE,
    REFUND_KINDS,
    reporting_date,
)
from staywell.db import model_columns, model_from_row, prepared_dicts
from staywell.money import ZERO
from vesting import rules as vesting_rules
from vesting.models import (
    Payout,
    TransactionKind,
    VestingLine,
)
from vesting.selectors import SIDE_ACCOUNT_ID_SQL


@cache
def _employee_sql() -> str:
    """The employee linked to a user (``e_``) with the employer (``r_``) and the program
    (``p_``): one prepared statement, on every self-service page and call."""
    return f"""
        SELECT {model_columns(Employee, "e")}, {model_columns(Employer, "r")},
               {model_columns(Program, "p")}
          FROM accounts_employee e
          JOIN accounts_employer r ON r.id = e.employer_id
          JOIN accounts_program p ON p.id = e.program_id
         WHERE e.user_id = %s
    """  # noqa: S608 - names from the models; the id is bound


def employee_for_self_service(user: Any) -> Employee | None:
    """THE rule of self-service: the employee record linked to the logged-in user, and no
    other. Pages and API take no employee id at all, so none can be guessed."""
    if not getattr(user, "is_authenticated", False):
        return None
    rows = prepared_dicts(_employee_sql(), [user.pk])
    if not rows:
        return None
    employee: Employee = model_from_row(Employee, rows[0], prefix="e_")
    employee.employer = model_from_row(Employer, rows[0], prefix="r_")
    employee.program = model_from_row(Program, rows[0], prefix="p_")
    return employee


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


# The small figures of the self-service page in one prepared statement (they took six
# queries): the family's deductible taken this year (R-CL1: the claims app's ``FamilyYear``,
# which also counts what a three-quarter or self-pay employee paid themselves; without a
# row, the ledger's trust-fund payments of the year), the side account's balance and what
# was paid out of it (the ledger's Vested Trust Fund account of the employee, if it exists:
# a read never creates it), and every plan year's deductible.
_FIGURES_SQL = f"""
WITH side AS (SELECT {SIDE_ACCOUNT_ID_SQL} AS id)
SELECT (SELECT absorbed FROM claims_familyyear
         WHERE employee_id = %(employee)s AND policy_year = %(year)s) AS absorbed,
       coalesce((SELECT b.balance FROM vesting_accountbalance b
                   JOIN side ON side.id = b.account_id), 0) AS balance,
       (SELECT coalesce(sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END),
                        0)
          FROM side JOIN vesting_posting p ON p.account_id = side.id
          JOIN vesting_transaction t ON t.id = p.transaction_id
          LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
         WHERE coalesce(o.kind, t.kind) = ANY(%(refunds)s)) AS refunds,
       ARRAY(SELECT start_year FROM accounts_planyear ORDER BY start_year) AS plan_years,
       ARRAY(SELECT deductible FROM accounts_planyear ORDER BY start_year) AS deductibles
"""  # noqa: S608 - a fixed SQL fragment; the values are bound


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
    params = {"employee": employee.pk, "employer": employee.employer_id, "year": year}
    figures = prepared_dicts(_FIGURES_SQL, {**params, "refunds": list(REFUND_KINDS)})[0]
    deductibles = dict(zip(figures["plan_years"], figures["deductibles"], strict=True))
    ledger_years = _employee_years(employee, as_of)
    if figures["absorbed"] is not None:
        used, used_source = figures["absorbed"], "claims"
    else:  # the FULL tier only: the ledger knows nothing of amounts the employee paid
        used, used_source = ledger_years["claims"].get(year, ZERO), "ledger"
    history, history_source = vesting_history(
        employee, segments, as_of, deductibles=deductibles, ledger_years=ledger_years
    )
    payouts, payouts_source = payout_schedule(employee, history)
    return SelfService(
        employee=employee,
        as_of=as_of,
        tier=tier.value,
        tier_label=TIER_LABELS[tier],
        segments=segments,
        policy_year=year,
        deductible=deductibles.get(year, DEFAULT_DEDUCTIBLE),
        deductible_used=used,
        deductible_source=used_source,
        vested_balance=figures["balance"],
        history=history,
        history_source=history_source,
        payouts=payouts,
        payouts_source=payouts_source,
        refunds_paid=figures["refunds"],
        beneficiaries=list(
            BeneficiaryDesignation.objects.filter(employee=employee, revoked_on=None).order_by(
                "-share_percent", "name"
            )
        ),
    )


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


def vesting_history(
    employee: Employee,
    segments: Iterable[CoverageSegment],
    as_of: date,
    *,
    deductibles: Mapping[int, Decimal],
    ledger_years: Mapping[str, Mapping[int, Decimal]],
) -> tuple[list[YearLine], str]:
    """The employee's per-year history: allotment, trust-fund claims, vested.

    Each year the vesting rollover has recorded comes from its ``vesting.VestingLine``
    (source "vesting"). Any other year (the year still running, or a ledger written
    without the rollover) is computed: the allotment from the coverage timeline by the
    vesting rules (R-VE1: the FULL-tier months of the year), the trust-fund claims and
    the vested amount from the ledger (per policy year of the date of service / of the
    vested period, net of reversals and run-out recoveries). Status of a computed year:
    "vested" when the ledger shows a vesting transfer, "to district" for an unvested
    transfer, else "in progress" (still running) or "pending". ``deductibles`` (every
    plan year's) and ``ledger_years`` (:func:`_employee_years`): read by the caller with
    the page's other figures.
    """
    timeline = rule_segments(segments)
    first_covered = next((seg.start for seg in timeline if seg.tier is not Tier.NONE), None)
    current_year = policy_year_of(as_of)
    computed: dict[int, YearLine] = {}
    if first_covered is not None:
        last_day = min(as_of, employee.separation_date or as_of)
        for year in range(policy_year_of(first_covered), policy_year_of(last_day) + 1):
            firsts = [add_months(policy_year_start(year), index) for index in range(12)]
            months = [
                index
                for index, first in enumerate(firsts)
                if first <= as_of and tier_on(timeline, first) is Tier.FULL
            ]
            allotment = vesting_rules.allotment(months, deductibles.get(year, DEFAULT_DEDUCTIBLE))
            vested = ledger_years["vested"].get(year, ZERO)
            unvested = ledger_years["unvested"].get(year, ZERO)
            claims = ledger_years["claims"].get(year, ZERO)
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

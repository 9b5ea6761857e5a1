"""Reads of members, coverage and premiums; who may see what.

What the ledger, claims and reports read from here: :class:`ChargeLine`,
:class:`MonthlyCharges`, :func:`monthly_premium_charges`,
:func:`monthly_premium_charges_all`, :func:`covered_on` (who is covered on a day, in what
tier: one SQL query).

Premium amounts come from ``accounts.rules.premium_lines_for_month`` (the single source
of the premium arithmetic, R-PR1/R-PR2/R-EL8): the selectors fetch the covered segments
of the month's first day in one query and the plan year's schedule in another, then
compute the lines once per distinct kind of segment (tier, source, employer basis,
dental), which there are only a handful of, and expand them to the employees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts import rules
from accounts.models import (
    BeneficiaryDesignation,
    CoverageSegment,
    Employee,
    PremiumSchedule,
    source_from_db,
)
from staywell.db import model_columns, model_from_row, prepared_dicts
from staywell.models import AccessRecord
from staywell.money import ZERO
from staywell.roles import STAFF_ROLES, Role, has_role

LINES = tuple(kind.value for kind in rules.PremiumLineKind)  # major_medical, trust_fund, dental
PAYERS = tuple(payer.value for payer in rules.Payer)  # employer, employee


# ---------------------------------------------------------------------------------------
# Employees
# ---------------------------------------------------------------------------------------


def _covered_segment_on(day: date) -> QuerySet[CoverageSegment]:
    """The segment of the outer employee covering ``day`` (one (employee, start) probe)."""
    return (
        CoverageSegment.objects.filter(employee=OuterRef("pk"), start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .order_by("-start")
    )


def with_current_tier(queryset: QuerySet[Employee], on: date | None = None) -> QuerySet[Employee]:
    """Annotate ``current_tier``: the tier of the segment covering ``on`` (default today)."""
    day = on or timezone.localdate()
    return queryset.annotate(current_tier=Subquery(_covered_segment_on(day).values("tier")[:1]))


def employee_list(
    *,
    search: str | None = None,
    employer_id: int | None = None,
    program_id: int | None = None,
    tier: str | None = None,
    status: str | None = None,
    separated: bool | None = None,
    on: date | None = None,
    user: Any = None,
) -> QuerySet[Employee]:
    """Employees, ordered by name, with ``current_tier`` (the tier on ``on``, default
    today) annotated; filters: search (the start of a last or first name, or of the
    employee number; several words must all match), employer, program, tier on ``on``,
    status (regular/temporary), separated or not. With ``user``, only the employees that
    user may see (:func:`employees_visible_to`).

    Uses the name/number prefix indexes and the (employee, start) segment index; the
    tier annotation is one index probe per row of the page.
    """
    day = on or timezone.localdate()
    queryset = with_current_tier(Employee.objects.select_related("employer", "program"), day)
    if user is not None and not has_role(user, *STAFF_ROLES):
        queryset = queryset.filter(pk__in=employees_visible_to(user).values("pk"))
    if employer_id:
        queryset = queryset.filter(employer_id=employer_id)
    if program_id:
        queryset = queryset.filter(program_id=program_id)
    if status:
        queryset = queryset.filter(status=status)
    if separated is not None:
        queryset = queryset.filter(separation_date__isnull=not separated)
    if tier:
        if tier == rules.Tier.NONE:
            covered = _covered_segment_on(day).exclude(tier=rules.Tier.NONE)
            queryset = queryset.filter(~Exists(covered))
        else:
            queryset = queryset.filter(Exists(_covered_segment_on(day).filter(tier=tier)))
    for word in (search or "").split():
        queryset = queryset.filter(
            Q(last_name__istartswith=word)
            | Q(first_name__istartswith=word)
            | Q(number__startswith=word)
        )
    return queryset.order_by("last_name", "first_name", "number")


def employees_visible_to(user: Any) -> QuerySet[Employee]:
    """Staff roles see every employee; an employee sees only their own record."""
    if has_role(user, *STAFF_ROLES):
        return Employee.objects.all()
    if has_role(user, Role.EMPLOYEE):
        return Employee.objects.filter(user=user)
    return Employee.objects.none()


def employee_get_for_user(user: Any, employee_id: int | str) -> Employee:
    """One employee the user may see, with ``current_tier``; else Http404 (never 403, so
    that guessing ids confirms nothing)."""
    try:
        pk = int(employee_id)
        return with_current_tier(
            employees_visible_to(user).select_related("employer", "program")
        ).get(pk=pk)
    except (Employee.DoesNotExist, ValueError, TypeError):
        raise Http404("No such employee.") from None


def employees_without_beneficiary(*, employer_id: int | None = None) -> QuerySet[Employee]:
    """III.D.7: employees with no current beneficiary statement on file."""
    current = BeneficiaryDesignation.objects.filter(employee=OuterRef("pk"), revoked_on=None)
    queryset = Employee.objects.filter(~Exists(current)).select_related("employer", "program")
    if employer_id:
        queryset = queryset.filter(employer_id=employer_id)
    return queryset.order_by("last_name", "first_name", "number")


# ---------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------


@cache
def _timeline_sql() -> str:
    return f"""
        SELECT {model_columns(CoverageSegment, "c")} FROM accounts_coveragesegment c
         WHERE c.employee_id = %s ORDER BY c.start_date, c.id
    """  # noqa: S608 - names from the model; the id is bound


def coverage_timeline_for(employee: Employee | int) -> list[CoverageSegment]:
    """The employee's materialized coverage timeline, oldest first (a prepared statement:
    every page about one employee reads it)."""
    employee_id = employee if isinstance(employee, int) else employee.pk
    return [
        model_from_row(CoverageSegment, row, prefix="c_")
        for row in prepared_dicts(_timeline_sql(), [employee_id])
    ]


def rule_segments(segments: Iterable[CoverageSegment]) -> list[rules.CoverageSegment]:
    """Model rows as ``accounts.rules.CoverageSegment`` values (for the pure rules)."""
    return [
        rules.CoverageSegment(
            start=row.start,
            end=row.end,
            tier=rules.Tier(row.tier),
            source=source_from_db(row.source),
            employer_basis=rules.Tier(row.employer_basis) if row.employer_basis else None,
            reason=row.reason,
            author=row.author,
            dental=row.dental,
        )
        for row in segments
    ]


def covered_on(*, day: date, employer_id: int | None = None) -> QuerySet[CoverageSegment]:
    """Who is covered on ``day`` and in what tier: one segment per covered employee.

    One SQL query (``.values(...)`` or iterate); R-PR2 uses the first of the month.
    """
    queryset = (
        CoverageSegment.objects.filter(start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .exclude(tier=rules.Tier.NONE)
    )
    if employer_id is not None:
        queryset = queryset.filter(employee__employer_id=employer_id)
    return queryset


# ---------------------------------------------------------------------------------------
# Premiums (R-PR1, R-PR2)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeLine:
    """One premium charge of a month: an employee, a line, a payer, an amount.

    Employee shares are payroll deductions; employer shares are charges to the
    employee's program (R-PR2).
    """

    employee_id: int
    employee_number: str
    employee_name: str  # "Last, First"
    program_code: str  # the budget code the month is charged to (II.D)
    tier: str  # rules.Tier value of the segment covering the month's first day
    line: str  # "major_medical" | "trust_fund" | "dental"
    payer: str  # "employer" | "employee"
    amount: Decimal  # dollars, two places


@dataclass(frozen=True)
class MonthlyCharges:
    """An employer's premium charges for one month (R-PR2)."""

    employer_id: int
    year: int
    month: int
    lines: list[ChargeLine] = field(default_factory=list)

    def total(self, *, line: str | None = None, payer: str | None = None) -> Decimal:
        return sum(
            (
                item.amount
                for item in self.lines
                if (line is None or item.line == line) and (payer is None or item.payer == payer)
            ),
            ZERO,
        )

    def totals_by_program(self) -> dict[str, dict[str, Decimal]]:
        """Program code -> {"employer": .., "employee": .., "total": ..}, sorted by code."""
        totals: dict[str, dict[str, Decimal]] = {}
        for item in self.lines:
            entry = totals.setdefault(
                item.program_code, {"employer": ZERO, "employee": ZERO, "total": ZERO}
            )
            entry[item.payer] += item.amount
            entry["total"] += item.amount
        return dict(sorted(totals.items()))

    @property
    def employee_count(self) -> int:
        """Employees charged for the month (covered on its first day)."""
        return len({item.employee_id for item in self.lines})


@dataclass(frozen=True)
class PlanYearRates:
    """A plan year's premium schedule as the rules take it."""

    start_year: int
    rates_by_tier: Mapping[rules.Tier, rules.PremiumRates]
    grandfathered_employer_share: Decimal


def plan_year_rates(start_year: int, month: date | None = None) -> PlanYearRates | None:
    """R-PR1: the premium schedule of a plan year in force in ``month`` (its first day;
    default the year's first month), in one query: for each tier, the revision with the
    latest ``effective_from`` on or before the month. None when no row is in force."""
    first = date(start_year, 7, 1)
    rows = list(
        PremiumSchedule.objects.select_related("plan_year")
        .filter(plan_year__start_year=start_year, effective_from__lte=max(month or first, first))
        .order_by("effective_from")
    )
    if not rows:
        return None
    # Ordered by month: a tier's later revision replaces its earlier one.
    rates = {
        rules.Tier(row.tier): rules.PremiumRates(
            major_medical_employer=row.major_medical_employer,
            major_medical_employee=row.major_medical_employee,
            trust_fund_employer=row.trust_fund_employer,
            trust_fund_employee=row.trust_fund_employee,
            dental_employer=row.dental_employer,
            dental_employee=row.dental_employee,
        )
        for row in rows
    }
    return PlanYearRates(start_year, rates, rows[0].plan_year.grandfathered_employer_share)


# The whole pool: one pass over the segments covering the day (hash join).
_CHARGE_SQL_POOL = """
SELECT e.employer_id, e.id, e.number, e.last_name, e.first_name, p.code,
       s.tier, s.source, s.employer_basis, s.dental
FROM accounts_coveragesegment s
JOIN accounts_employee e ON e.id = s.employee_id
JOIN accounts_program p ON p.id = e.program_id
WHERE s.start_date <= %(day)s
  AND (s.end_date IS NULL OR s.end_date >= %(day)s)
  AND s.tier <> 'none'
ORDER BY e.employer_id, p.code, e.last_name, e.first_name, e.number
"""

# Some employees (one employer, one employee): for each, the last segment starting on or
# before the day, one backward probe of the (employee, start) index.
_CHARGE_SQL_EMPLOYEES = """
SELECT e.employer_id, e.id, e.number, e.last_name, e.first_name, p.code,
       s.tier, s.source, s.employer_basis, s.dental
FROM accounts_employee e
JOIN accounts_program p ON p.id = e.program_id
CROSS JOIN LATERAL (
    SELECT tier, source, employer_basis, dental, end_date
    FROM accounts_coveragesegment
    WHERE employee_id = e.id AND start_date <= %(day)s
    ORDER BY start_date DESC
    LIMIT 1
) s
WHERE {where}
  AND (s.end_date IS NULL OR s.end_date >= %(day)s)
  AND s.tier <> 'none'
ORDER BY e.employer_id, p.code, e.last_name, e.first_name, e.number
"""


class _LineMaker:
    """Premium lines per distinct kind of segment, computed once by the rules."""

    def __init__(self, day: date) -> None:
        self.day = day
        self._rates: PlanYearRates | None = None
        self._loaded = False
        self._cache: dict[tuple[str, str, str, bool], list[tuple[str, str, Decimal]]] = {}

    def rates(self) -> PlanYearRates:
        if not self._loaded:
            self._rates = plan_year_rates(rules.policy_year_of(self.day), self.day)
            self._loaded = True
        if self._rates is None:
            label = rules.policy_year_label(rules.policy_year_of(self.day))
            raise ValidationError(
                {
                    "month": f"The plan year {label} has no premium schedule; an administrator "
                    "must set it up first."
                }
            )
        return self._rates

    def lines(
        self, tier: str, source: str, employer_basis: str, dental: bool
    ) -> list[tuple[str, str, Decimal]]:
        key = (tier, source, employer_basis, dental)
        cached = self._cache.get(key)
        if cached is None:
            rates = self.rates()
            segment = rules.CoverageSegment(
                start=self.day,
                end=self.day,
                tier=rules.Tier(tier),
                source=source_from_db(source),
                employer_basis=rules.Tier(employer_basis) if employer_basis else None,
                dental=dental,
            )
            try:
                result = rules.premium_lines_for_month(
                    [segment],
                    year=self.day.year,
                    month=self.day.month,
                    rates_by_tier=rates.rates_by_tier,
                    grandfathered_employer_share=rates.grandfathered_employer_share,
                )
            except ValueError as exc:
                label = rules.policy_year_label(rates.start_year)
                raise ValidationError({"month": f"Plan year {label}: {exc}."}) from exc
            cached = [(item.line.value, item.payer.value, item.amount) for item in result]
            self._cache[key] = cached
        return cached


def _charges(day: date, where: str | None, params: dict[str, Any]) -> dict[int, list[ChargeLine]]:
    maker = _LineMaker(day)
    by_employer: dict[int, list[ChargeLine]] = defaultdict(list)
    sql = _CHARGE_SQL_POOL if where is None else _CHARGE_SQL_EMPLOYEES.format(where=where)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"day": day, **params})
        rows = cursor.fetchall()
    for (
        employer_id,
        employee_id,
        number,
        last_name,
        first_name,
        program_code,
        tier,
        source,
        basis,
        dental,
    ) in rows:
        name = f"{last_name}, {first_name}"
        out = by_employer[employer_id]
        for line, payer, amount in maker.lines(tier, source, basis, dental):
            out.append(
                ChargeLine(employee_id, number, name, program_code, tier, line, payer, amount)
            )
    return by_employer


def monthly_premium_charges(*, employer_id: int, year: int, month: int) -> MonthlyCharges:
    """R-PR2: every employee of the employer covered on the month's first day, with the
    month's premium lines by payer (R-PR1 schedule of the plan year containing the month;
    R-EL8 elected continuation: the employer pays the lower tier's employer share, the
    employee the rest; R-VE8/R-VE9 post-separation continuation: the person pays all).

    Two SQL queries (segments joined to employees and programs; the plan year's
    schedule). Lines are ordered by program code, employee name, line, payer.
    """
    day = date(year, month, 1)
    lines = _charges(day, "e.employer_id = %(employer_id)s", {"employer_id": employer_id})
    return MonthlyCharges(employer_id, year, month, lines.get(employer_id, []))


def monthly_premium_charges_all(*, year: int, month: int) -> dict[int, MonthlyCharges]:
    """:func:`monthly_premium_charges` of every employer of the pool, in one pass
    (employer id -> charges; employers with nobody covered have no lines)."""
    from accounts.models import Employer

    day = date(year, month, 1)
    by_employer = _charges(day, None, {})
    return {
        employer_id: MonthlyCharges(employer_id, year, month, by_employer.get(employer_id, []))
        for employer_id in Employer.objects.order_by("pk").values_list("pk", flat=True)
    }


def premium_lines_for(employee: Employee | int, year: int, month: int) -> list[ChargeLine]:
    """R-PR1 / R-PR2: one employee's premium lines for a month (none when not covered on
    the month's first day)."""
    employee_id = employee if isinstance(employee, int) else employee.pk
    day = date(year, month, 1)
    by_employer = _charges(day, "e.id = %(employee_id)s", {"employee_id": employee_id})
    return [line for lines in by_employer.values() for line in lines]


# ---------------------------------------------------------------------------------------
# Clerk pages: the list's program filter, the employee page, the R-EL8 offer
# ---------------------------------------------------------------------------------------


def program_code_choices() -> list[tuple[str, str]]:
    """The budget codes of the pool, each with one of its names (the list's filter).

    Decision: the employee list filters by budget code, across employers unless one is
    chosen: a pool of 300 employers has some 1,400 programs that share a few dozen codes.
    """
    from django.db.models import Min

    from accounts.models import Program

    rows = Program.objects.values("code").annotate(name=Min("name")).order_by("code")
    return [(row["code"], f"{row['code']} {row['name']}") for row in rows]


def employee_directory(*, program_code: str | None = None, **filters: Any) -> QuerySet[Employee]:
    """:func:`employee_list` plus a filter by budget code (:func:`program_code_choices`)."""
    queryset = employee_list(**filters)
    if program_code:
        queryset = queryset.filter(program__code=program_code)
    return queryset


@dataclass(frozen=True)
class EmployeeFile:
    """What the clerk's employee page shows besides the employee row (one query each)."""

    segments: list[CoverageSegment]  # the coverage timeline, oldest first
    hours_changes: list[Any]  # HoursChange rows, oldest first, with election / created_by
    dependents: list[Any]  # Dependent rows, current first
    beneficiaries: list[BeneficiaryDesignation]  # current first, then revoked
    marriages: list[Any]  # Marriage rows with both spouses, newest first
    separation_continuation: Any  # SeparationContinuation or None

    @property
    def current_beneficiaries(self) -> list[BeneficiaryDesignation]:
        """III.D.7: the designations not revoked (none: flag it, R-VE10)."""
        return [row for row in self.beneficiaries if row.revoked_on is None]

    @property
    def current_share(self) -> Decimal:
        """The current beneficiaries' shares together, in percent (at most 100)."""
        return sum((row.share_percent for row in self.current_beneficiaries), Decimal("0"))


def employee_file(employee: Employee) -> EmployeeFile:
    """The employee page's history, family and designations (six queries)."""
    from accounts.models import Dependent, HoursChange, Marriage, SeparationContinuation

    marriages = (
        Marriage.objects.filter(Q(employee_a=employee) | Q(employee_b=employee))
        .select_related("employee_a__employer", "employee_b__employer")
        .order_by("-married_on")
    )
    return EmployeeFile(
        segments=coverage_timeline_for(employee),
        hours_changes=list(
            HoursChange.objects.filter(employee=employee)
            .select_related("created_by", "election")
            .order_by("effective_date")
        ),
        dependents=list(
            Dependent.objects.filter(employee=employee)
            .select_related("spouse_employee")
            .order_by(F("ended_on").desc(nulls_first=True), "relationship", "birth_date", "id")
        ),
        beneficiaries=list(
            BeneficiaryDesignation.objects.filter(employee=employee).order_by(
                F("revoked_on").desc(nulls_first=True), "-share_percent", "name"
            )
        ),
        marriages=list(marriages),
        separation_continuation=SeparationContinuation.objects.filter(employee=employee).first(),
    )


# R-EL7 / R-EL8: the order of tiers that tells an increase from a reduction (the two
# under-20 tiers share a rank), as in ``accounts.rules``.
_TIER_RANK = {
    rules.Tier.NONE: 0,
    rules.Tier.SELF_PAY: 1,
    rules.Tier.GRANDFATHERED: 1,
    rules.Tier.THREE_QUARTER: 2,
    rules.Tier.FULL: 3,
}


@dataclass(frozen=True)
class ElectionOffer:
    """R-EL8: a reduction that lets the employee keep the prior coverage to June 30."""

    effective: date  # the reduction's effective date
    prior_tier: rules.Tier  # the tier the employee may keep by paying the difference
    lower_tier: rules.Tier  # the tier the new hours give
    lower_tier_starts: date  # first day in the lower tier without an election
    continuation_ends: date  # June 30: last day an elected continuation covers
    sign_by: date  # last day the election may be signed (services' Decision)


def reduction_election_offer(
    *, employee: Employee, effective_date: date, status: str, weekly_hours: Decimal
) -> ElectionOffer | None:
    """R-EL8: would a change to ``status`` / ``weekly_hours`` effective on the date be a
    reduction for which the employee may elect to continue the prior coverage?

    The tier in force is read from the stored timeline on the effective date (during an
    elected continuation: the tier the hours give, as the rules count it); the new tier
    from ``rules.tier_for``; the choice from ``rules.reduction_outcome`` (October 1 to
    May 31). Losing regular status is no reduction with a choice (rules' Decision).
    One query.
    """
    outcome = rules.reduction_outcome(effective_date)
    if not outcome.election_offered or outcome.continuation_ends is None:
        return None
    try:
        new = rules.tier_for(
            status=rules.EmploymentStatus(status),
            weekly_hours=weekly_hours,
            grandfathered=employee.grandfathered,
            grandfathered_elected=employee.grandfathered_elected,
        )
    except (ValueError, TypeError):
        return None
    segment = (
        CoverageSegment.objects.filter(employee=employee, start__lte=effective_date)
        .filter(Q(end__isnull=True) | Q(end__gte=effective_date))
        .first()
    )
    if new is rules.Tier.NONE or segment is None or segment.tier == rules.Tier.NONE:
        return None
    electing = source_from_db(segment.source) is rules.CoverageSource.CONTINUATION_ELECTION
    current = rules.Tier(
        segment.employer_basis if electing and segment.employer_basis else segment.tier
    )
    if _TIER_RANK[new] >= _TIER_RANK[current]:
        return None
    return ElectionOffer(
        effective=effective_date,
        prior_tier=rules.Tier(segment.tier),
        lower_tier=new,
        lower_tier_starts=outcome.lower_tier_starts,
        continuation_ends=outcome.continuation_ends,
        sign_by=rules.last_of_month(effective_date),
    )


# The coverage grid of the employee page: one text symbol per tier (never colour alone).
TIER_SYMBOLS: dict[rules.Tier, str] = {
    rules.Tier.FULL: "F",
    rules.Tier.THREE_QUARTER: "¾",
    rules.Tier.SELF_PAY: "S",
    rules.Tier.GRANDFATHERED: "G",
    rules.Tier.NONE: "\u2013",  # en dash
}
# Marks after the symbol for coverage that is not simply what the hours give.
SOURCE_MARKS: dict[rules.CoverageSource, tuple[str, str]] = {
    rules.CoverageSource.CONTINUATION_ELECTION: (
        "E",
        "continued by election; the employee pays the difference (R-EL8)",
    ),
    rules.CoverageSource.OVERRIDE: ("O", "set by a clerk's override (R-EL10)"),
    rules.CoverageSource.SEPARATION_CONTINUATION: (
        "C",
        "continued after separation, paid by the person (R-VE8, R-VE9)",
    ),
}
MONTH_ABBREVIATIONS = (
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
)


@dataclass(frozen=True)
class MonthCell:
    """One month of the coverage grid: the tier on the month's first day (R-PR2)."""

    first_day: date
    symbol: str  # TIER_SYMBOLS, or "" before the hire date
    mark: str  # SOURCE_MARKS letter or ""
    tier: str  # rules.Tier value ("" before the hire date)
    description: str  # the words for screen readers and the tooltip


@dataclass(frozen=True)
class PlanYearRow:
    """R-PY1: one policy year of the coverage grid, July to June."""

    label: str  # "1983-84"
    cells: list[MonthCell]


def coverage_by_month(segments: Sequence[CoverageSegment]) -> list[PlanYearRow]:
    """The coverage grid: one row per policy year (R-PY1), one cell per month, the tier
    charged for the month being the tier on its first day (R-PR2).

    Decision: the rows run from the policy year of the hire to the policy year in which
    the last segment of the timeline starts; the last segment (open-ended) continues
    after that, which the page says in words. Nothing in the grid is computed here
    beyond reading the stored timeline.
    """
    timeline = rule_segments(segments)
    if not timeline:
        return []
    first_year = rules.policy_year_of(timeline[0].start)
    last_year = rules.policy_year_of(timeline[-1].start)
    rows = []
    for start_year in range(first_year, last_year + 1):
        cells = []
        for first_day in rules.policy_year_months(start_year):
            segment = rules.segment_on(timeline, first_day)
            if segment is None:
                cells.append(MonthCell(first_day, "", "", "", "before the hire date"))
                continue
            mark, why = SOURCE_MARKS.get(segment.source, ("", ""))
            if segment.tier is rules.Tier.NONE:
                mark, why = "", ""
            description = segment.tier.label + (f", {why}" if why else "")
            cells.append(
                MonthCell(
                    first_day, TIER_SYMBOLS[segment.tier], mark, segment.tier.value, description
                )
            )
        rows.append(PlanYearRow(rules.policy_year_label(start_year), cells))
    return rows


def access_records(
    *,
    username: str = "",
    employee: str = "",
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AccessRecord]:
    """The access log of health data (``staywell.access_log``), filtered, each row with
    its reader and the family's name and number (read with the page: no query a row).
    ``employee`` is an employee's id or number; dates are the local days of the reads."""
    records = AccessRecord.objects.select_related("user")
    if username.strip():
        records = records.filter(user__username__iexact=username.strip())
    text = employee.strip()
    if text:
        by_number = Employee.objects.filter(number=text).values("pk")
        match = Q(employee_id__in=by_number)
        if text.isascii() and text.isdigit() and len(text) < 19:
            match |= Q(employee_id=int(text))
        records = records.filter(match)
    if kind:
        records = records.filter(kind=kind)
    if date_from is not None:
        records = records.filter(at__date__gte=date_from)
    if date_to is not None:
        records = records.filter(at__date__lte=date_to)
    family = Employee.objects.filter(pk=OuterRef("employee_id"))
    return records.annotate(
        employee_number=Subquery(family.values("number")[:1]),
        employee_last_name=Subquery(family.values("last_name")[:1]),
        employee_first_name=Subquery(family.values("first_name")[:1]),
    )

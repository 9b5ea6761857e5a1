"""Reads behind the plan economics pages and API: results since inception, the
utilization watch and the history the projection starts from (section 8).

Every money figure of the results comes from the ledger (R-FU3), read without touching
the claim postings, so that the pool's page is fast whatever their number:

- the contributions (the employer budget), the interest (the bank: only interest comes
  from it, R-FU2), and the General and Vested Trust Funds' and the district account's
  changes, from the fund month totals the posting trigger keeps
  (``vesting_fundmonthtotal``; this month's from the day totals up to the reporting
  date), grouped by employer, fund and policy year;
- the kinds of money that move seldom (unvested transfers, payouts, run-out recoveries,
  go-live figures, overpayments) from their own transactions, by the transaction-kind
  index, reversals counted as their original;
- the rest is what remains of each fund's change: of the district account, the
  administrative costs (interest in, unvested transfers in, costs out); of the Vested
  Trust Fund, the vesting transfers (net of their reversals); of the General Trust Fund,
  the claims paid (the only other kind that moves it: contributions in, claims, vesting
  and the seldom kinds out).

Decision: a year's figures are those of its effective dates (the day money moved), as
on the year-end report (R-FU4) and the dashboard; a reversal falls in its own year.
Decision: figures carried in at go-live (``vesting.golive``) are balances, not the year's
flows: they are left out of every flow and show only in the balances (the vested
liability). Decision: the "families under the deductible" of a year are read from its
vesting lines once it is rolled over (R-VE2, as the dashboard), else not shown.

Decision (speed): the pages read the results and the projection's history through
``results_cached`` and ``history_cached``, kept a minute under keys that any new ledger
transaction, vesting line, claim, coverage change or schedule changes, as the dashboard
does; the selectors themselves always compute.

The utilization watch reads the claims (``claims_familyyear``, one row per family and
year, and the preventive claims' own index); for the pool it runs as a job with a progress
bar and is kept in the cache (``utilization_cached``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet

from accounts.models import Employer, PlanYear, PremiumSchedule
from accounts.rules import (
    Tier,
    add_months,
    policy_year_end,
    policy_year_of,
    policy_year_start,
)
from accounts.selectors import covered_on
from reports.economics.rules import (
    Assumptions,
    ClaimsDistribution,
    History,
    Projection,
    Results,
    ResultYear,
    Sensitivity,
    UtilizationYear,
    average_growth,
    default_assumptions,
    project,
    sensitivity,
    sheltered,
)
from reports.models import ProjectionScenario
from reports.selectors import reporting_date
from staywell.money import ZERO, money
from vesting.models import TransactionKind

logger = logging.getLogger(__name__)

HUNDRED = Decimal(100)

# The kinds that move seldom (one transaction per employee and event, or per employer
# and month): read from their own transactions. Every other kind that moves the General
# or Vested Trust Fund is a contribution, a claim payment or a vesting transfer.
SELDOM_KINDS = (
    TransactionKind.UNVESTED_TRANSFER.value,
    TransactionKind.RUNOUT_RECOVERY.value,
    TransactionKind.LUMP_SUM_PAYOUT.value,
    TransactionKind.CONTINUATION_PREMIUM.value,
    TransactionKind.BENEFICIARY_PAYMENT.value,
    TransactionKind.GO_LIVE.value,
    TransactionKind.OVERPAYMENT.value,
)
PAYOUT_KINDS = (
    TransactionKind.LUMP_SUM_PAYOUT.value,
    TransactionKind.CONTINUATION_PREMIUM.value,
    TransactionKind.BENEFICIARY_PAYMENT.value,
)
TOTAL_FUNDS = ("employer_budget", "bank", "general_trust", "vested_trust", "district")
HISTORY_YEARS = 3  # completed years the projection's claims and rates are read from


def _employer_sql(employer_id: int | None, alias: str) -> str:
    return "" if employer_id is None else f"AND {alias}.employer_id = %(employer_id)s"


@dataclass(frozen=True)
class MonthRate:
    """The FULL tier's monthly rates in force in a month (R-PR1), both shares."""

    month: date
    major_medical: Decimal
    trust_fund: Decimal
    dental: Decimal


def full_tier_rates(first: date, last: date) -> list[MonthRate]:
    """The FULL tier's schedule in force in each month from ``first`` to ``last``: the
    latest revision of the month's plan year effective by the month (one query)."""
    schedules: dict[int, list[PremiumSchedule]] = defaultdict(list)
    rows = PremiumSchedule.objects.filter(tier=Tier.FULL.value).select_related("plan_year")
    for row in rows.order_by("effective_from"):
        schedules[row.plan_year.start_year].append(row)
    rates, month = [], first.replace(day=1)
    while month <= last:
        chosen = None
        for row in schedules.get(policy_year_of(month), []):
            if row.effective_from <= month:
                chosen = row
        if chosen is not None:
            rates.append(
                MonthRate(
                    month,
                    chosen.major_medical_employer + chosen.major_medical_employee,
                    chosen.trust_fund_employer + chosen.trust_fund_employee,
                    chosen.dental_employer + chosen.dental_employee,
                )
            )
        month = add_months(month, 1)
    return rates


# The three funds' net changes by employer and policy year; for the employer budget (the
# contributions) also the FULL-tier months they stand for (contributions / the month's
# trust-fund rate, rounded per employer and month) and the carrier premiums of those
# months. Months before the reporting date's from the month totals (one row per fund and
# month already), its own month from the day totals up to the date, summed per fund.
_TOTALS_SQL = """
WITH monthly AS (
    SELECT f.employer_id, f.kind, m.month, m.net_change AS net
      FROM vesting_fundmonthtotal m JOIN vesting_fund f ON f.id = m.fund_id
     WHERE f.kind = ANY(%(funds)s) AND m.month < %(this_month)s {employer}
    UNION ALL
    SELECT f.employer_id, f.kind, %(this_month)s::date, later.net
      FROM vesting_fund f
     CROSS JOIN LATERAL (
           SELECT sum(d.net_change) AS net FROM vesting_funddaytotal d
            WHERE d.fund_id = f.id AND d.day BETWEEN %(this_month)s AND %(as_of)s
     ) later
     WHERE f.kind = ANY(%(funds)s) AND later.net IS NOT NULL {employer}
), rates AS (
    SELECT * FROM unnest(%(months)s::date[], %(major_medical)s::numeric[],
                         %(trust_fund)s::numeric[]) AS r(month, major_medical, trust_fund)
), counted AS (
    SELECT m.employer_id, m.kind, m.month, m.net,
           CASE WHEN m.kind = 'employer_budget' AND r.trust_fund > 0
                THEN round(m.net / r.trust_fund) ELSE 0 END AS full_months,
           coalesce(r.major_medical, 0) AS major_medical
      FROM monthly m LEFT JOIN rates r ON r.month = m.month
)
SELECT employer_id, kind,
       extract(year FROM month)::int - CASE WHEN extract(month FROM month) < 7 THEN 1 ELSE 0 END,
       sum(net), sum(full_months)::int, sum(full_months * major_medical)
  FROM counted
 GROUP BY 1, 2, 3
"""

# The seldom kinds' postings on the three plan funds, by employer, fund, kind (a reversal
# as its original) and policy year of the effective date: their transactions by the
# (kind, effective date) index, the reversals of such transactions likewise; each one's
# postings by the transaction index (OFFSET 0 keeps the planner from hashing every posting).
_SELDOM_SQL = """
WITH moved AS (
    SELECT t.id FROM vesting_transaction t
     WHERE t.kind = ANY(%(kinds)s) AND t.effective_date <= %(as_of)s {employer}
    UNION ALL
    SELECT t.id FROM vesting_transaction t JOIN vesting_transaction o ON o.id = t.reverses_id
     WHERE t.kind = 'reversal' AND o.kind = ANY(%(kinds)s) AND t.effective_date <= %(as_of)s
           {employer}
)
SELECT t.employer_id, f.kind, coalesce(o.kind, t.kind),
       extract(year FROM p.effective_date)::int
           - CASE WHEN extract(month FROM p.effective_date) < 7 THEN 1 ELSE 0 END,
       sum(CASE WHEN p.direction = 'debit' THEN p.amount ELSE -p.amount END)
  FROM moved
  JOIN vesting_transaction t ON t.id = moved.id
  LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
 CROSS JOIN LATERAL (
       SELECT p.account_id, p.direction, p.amount, p.effective_date FROM vesting_posting p
        WHERE p.transaction_id = t.id OFFSET 0
 ) p
  JOIN vesting_account a ON a.id = p.account_id
  JOIN vesting_fund f ON f.id = a.fund_id
 WHERE f.kind IN ('general_trust', 'vested_trust', 'district')
 GROUP BY 1, 2, 3, 4
"""

# Families under the deductible per rolled-over year (R-VE2): the vesting lines of the
# FULL-tier families covered all year (a full year whose allotment is the deductible).
_FAMILIES_SQL = """
SELECT l.policy_year,
       count(*) FILTER (WHERE l.full_year AND l.allotment >= y.deductible),
       count(*) FILTER (WHERE l.full_year AND l.allotment >= y.deductible
                          AND l.trust_fund_claims < y.deductible)
  FROM vesting_vestingline l
  JOIN accounts_planyear y ON y.start_year = l.policy_year
  {join}
 WHERE l.policy_year <= %(last)s {employer}
 GROUP BY 1
"""


@dataclass
class _Year:
    """One employer's (or the pool's) year, as the queries add it up."""

    funds: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    # fund kind -> transaction kind -> net change
    seldom: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: ZERO))
    )
    full_months: int = 0
    carrier_premiums: Decimal = ZERO

    def add(self, other: _Year) -> None:
        for kind, value in other.funds.items():
            self.funds[kind] += value
        for fund, kinds in other.seldom.items():
            for kind, value in kinds.items():
                self.seldom[fund][kind] += value
        self.full_months += other.full_months
        self.carrier_premiums += other.carrier_premiums

    def seldom_sum(self, fund: str, kinds: Iterable[str] | None = None) -> Decimal:
        values = self.seldom.get(fund, {})
        if kinds is None:
            return sum(values.values(), ZERO)
        return sum((values.get(kind, ZERO) for kind in kinds), ZERO)


def _years_by_employer(
    employer_id: int | None, as_of: date, rates: list[MonthRate]
) -> dict[int, dict[int, _Year]]:
    """Employer id -> policy year -> its sums (two queries)."""
    params = {
        "funds": list(TOTAL_FUNDS),
        "this_month": as_of.replace(day=1),
        "as_of": as_of,
        "employer_id": employer_id,
        "months": [r.month for r in rates],
        "major_medical": [r.major_medical for r in rates],
        "trust_fund": [r.trust_fund for r in rates],
        "kinds": list(SELDOM_KINDS),
    }
    years: dict[int, dict[int, _Year]] = defaultdict(lambda: defaultdict(_Year))
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS_SQL.format(employer=_employer_sql(employer_id, "f")), params)
        for employer, kind, year, net, months, premiums in cursor.fetchall():
            entry = years[employer][year]
            entry.funds[kind] += net
            if kind == "employer_budget":
                entry.full_months += months or 0
                entry.carrier_premiums += premiums or ZERO
        cursor.execute(_SELDOM_SQL.format(employer=_employer_sql(employer_id, "t")), params)
        for employer, fund, kind, year, net in cursor.fetchall():
            years[employer][year].seldom[fund][kind] += net
    return years


def _families_by_year(employer_id: int | None, last: int) -> dict[int, tuple[int, int]]:
    join = "" if employer_id is None else "JOIN accounts_employee e ON e.id = l.employee_id"
    sql = _FAMILIES_SQL.format(join=join, employer=_employer_sql(employer_id, "e"))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"last": last, "employer_id": employer_id})
        return {year: (families, under) for year, families, under in cursor.fetchall()}


def _result_year(
    year: int,
    data: _Year,
    *,
    complete: bool,
    liability: Decimal,
    held: Decimal,
    first: MonthRate | None,
    opening: MonthRate | None,
    families: tuple[int, int] | None,
) -> ResultYear:
    """A year's figures from its sums (the module's arithmetic)."""
    vested_fund = data.funds["vested_trust"] - data.seldom_sum("vested_trust")
    general_rest = data.funds["general_trust"] - data.seldom_sum("general_trust")
    contributions = data.funds["employer_budget"]
    runout = -data.seldom_sum("vested_trust", [TransactionKind.RUNOUT_RECOVERY.value])
    interest = data.funds["bank"]  # credit-normal: what the bank paid in
    return ResultYear(
        policy_year=year,
        complete=complete,
        full_months=data.full_months,
        carrier_premiums=money(data.carrier_premiums),
        contributions=contributions,
        claims=contributions - vested_fund - general_rest,
        admin_costs=interest + data.seldom_sum("district") - data.funds["district"],
        interest=interest,
        vested=vested_fund - runout,
        to_district=data.seldom_sum("district", [TransactionKind.UNVESTED_TRANSFER.value]),
        payouts=-data.seldom_sum("vested_trust", PAYOUT_KINDS),
        vested_liability=liability,
        trust_funds=held,
        sheltered=sheltered(
            data.full_months,
            first.major_medical if first else ZERO,
            first.trust_fund if first else ZERO,
            opening.major_medical if opening else ZERO,
            opening.trust_fund if opening else ZERO,
        ),
        families=families[0] if families and complete else None,
        families_under=families[1] if families and complete else None,
    )


def _results(
    years: dict[int, _Year],
    as_of: date,
    rates: list[MonthRate],
    families: dict[int, tuple[int, int]],
) -> Results:
    """The years in order, each with the balances at its end (running sums)."""
    by_month = {r.month: r for r in rates}
    first = next((r for r in rates if r.trust_fund > 0), None)
    liability = held = ZERO
    result = []
    for year in sorted(years):
        data = years[year]
        liability += data.funds["vested_trust"]
        held += data.funds["vested_trust"] + data.funds["general_trust"]
        complete = policy_year_end(year) <= as_of
        result.append(
            _result_year(
                year,
                data,
                complete=complete,
                liability=liability,
                held=held,
                first=first,
                opening=by_month.get(policy_year_start(year)),
                families=families.get(year),
            )
        )
    return Results(tuple(result))


def _since_inception(years: dict[int, _Year]) -> Results:
    """All the years of an employer added into one (its totals and its liability now)."""
    total = _Year()
    for data in years.values():
        total.add(data)
    liability = total.funds["vested_trust"]
    held = liability + total.funds["general_trust"]
    first = min(years)
    line = _result_year(
        first,
        total,
        complete=True,
        liability=liability,
        held=held,
        first=None,
        opening=None,
        families=None,
    )
    return Results((line,))


@dataclass(frozen=True)
class EmployerResults:
    """One employer's results since inception, all its years as one (the pool's page
    lists them: ``results.totals`` and ``results.vested_liability``)."""

    employer_id: int
    name: str
    code: str
    results: Results


@dataclass(frozen=True)
class EconomicsResults:
    """Results since inception of an employer or of the pool."""

    employer_id: int | None
    employer_name: str
    as_of: date
    results: Results
    employers: list[EmployerResults]  # the pool: each employer's, by name; else []

    @property
    def years(self) -> tuple[ResultYear, ...]:
        return self.results.years

    @property
    def completed(self) -> list[ResultYear]:
        return [year for year in self.results.years if year.complete]


def results_since_inception(
    *, employer_id: int | None = None, today: date | None = None, families: bool = True
) -> EconomicsResults:
    """Section 8, year by year since the first entry of the ledger, to the reporting date
    (``reports.selectors.reporting_date``): two queries for the ledger figures, one for
    the schedules, one for the families under the deductible (module docstring; without
    ``families``, not read: the projection does not show them)."""
    as_of = reporting_date(employer_id=employer_id, today=today)
    first_year = PlanYear.objects.order_by("start_year").values_list("start_year", flat=True)
    start = policy_year_start(first_year.first() or policy_year_of(as_of))
    rates = full_tier_rates(start, as_of)
    by_employer = _years_by_employer(employer_id, as_of, rates)
    under = _families_by_year(employer_id, policy_year_of(as_of)) if families else {}
    pool: dict[int, _Year] = defaultdict(_Year)
    for years in by_employer.values():
        for year, data in years.items():
            pool[year].add(data)
    employers: list[EmployerResults] = []
    if employer_id is None:
        for pk, name, code in Employer.objects.order_by("name").values_list("pk", "name", "code"):
            if pk in by_employer:
                employers.append(EmployerResults(pk, name, code, _since_inception(by_employer[pk])))
        name = "All employers of the pool"
    else:
        name = Employer.objects.filter(pk=employer_id).values_list("name", flat=True).first() or ""
    return EconomicsResults(
        employer_id=employer_id,
        employer_name=name,
        as_of=as_of,
        results=_results(pool, as_of, rates, under),
        employers=employers,
    )


# =========================================================================================
# Utilization watch
# =========================================================================================

# Per policy year: the FULL-tier families covered all year (the rolled-over year's vesting
# lines: a full year whose allotment is the deductible), their claims (one row per family
# and year, claims_familyyear: claims not voided; "absorbed" is what their deductible
# took) and their preventive claims paid (the preventive index).
_UTILIZATION_SQL = """
WITH families AS (
    SELECT l.employee_id, l.policy_year, y.deductible
      FROM vesting_vestingline l
      JOIN accounts_planyear y ON y.start_year = l.policy_year
      {join}
     WHERE l.policy_year = %(year)s AND l.full_year AND l.allotment >= y.deductible {employer}
), preventive AS (
    SELECT c.employee_id, count(*) AS n FROM claims_claim c
     WHERE c.policy_year = %(year)s AND c.service_category = 'preventive' AND c.status = 'paid'
           {claim_employer}
     GROUP BY 1
)
SELECT max(f.deductible), count(*),
       count(*) FILTER (WHERE coalesce(fy.claim_count, 0) = 0),
       count(*) FILTER (WHERE fy.claim_count > 0 AND fy.absorbed < f.deductible),
       count(*) FILTER (WHERE fy.claim_count > 0 AND fy.absorbed >= f.deductible),
       coalesce(sum(fy.claim_count), 0)::int,
       coalesce(sum(p.n), 0)::int,
       count(p.employee_id)
  FROM families f
  LEFT JOIN claims_familyyear fy ON fy.employee_id = f.employee_id AND fy.policy_year = f.policy_year
  LEFT JOIN preventive p ON p.employee_id = f.employee_id
"""

_CATEGORIZED_SQL = """
SELECT count(*) FILTER (WHERE c.service_category <> ''), count(*) FROM claims_claim c
 WHERE c.policy_year = %(year)s AND c.status = 'paid' {claim_employer}
"""


def scope_as_of(*, employer_id: int | None, today: date | None = None) -> date:
    """The day the economics pages report on (``reports.selectors.reporting_date``)."""
    return reporting_date(employer_id=employer_id, today=today)


def utilization_years(*, employer_id: int | None, as_of: date) -> list[int]:
    """The rolled-over policy years up to ``as_of``, oldest first (each one step of the
    pool's job)."""
    lines = PlanYear.objects.filter(start_year__lte=policy_year_of(as_of) - 1)
    return sorted(lines.values_list("start_year", flat=True))


def utilization_year(*, employer_id: int | None, policy_year: int) -> UtilizationYear | None:
    """One policy year of the watch (``None`` when no family was covered all year or the
    year is not rolled over yet)."""
    join = "" if employer_id is None else "JOIN accounts_employee e ON e.id = l.employee_id"
    fragments = {
        "join": join,
        "employer": _employer_sql(employer_id, "e"),
        "claim_employer": _employer_sql(employer_id, "c"),
    }
    params = {"year": policy_year, "employer_id": employer_id}
    with connection.cursor() as cursor:
        cursor.execute(_UTILIZATION_SQL.format(**fragments), params)
        deductible, families, none, under, over, claims, preventive, with_preventive = (
            cursor.fetchone()
        )
        if not families:
            return None
        cursor.execute(_CATEGORIZED_SQL.format(**fragments), params)
        categorized, paid = cursor.fetchone()
    return UtilizationYear(
        policy_year=policy_year,
        complete=True,
        deductible=deductible,
        families=families,
        no_claims=none,
        under=under,
        over=over,
        claims=claims,
        preventive_claims=preventive,
        preventive_families=with_preventive,
        categorized_claims=categorized,
        paid_claims=paid,
    )


def utilization(*, employer_id: int | None, as_of: date) -> list[UtilizationYear]:
    years = (
        utilization_year(employer_id=employer_id, policy_year=year)
        for year in utilization_years(employer_id=employer_id, as_of=as_of)
    )
    return [year for year in years if year is not None]


UTILIZATION_CACHE_SECONDS = 24 * 3600


CLAIM_TABLES = ("claims_claim", "claims_claimadjustment", "accounts_coveragesegment")
LEDGER_TABLES = (
    "vesting_transaction",
    "vesting_vestingline",
    "accounts_premiumschedule",
    "accounts_planyear",
    "accounts_employer",
)


def cache_key(name: str, *, employer_id: int | None, as_of: date, tables: Iterable[str]) -> str:
    """A cache key that changes with any new row of ``tables`` (their last ids: index-only
    lookups), for the database in use (one Redis may serve several)."""
    columns = ", ".join(f"(SELECT max(id) FROM {table})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        marks = ":".join(str(mark) for mark in cursor.fetchone())
    scope = "pool" if employer_id is None else employer_id
    database = connection.settings_dict["NAME"]
    return f"reports:economics:{name}:v1:{database}:{scope}:{as_of.isoformat()}:{marks}"


def utilization_cache_key(*, employer_id: int | None, as_of: date) -> str:
    """Changes with any new claim, adjustment (voids too), vesting line or coverage
    change."""
    tables = (*CLAIM_TABLES, "vesting_vestingline")
    return cache_key("utilization", employer_id=employer_id, as_of=as_of, tables=tables)


def _cached(key: str, seconds: int, compute: Any) -> Any:
    """``compute()``, kept ``seconds`` under ``key`` (without the cache: computed)."""
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("economics: the cache is unavailable", exc_info=True)
        value = None
    if value is None:
        value = compute()
        try:
            cache.set(key, value, seconds)
        except Exception:
            logger.warning("economics: the cache is unavailable", exc_info=True)
    return value


CACHE_SECONDS = 60  # as the dashboard's


def results_cached(*, employer_id: int | None, families: bool = True) -> EconomicsResults:
    """:func:`results_since_inception`, as served: kept ``CACHE_SECONDS`` under a key
    that any new ledger transaction, vesting line, schedule, plan year or employer
    changes (the dashboard's way: nothing stale beyond a transaction committed out of id
    order or a row changed in place, which the short expiry bounds)."""
    as_of = reporting_date(employer_id=employer_id)
    key = cache_key(
        f"results-{int(families)}", employer_id=employer_id, as_of=as_of, tables=LEDGER_TABLES
    )
    return _cached(
        key,
        CACHE_SECONDS,
        lambda: results_since_inception(employer_id=employer_id, families=families),
    )


def history_cached(*, employer_id: int | None, results: EconomicsResults) -> History | None:
    """:func:`projection_history`, kept ``CACHE_SECONDS`` under a key that the ledger's,
    the claims' and the coverage's new rows change."""
    key = cache_key(
        "history",
        employer_id=employer_id,
        as_of=results.as_of,
        tables=(*LEDGER_TABLES, *CLAIM_TABLES),
    )
    return _cached(
        key, CACHE_SECONDS, lambda: projection_history(employer_id=employer_id, results=results)
    )


def utilization_cached(*, employer_id: int | None, as_of: date) -> list[UtilizationYear] | None:
    """The pool's watch as its job left it (``None``: not computed for today's data)."""
    try:
        value = cache.get(utilization_cache_key(employer_id=employer_id, as_of=as_of))
    except Exception:  # the cache is a convenience: without Redis the job is run again
        return None
    return value if isinstance(value, list) else None


# =========================================================================================
# The projection's history
# =========================================================================================

# The FULL-tier families covered all year of the history's years (their vesting lines)
# with their yearly allowed claims (trust fund + employee + carrier: claims_familyyear),
# in buckets: whole at 0, $50 wide to $2,500, $500 to $10,000, $5,000 to $100,000, then
# one (``CLAIM_EDGES``); each bucket as (its families, its sum), its mean standing for it.
_CLAIMS_SQL = """
WITH x AS (
    SELECT l.policy_year,
           coalesce(fy.trust_fund_paid + fy.employee_paid + fy.carrier_paid, 0) AS amount
      FROM vesting_vestingline l
      JOIN accounts_planyear y ON y.start_year = l.policy_year
      {join}
      LEFT JOIN claims_familyyear fy
             ON fy.employee_id = l.employee_id AND fy.policy_year = l.policy_year
            AND fy.policy_year BETWEEN %(first)s AND %(last)s
     WHERE l.policy_year BETWEEN %(first)s AND %(last)s
       AND l.full_year AND l.allotment >= y.deductible {employer}
)
SELECT policy_year, CASE WHEN amount <= 0 THEN -1 ELSE width_bucket(amount, %(edges)s) END,
       count(*), sum(amount)
  FROM x GROUP BY 1, 2
"""
# The buckets' upper edges (width_bucket: an amount on an edge goes to the bucket above).
CLAIM_EDGES = [
    *(Decimal(50 * i) for i in range(1, 51)),
    *(Decimal(2500 + 500 * i) for i in range(1, 16)),
    *(Decimal(10000 + 5000 * i) for i in range(1, 19)),
]


def _claims_history(
    employer_id: int | None, first: int, last: int
) -> tuple[ClaimsDistribution, dict[int, Decimal]]:
    """The families' yearly claims of ``first``..``last`` and their mean per year."""
    join = "" if employer_id is None else "JOIN accounts_employee e ON e.id = l.employee_id"
    sql = _CLAIMS_SQL.format(join=join, employer=_employer_sql(employer_id, "e"))
    buckets: dict[int, list[Any]] = defaultdict(lambda: [0, ZERO])
    years: dict[int, list[Any]] = defaultdict(lambda: [0, ZERO])
    with connection.cursor() as cursor:
        params = {"first": first, "last": last, "employer_id": employer_id, "edges": CLAIM_EDGES}
        cursor.execute(sql, params)
        for year, bucket, count, total in cursor.fetchall():
            buckets[int(bucket)][0] += count
            buckets[int(bucket)][1] += total
            years[year][0] += count
            years[year][1] += total
    points = tuple(
        (money(total / count), count) for _, (count, total) in sorted(buckets.items()) if count
    )
    means = {year: money(total / count) for year, (count, total) in years.items() if count}
    return ClaimsDistribution(points), means


def _plan_year_numbers(year: int) -> tuple[Decimal, Decimal] | None:
    row = PlanYear.objects.filter(start_year=year).values_list("deductible", "maximum_vest").first()
    return (row[0], row[1]) if row else None


def _covered(employer_id: int | None, day: date) -> tuple[int, int]:
    """(employees covered in any tier on ``day``, of them in the FULL tier)."""
    counts = dict(
        covered_on(day=day, employer_id=employer_id)
        .order_by()
        .values_list("tier")
        .annotate(n=Count("id"))
    )
    return sum(counts.values()), counts.get(Tier.FULL.value, 0)


def _yearly_rates(rates: list[MonthRate]) -> tuple[list[Decimal], list[Decimal]]:
    """The FULL tier's major-medical and dental rates in force each July (R-PR1)."""
    july = [r for r in rates if r.month.month == 7]
    return [r.major_medical for r in july], [r.dental for r in july]


def _observed(recent: list[ResultYear], base: ResultYear) -> dict[str, Decimal]:
    """Rates observed over the recent completed years (percent per year)."""
    interest = sum((y.interest for y in recent), ZERO)
    held = sum((y.trust_funds for y in recent), ZERO)
    opening = recent[-2].vested_liability if len(recent) > 1 else ZERO
    families = Decimal(base.full_months) / 12
    return {
        "interest_rate": (interest * HUNDRED / held).quantize(Decimal("0.1")) if held > 0 else ZERO,
        "turnover": (base.payouts * HUNDRED / opening).quantize(Decimal("0.1"))
        if opening > 0
        else ZERO,
        "admin_per_family": money(base.admin_costs / families) if families else ZERO,
    }


def projection_history(*, employer_id: int | None, results: EconomicsResults) -> History | None:
    """The history a projection starts from: the last completed year of ``results`` and
    the ``HISTORY_YEARS`` before it (``None`` before the plan's first completed year).
    A handful of queries: the claims' buckets, the coverage on the base year's last day,
    the plan years, the schedules."""
    completed = results.completed
    if not completed:
        return None
    base = completed[-1]
    recent = completed[-HISTORY_YEARS:]
    distribution, means = _claims_history(employer_id, recent[0].policy_year, base.policy_year)
    base_numbers = _plan_year_numbers(base.policy_year)
    if base_numbers is None:
        return None
    next_numbers = _plan_year_numbers(base.policy_year + 1) or base_numbers
    rates = full_tier_rates(
        policy_year_start(completed[0].policy_year), policy_year_end(base.policy_year)
    )
    base_rate = next(
        (r for r in reversed(rates) if r.month <= policy_year_end(base.policy_year)), None
    )
    if base_rate is None:
        return None
    major_medical, dental = _yearly_rates(rates)
    covered, full = _covered(employer_id, policy_year_end(base.policy_year))
    observed = _observed(recent, base)
    return History(
        base_year=base.policy_year,
        covered_employees=covered,
        full_tier_employees=full,
        major_medical=base_rate.major_medical,
        dental=base_rate.dental,
        deductible=base_numbers[0],
        maximum_vest=base_numbers[1],
        next_deductible=next_numbers[0],
        next_maximum_vest=next_numbers[1],
        claims=distribution,
        admin_per_family=observed["admin_per_family"],
        interest_rate=observed["interest_rate"],
        turnover=observed["turnover"],
        vested_liability=base.vested_liability,
        major_medical_inflation=average_growth(major_medical),
        dental_inflation=average_growth(dental),
        claims_trend=average_growth([means[y] for y in sorted(means) if means[y] > 0]),
    )


@dataclass(frozen=True)
class ProjectionPage:
    """What the projection page shows: the history read once, the assumptions it
    suggests, those projected, the four options and the sensitivity."""

    results: EconomicsResults
    history: History
    defaults: Assumptions
    assumptions: Assumptions
    projection: Projection
    sensitivity: Sensitivity


def projection_page(
    *,
    employer_id: int | None,
    assumptions: Assumptions | None = None,
    results: EconomicsResults | None = None,
) -> ProjectionPage | None:
    """The projection of an employer (``None``: the pool) under ``assumptions`` (default:
    what its history suggests); ``None`` before its first completed year. The results and
    the history as served (:func:`results_cached`, :func:`history_cached`)."""
    results = results or results_cached(employer_id=employer_id, families=False)
    history = history_cached(employer_id=employer_id, results=results)
    if history is None:
        return None
    defaults = default_assumptions(history)
    chosen = assumptions or defaults
    return ProjectionPage(
        results=results,
        history=history,
        defaults=defaults,
        assumptions=chosen,
        projection=project(history, chosen),
        sensitivity=sensitivity(history, chosen),
    )


# =========================================================================================
# Scenarios
# =========================================================================================


def scenarios_for(employer_id: int | None) -> QuerySet[ProjectionScenario]:
    """The saved scenarios of an employer (``None``: of the pool), by name."""
    scenarios = ProjectionScenario.objects.select_related("updated_by")
    if employer_id is None:
        return scenarios.filter(employer__isnull=True).order_by("name")
    return scenarios.filter(employer_id=employer_id).order_by("name")


def scenario_for(*, scenario_id: Any, employer_id: int | None) -> ProjectionScenario | None:
    """A scenario of that scope, or ``None`` (an id of another scope or not an id)."""
    try:
        pk = int(scenario_id)
    except (TypeError, ValueError):
        return None
    return scenarios_for(employer_id).filter(Q(pk=pk)).first()

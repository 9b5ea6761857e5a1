"""The superintendent's dashboard (section 8): balances, flows, liability, interest and
costs, tiers, the deductible and the savings against full coverage."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum

from accounts.models import (
    PremiumSchedule,
)
from accounts.rules import (
    TIER_LABELS,
    Tier,
    add_months,
    policy_year_end,
    policy_year_label,
    policy_year_of,
    policy_year_start,
)
from accounts.selectors import (
    covered_on,
)
from reports.selectors._common import (
    deductible_of,
    employer_filter,
    employer_name,
    plan_fund_values,
    reporting_date,
)
from staywell.money import ZERO, money
from vesting.models import (
    PLAN_FUNDS,
    FundKind,
    Payout,
    TransactionKind,
    VestingLine,
)

logger = logging.getLogger(__name__)


UNPAID_PAYOUT_STATUSES = ("scheduled", "held", "due", "flagged")


def payouts_outstanding(employer_id: int | None) -> dict[str, Decimal]:
    """Payouts owed to separated employees and not yet paid, by status (``vesting.Payout``)."""
    rows = Payout.objects.filter(status__in=UNPAID_PAYOUT_STATUSES)
    if employer_id is not None:
        rows = rows.filter(employee__employer_id=employer_id)
    result = {status: ZERO for status in UNPAID_PAYOUT_STATUSES}
    for status, total in rows.values_list("status").annotate(total=Sum("amount")):
        result[status] = total or ZERO
    return result


@dataclass(frozen=True)
class Series:
    """One chart's data: labels and named series of numbers, plus what the table shows."""

    labels: list[str]
    datasets: dict[str, list[Decimal]]

    def rows(self) -> list[tuple[str, list[Decimal]]]:
        return [
            (label, [values[i] for values in self.datasets.values()])
            for i, label in enumerate(self.labels)
        ]

    def chart_json(self) -> dict[str, Any]:
        """For Chart.js: numbers as strings of cents (JSON has no decimals); the script
        turns them into numbers for drawing only."""
        return {
            "labels": self.labels,
            "datasets": [
                {"label": name, "data": [str(v) for v in values]}
                for name, values in self.datasets.items()
            ],
        }


@dataclass(frozen=True)
class Savings:
    """Section 8: the plan year's savings against full coverage, with every input.

    Decision (formula): "full coverage" is what the employer budgets for the FULL tier,
    as in Mendocino's $203,000 = $123,000 to the carrier + $80,000 kept at home: the
    carrier's major-medical premium plus the trust-fund contribution, for every
    FULL-tier employee-month of the year. The plan actually spends the same carrier
    premium plus the trust-fund claims it paid and its administrative costs, less the
    interest earned. Savings = full coverage - actual = contributions - claims - costs
    + interest: the unspent allotments (which vest to the employees) and the net
    interest (the employer's). The ledger figures are the year's own, as on its
    year-end report (R-FU4): employer cost, claims paid in the year (claims processed +
    prior-year claims), administrative expenses and interest earned. Carrier premiums
    are not in the ledger (payroll pays the carrier): the FULL-tier employee-months are
    the year's trust-fund contributions divided by the schedule's monthly trust-fund
    rate (only that tier has the line, R-PR1), times the schedule's major-medical rate.
    """

    policy_year: int
    full_months: int  # FULL-tier employee-months: contributions / trust-fund rate
    major_medical_rate: Decimal  # FULL tier, employer + employee, per month (R-PR1)
    trust_fund_rate: Decimal  # FULL tier, per month (R-PR1)
    carrier_premiums: Decimal  # full_months x major_medical_rate
    contributions: Decimal  # ledger: trust-fund contributions of the year (employer cost)
    claims: Decimal  # ledger: trust-fund claims paid in the year, net of reversals
    admin_costs: Decimal  # ledger: administrative costs of the year
    interest: Decimal  # ledger: interest earned in the year

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def full_coverage_cost(self) -> Decimal:
        return self.carrier_premiums + self.contributions

    @property
    def actual_cost(self) -> Decimal:
        return self.carrier_premiums + self.claims + self.admin_costs - self.interest

    @property
    def savings(self) -> Decimal:
        return self.full_coverage_cost - self.actual_cost

    @property
    def full_time_equivalents(self) -> Decimal:
        return (Decimal(self.full_months) / 12).quantize(Decimal("0.1"))

    @property
    def savings_per_employee(self) -> Decimal | None:
        if not self.full_months:
            return None
        return money(self.savings * 12 / self.full_months)

    @property
    def savings_percent(self) -> Decimal | None:
        if not self.full_coverage_cost:
            return None
        return (self.savings * 100 / self.full_coverage_cost).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class DeductibleShare:
    """Families that stayed under the deductible in a completed plan year."""

    policy_year: int
    deductible: Decimal
    families: int  # FULL-tier families covered the whole year
    under: int  # of them, those whose trust-fund claims stayed below the deductible
    estimated: bool = False  # the year is not rolled over yet: read from the claim postings

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def percent(self) -> Decimal | None:
        if not self.families:
            return None
        return (Decimal(self.under) * 100 / self.families).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, for one employer or the pool."""

    employer_id: int | None
    employer_name: str
    as_of: date  # reporting_date()
    balances: dict[str, Decimal]  # fund kind -> balance now
    balances_by_month: Series  # three plan funds at each month end
    flows_by_month: Series  # contributions vs trust-fund claims, last 24 months
    interest_by_year: list[tuple[str, Decimal, Decimal]]  # (year, interest, costs)
    interest_ytd: Decimal
    admin_ytd: Decimal
    payouts: dict[str, Decimal]  # unpaid payouts by status
    tiers: list[tuple[str, str, int]]  # (tier value, label, employees covered)
    deductible_share: DeductibleShare | None
    savings: Savings | None

    @property
    def held(self) -> Decimal:
        return sum((self.balances[str(kind)] for kind in PLAN_FUNDS), ZERO)

    @property
    def vested_liability(self) -> Decimal:
        """What would be owed if everyone left: every side account's balance (R-FU1)."""
        return self.balances[FundKind.VESTED_TRUST.value]

    @property
    def payouts_total(self) -> Decimal:
        return sum(self.payouts.values(), ZERO)

    @property
    def covered_total(self) -> int:
        return sum(n for _, _, n in self.tiers)

    @property
    def current_year_label(self) -> str:
        return policy_year_label(policy_year_of(self.as_of))

    def charts(self) -> dict[str, Any]:
        """The four charts for Chart.js, by canvas id (each has a table on the page)."""
        district = Series(
            [label for label, _, _ in self.interest_by_year],
            {
                "Interest earned": [interest for _, interest, _ in self.interest_by_year],
                "Administrative costs": [costs for _, _, costs in self.interest_by_year],
            },
        )
        tiers = Series(
            [label for _, label, _ in self.tiers],
            {"Employees": [Decimal(count) for _, _, count in self.tiers]},
        )
        return {
            "chart-balances": {"type": "line", **self.balances_by_month.chart_json()},
            "chart-flows": {"type": "bar", **self.flows_by_month.chart_json()},
            "chart-district": {"type": "bar", **district.chart_json()},
            "chart-tiers": {"type": "bar", "horizontal": True, "count": True, **tiers.chart_json()},
        }


DASHBOARD_CACHE_SECONDS = 60
ESTIMATE_CACHE_SECONDS = 600  # families under the deductible of a year not rolled over yet
FLOW_MONTHS = 24  # the bar chart: two policy years
BALANCE_MONTHS = 36  # the line chart: three years ("results after three years")
NON_CLAIM_PAYEE_KINDS = (
    TransactionKind.LUMP_SUM_PAYOUT.value,
    TransactionKind.BENEFICIARY_PAYMENT.value,
    TransactionKind.ADMINISTRATIVE_EXPENSE.value,
    TransactionKind.GO_LIVE.value,  # refunds paid before go-live, carried in (vesting.golive)
)


def dashboard(*, employer_id: int | None = None, today: date | None = None) -> Dashboard:
    """The dashboard of an employer (``None``: the pool).

    Decision (speed, target p95 < 300 ms on 100,000 employees): no figure aggregates the
    claim postings themselves. Balances and flows come from the fund month totals the
    posting trigger maintains (one grouped query): balances of the three plan funds,
    contributions (the employer-budget side of every contribution) and payments to
    payees; claims are the payees' payments less lump sums, beneficiary payments and
    administrative expenses (a few rows by the transaction-kind index). Interest and
    costs come from the district accounts' own postings. The share of families under
    the deductible reads the rollover's vesting lines (one row per employee and year);
    only a year not rolled over yet falls back to the claim postings.

    The result is cached for at most ``DASHBOARD_CACHE_SECONDS`` under a key holding the
    ledger's last transaction id and the coverage timeline's last segment id (index-only
    lookups): any new posting or coverage change makes a new key, so nothing stale is
    shown beyond a transaction committing out of id order, which the short expiry bounds.
    """
    as_of = reporting_date(employer_id=employer_id, today=today)
    key = _dashboard_cache_key(employer_id, as_of)
    cached = _cache_get(key)
    if cached is not None:
        return cached
    result = _dashboard(employer_id, as_of)
    _cache_set(key, result, DASHBOARD_CACHE_SECONDS)
    return result


def _marks(*tables: str) -> str:
    """The last ids of ``tables`` (index-only lookups), for cache keys that change with them."""
    # Table names from this module only.
    columns = ", ".join(f"(SELECT max(id) FROM {table})" for table in tables)  # noqa: S608
    sql = f"SELECT {columns}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return ":".join(str(mark) for mark in cursor.fetchone())


def _dashboard_cache_key(employer_id: int | None, as_of: date) -> str:
    marks = _marks(
        "vesting_transaction",
        "accounts_coveragesegment",
        "accounts_employer",
        "accounts_premiumschedule",
    )
    scope = "pool" if employer_id is None else employer_id
    return f"reports:dashboard:v2:{scope}:{as_of.isoformat()}:{marks}"


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:
        logger.warning("dashboard cache unavailable", exc_info=True)
        return None


def _cache_set(key: str, value: Any, seconds: int) -> None:
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("dashboard cache unavailable", exc_info=True)


def _dashboard(employer_id: int | None, as_of: date) -> Dashboard:
    year = policy_year_of(as_of)
    completed = year - 1 if as_of < policy_year_end(year) else year
    months = _month_labels(add_months(as_of.replace(day=1), -(BALANCE_MONTHS - 1)), as_of)
    funds = _fund_months(employer_id, as_of, months[0])
    district = _district_by_year(employer_id, as_of)
    return Dashboard(
        employer_id=employer_id,
        employer_name=employer_name(employer_id),
        as_of=as_of,
        balances={kind: funds.balance(kind, months[-1]) for kind in plan_fund_values()},
        balances_by_month=_balances_by_month(funds, months),
        flows_by_month=_flows_by_month(funds, months[-FLOW_MONTHS:]),
        interest_by_year=[
            (policy_year_label(y), district[y]["interest"], district[y]["admin"])
            for y in sorted(district)
        ],
        interest_ytd=district.get(year, {}).get("interest", ZERO),
        admin_ytd=district.get(year, {}).get("admin", ZERO),
        payouts=payouts_outstanding(employer_id),
        tiers=_tiers(employer_id, as_of),
        deductible_share=families_under_deductible(
            employer_id=employer_id, policy_year=completed, as_of=as_of
        ),
        savings=_savings(employer_id, completed, as_of, funds, district),
    )


def _month_labels(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class FundMonths:
    """Monthly net changes of the plan funds, the employer budget and the payees, and
    the non-claim payments to payees, for a window of months (``_fund_months``)."""

    opening: dict[str, Decimal]  # fund kind -> balance before the window
    changes: dict[tuple[str, date], Decimal]  # (fund kind, month) -> net change
    other_payees: dict[date, Decimal]  # month -> lump sums, beneficiaries, expenses

    def change(self, kind: str, month: date) -> Decimal:
        return self.changes.get((kind, month), ZERO)

    def balance(self, kind: str, month: date) -> Decimal:
        """The fund's balance at the end of ``month``."""
        total = self.opening.get(kind, ZERO)
        for (k, m), value in self.changes.items():
            if k == kind and m <= month:
                total += value
        return total

    def contributions(self, month: date) -> Decimal:
        """The employer-budget side of the month's contributions (only contributions and
        their reversals touch the employer budget, R-FU1)."""
        return self.change(FundKind.EMPLOYER_BUDGET.value, month)

    def claims(self, month: date) -> Decimal:
        """Trust-fund claims paid in the month: payments to payees that are not lump
        sums, beneficiary payments or administrative expenses (net of reversals)."""
        return self.change(FundKind.PAYEES.value, month) - self.other_payees.get(month, ZERO)


def _fund_months(employer_id: int | None, as_of: date, first: date) -> FundMonths:
    """Up to three queries: the fund month totals grouped by fund kind and month (the plan
    funds' earlier months summed into an opening balance); the day totals of ``as_of``'s
    month after ``as_of``, taken back out of it (skipped at a month end; found only for
    postings dated ahead of today); and the non-claim payee payments of the window by the
    transaction-kind index. Month totals keep the first query at a few rows per fund and
    month, however many postings and years the ledger holds."""
    totals_sql = f"""
        SELECT f.kind, CASE WHEN m.month < %(first)s THEN NULL ELSE m.month END,
               sum(m.net_change)
          FROM vesting_fundmonthtotal m JOIN vesting_fund f ON f.id = m.fund_id
         WHERE m.month <= %(as_of)s {employer_filter(employer_id)}
           AND (f.kind = ANY(%(plan)s)
                OR (f.kind IN ('employer_budget', 'payees') AND m.month >= %(first)s))
         GROUP BY 1, 2
    """  # noqa: S608 - fixed SQL fragments only; values are bound
    later_days_sql = f"""
        SELECT f.kind, sum(later.total) FROM vesting_fund f
         CROSS JOIN LATERAL (
               SELECT sum(d.net_change) AS total FROM vesting_funddaytotal d
                WHERE d.fund_id = f.id AND d.day > %(as_of)s AND d.day < %(next_month)s
         ) later
         WHERE later.total IS NOT NULL {employer_filter(employer_id)}
         GROUP BY 1
    """  # noqa: S608 - fixed SQL fragments only; values are bound (an index probe per fund)
    # The transactions of those kinds and the reversals of such transactions, each by the
    # (kind, effective date) index: an OR over a join to the reversed transaction would
    # have the planner scan every transaction.
    payees_sql = f"""
        SELECT t.effective_date - (extract(day FROM t.effective_date)::int - 1),
               sum(CASE WHEN p.direction = 'debit' THEN p.amount ELSE -p.amount END)
          FROM (SELECT t.id, t.effective_date FROM vesting_transaction t
                 WHERE t.kind = ANY(%(kinds)s) AND t.effective_date BETWEEN %(first)s AND %(as_of)s
                       {employer_filter(employer_id, "t")}
                UNION ALL
                SELECT t.id, t.effective_date FROM vesting_transaction t
                  JOIN vesting_transaction o ON o.id = t.reverses_id
                 WHERE t.kind = 'reversal' AND o.kind = ANY(%(kinds)s)
                   AND t.effective_date BETWEEN %(first)s AND %(as_of)s
                       {employer_filter(employer_id, "t")}) t
          JOIN vesting_posting p ON p.transaction_id = t.id
          JOIN vesting_account a ON a.id = p.account_id
          JOIN vesting_fund f ON f.id = a.fund_id AND f.kind = 'payees'
         GROUP BY 1
    """  # noqa: S608 - fixed SQL fragments only; values are bound
    params = {
        "first": first,
        "as_of": as_of,
        "plan": plan_fund_values(),
        "kinds": list(NON_CLAIM_PAYEE_KINDS),
        "employer_id": employer_id,
        "next_month": add_months(as_of.replace(day=1), 1),
    }
    opening: dict[str, Decimal] = {}
    changes: dict[tuple[str, date], Decimal] = {}
    this_month = as_of.replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(totals_sql, params)
        for kind, month, total in cursor.fetchall():
            if month is None:
                opening[kind] = total
            else:
                changes[(kind, month)] = total
        if params["next_month"] > as_of + timedelta(days=1):  # as_of is not a month end
            cursor.execute(later_days_sql, params)
            for kind, total in cursor.fetchall():
                if (kind, this_month) in changes:
                    changes[(kind, this_month)] -= total
        cursor.execute(payees_sql, params)
        other = dict(cursor.fetchall())
    return FundMonths(opening, changes, other)


def _balances_by_month(funds: FundMonths, months: list[date]) -> Series:
    """Balances of the three plan funds at each month end of the window."""
    names = {str(kind): FundKind(kind).label for kind in PLAN_FUNDS}
    if not funds.opening and not any(k in names for k, _ in funds.changes):
        return Series([], {label: [] for label in names.values()})
    data: dict[str, list[Decimal]] = {label: [] for label in names.values()}
    running = {kind: funds.opening.get(kind, ZERO) for kind in names}
    for month in months:
        for kind, label in names.items():
            running[kind] += funds.change(kind, month)
            data[label].append(running[kind])
    return Series([f"{m:%b %Y}" for m in months], data)


def _flows_by_month(funds: FundMonths, months: list[date]) -> Series:
    """Contributions into and trust-fund claims out of the General Deductible Trust Fund
    per month (payment dates), net of reversals."""
    return Series(
        [f"{m:%b %Y}" for m in months],
        {
            "Contributions": [funds.contributions(m) for m in months],
            "Trust-fund claims": [funds.claims(m) for m in months],
        },
    )


def _district_by_year(employer_id: int | None, as_of: date) -> dict[int, dict[str, Decimal]]:
    """Interest earned and administrative costs per policy year (effective dates), from
    the postings of the district accounts only (their ids first, then an index range per
    account: the district sees a few entries a month); costs as positive amounts."""
    sql = f"""
        SELECT (extract(year FROM p.effective_date)::int
                - CASE WHEN extract(month FROM p.effective_date) < 7 THEN 1 ELSE 0 END),
               coalesce(o.kind, t.kind),
               sum(CASE WHEN p.direction = 'debit' THEN p.amount ELSE -p.amount END)
          FROM vesting_posting p
          JOIN vesting_transaction t ON t.id = p.transaction_id
          LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
         WHERE p.account_id = ANY(ARRAY(
                   SELECT a.id FROM vesting_account a JOIN vesting_fund f ON f.id = a.fund_id
                    WHERE f.kind = 'district' {employer_filter(employer_id)}))
           AND p.effective_date <= %(as_of)s
           AND coalesce(o.kind, t.kind) IN ('interest', 'administrative_expense')
         GROUP BY 1, 2
    """  # noqa: S608 - fixed SQL fragments only; values are bound
    with connection.cursor() as cursor:
        cursor.execute(sql, {"as_of": as_of, "employer_id": employer_id})
        rows = cursor.fetchall()
    result: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"interest": ZERO, "admin": ZERO})
    for year, kind, amount in rows:
        if kind == TransactionKind.INTEREST:
            result[year]["interest"] += amount
        else:
            result[year]["admin"] -= amount
    return dict(result)


def _tiers(employer_id: int | None, as_of: date) -> list[tuple[str, str, int]]:
    """Employees covered on ``as_of`` by tier (one grouped query, ``covered_on``)."""
    counts = dict(
        covered_on(day=as_of, employer_id=employer_id)
        .order_by()
        .values_list("tier")
        .annotate(n=Count("id"))
    )
    return [
        (tier.value, TIER_LABELS[tier], counts.get(tier.value, 0))
        for tier in Tier
        if tier is not Tier.NONE
    ]


# Trust-fund claim payments per employee for the dates of service of one policy year
# (net of reversals and adjustments), paid up to ``as_of``: the General Deductible Trust
# Fund accounts' postings of the period (index ranges), their transactions by hash.
_CLAIMS_BY_EMPLOYEE_SQL = """
SELECT coalesce(o.employee_id, t.employee_id) AS employee_id,
       sum(CASE WHEN p.direction = 'credit' THEN p.amount ELSE -p.amount END) AS paid
  FROM vesting_posting p
  JOIN vesting_transaction t ON t.id = p.transaction_id
  LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
 WHERE p.account_id = ANY(ARRAY(
           SELECT a.id FROM vesting_account a JOIN vesting_fund f ON f.id = a.fund_id
            WHERE f.kind = 'general_trust' {employer}))
   AND p.effective_date BETWEEN %(start)s AND %(as_of)s
   AND t.kind IN ('claim_payment', 'reversal')
   AND coalesce(o.kind, t.kind) = 'claim_payment'
   AND coalesce(o.period_start, o.effective_date, t.period_start, t.effective_date)
       BETWEEN %(start)s AND %(end)s
 GROUP BY 1
"""


def families_under_deductible(
    *, employer_id: int | None, policy_year: int, as_of: date
) -> DeductibleShare | None:
    """Of the families covered in the FULL tier for the whole of ``policy_year``, how many
    had trust-fund claims below the deductible (R-CL1, R-CL3): they kept part of their
    allotment (R-VE2). ``None`` before the plan's first completed year.

    Decision: a "family" is the policyholder employee (R-CL1). Once the year is rolled
    over, the vesting lines say it all: a line with a full year and an allotment of the
    whole deductible is a FULL-tier family all year, and its ``trust_fund_claims`` are
    what the rollover read from the ledger. Before the rollover (or without the vesting
    app): families with one FULL-tier segment covering July 1 to June 30, and their
    claims from the ledger (date of service in the year, paid up to ``as_of``, run-out
    included, net of reversals and adjustments).

    Decision (speed): the fallback reads every trust-fund claim payment of the year, a
    few hundred milliseconds for a pool. It is an estimate until the rollover settles the
    year (on June 30 itself, and after it until the July 1 rollover has run), so it is
    kept for ``ESTIMATE_CACHE_SECONDS`` whatever is posted meanwhile (a coverage change
    or a new employer makes a new key), and the page says so; every other figure of the
    dashboard stays current.
    """
    if policy_year_end(policy_year) > as_of:
        return None
    deductible = deductible_of(policy_year)
    counts = _families_from_vesting_lines(employer_id, policy_year, deductible)
    if counts is not None:
        return DeductibleShare(policy_year, deductible, *counts)
    scope = "pool" if employer_id is None else employer_id
    marks = _marks("accounts_coveragesegment", "accounts_employer")  # not the ledger's
    key = f"reports:families:v1:{scope}:{policy_year}:{as_of.isoformat()}:{deductible}:{marks}"
    counts = _cache_get(key)
    if counts is None:
        counts = _families_from_ledger(employer_id, policy_year, as_of, deductible)
        _cache_set(key, counts, ESTIMATE_CACHE_SECONDS)
    return DeductibleShare(policy_year, deductible, *counts, estimated=True)


def _families_from_vesting_lines(
    employer_id: int | None, policy_year: int, deductible: Decimal
) -> tuple[int, int] | None:
    lines = VestingLine.objects.filter(policy_year=policy_year)
    if employer_id is not None:
        lines = lines.filter(employee__employer_id=employer_id)
    if not lines.exists():
        return None
    full = lines.filter(full_year=True, allotment__gte=deductible)
    totals = full.aggregate(
        families=Count("pk"), under=Count("pk", filter=Q(trust_fund_claims__lt=deductible))
    )
    return totals["families"], totals["under"]


def _families_from_ledger(
    employer_id: int | None, policy_year: int, as_of: date, deductible: Decimal
) -> tuple[int, int]:
    start, end = policy_year_start(policy_year), policy_year_end(policy_year)
    families_sql = f"""
        SELECT DISTINCT s.employee_id FROM accounts_coveragesegment s
          JOIN accounts_employee e ON e.id = s.employee_id
         WHERE s.tier = 'full' AND s.start_date <= %(start)s
           AND (s.end_date IS NULL OR s.end_date >= %(end)s)
           AND s.source <> 'separation_continuation' {employer_filter(employer_id, "e")}
    """  # noqa: S608 - fixed SQL fragments only; values are bound
    paid_sql = _CLAIMS_BY_EMPLOYEE_SQL.format(employer=employer_filter(employer_id))
    sql = f"""
        WITH families AS ({families_sql}), paid AS ({paid_sql})
        SELECT count(*), count(*) FILTER (WHERE coalesce(paid.paid, 0) < %(deductible)s)
          FROM families LEFT JOIN paid ON paid.employee_id = families.employee_id
    """  # noqa: S608 - fixed SQL fragments only; values are bound
    params = {
        "start": start,
        "end": end,
        "as_of": as_of,
        "employer_id": employer_id,
        "deductible": deductible,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        families, under = cursor.fetchone()
    return families, under


def _savings(
    employer_id: int | None,
    policy_year: int,
    as_of: date,
    funds: FundMonths,
    district: dict[int, dict[str, Decimal]],
) -> Savings | None:
    """Section 8 for a completed year from the month figures already read (formula in
    :class:`Savings`). ``None`` before the first completed year, for a year older than
    the window, or without a FULL-tier schedule with a trust-fund line."""
    if policy_year_end(policy_year) > as_of:
        return None
    months = [add_months(policy_year_start(policy_year), i) for i in range(12)]
    # The year's schedule as it opened (a later revision changes the months after it).
    schedule = (
        PremiumSchedule.objects.filter(plan_year__start_year=policy_year, tier=Tier.FULL.value)
        .order_by("effective_from")
        .first()
    )
    trust_fund_rate = (
        schedule.trust_fund_employer + schedule.trust_fund_employee if schedule else ZERO
    )
    if not trust_fund_rate:
        return None
    contributions = sum((funds.contributions(m) for m in months), ZERO)
    full_months = int((contributions / trust_fund_rate).to_integral_value())
    major_medical = schedule.major_medical_employer + schedule.major_medical_employee
    year = district.get(policy_year, {"interest": ZERO, "admin": ZERO})
    return Savings(
        policy_year=policy_year,
        full_months=full_months,
        major_medical_rate=major_medical,
        trust_fund_rate=trust_fund_rate,
        carrier_premiums=major_medical * full_months,
        contributions=contributions,
        claims=sum((funds.claims(m) for m in months), ZERO),
        admin_costs=year["admin"],
        interest=year["interest"],
    )


def savings_against_full_coverage(
    *, employer_id: int | None, policy_year: int, as_of: date
) -> Savings | None:
    """Section 8: the savings of a completed plan year (see :class:`Savings`)."""
    first = policy_year_start(policy_year)
    funds = _fund_months(employer_id, as_of, first)
    return _savings(employer_id, policy_year, as_of, funds, _district_by_year(employer_id, as_of))

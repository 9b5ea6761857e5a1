"""The year-end fund report (R-FU4): every line of the plan's June 30, 1986 layout,
computed from ledger postings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from accounts.models import (
    PlanYear,
)
from accounts.rules import (
    policy_year_end,
    policy_year_label,
    policy_year_of,
    policy_year_start,
)
from reports.models import FundReportDocument
from reports.selectors._common import (
    EMPLOYEE_FUNDS,
    INTERNAL_KINDS,
    REFUND_KINDS,
    employer_filter,
    employer_name,
    plan_fund_values,
    today_or,
)
from staywell.money import ZERO
from vesting.golive import CURRENT_REFUNDS_REFERENCE as GOLIVE_CURRENT_REFUNDS
from vesting.golive import REPORT_KINDS as GOLIVE_REPORT_KINDS
from vesting.ledger import OVERPAYMENTS_ACCOUNT
from vesting.ledger import selectors as ledger
from vesting.models import (
    FundKind,
    TransactionKind,
)


@dataclass(frozen=True)
class ReportLine:
    """One printed line of the fund report, in the 1986 report's two money columns."""

    key: str  # stable name, e.g. "balance_forward" (tests, CSV)
    label: str
    amount: Decimal | None  # None for headings
    style: str  # "heading" | "subheading" | "line" | "subtotal" | "total" | "memo"
    column: int = 1  # 1: the detail column, 2: the subtotal column


@dataclass(frozen=True)
class LedgerCheck:
    """A figure of the report against the same figure read from the ledger's balances."""

    label: str
    report: Decimal
    ledger: Decimal

    @property
    def ok(self) -> bool:
        return self.report == self.ledger


@dataclass(frozen=True)
class FundReport:
    """The year-end fund report as of June 30 (R-FU4), in the 1986 report's layout.

    Amounts are signed as they act on the balance they belong to: additions positive,
    deductions (transfers out, refunds, claims, costs) negative; the pages print
    negatives in parentheses, as the 1986 report does.
    """

    policy_year: int  # R-PY1 start year: 1985 for the report "as of June 30, 1986"
    employer_id: int | None  # None: the pool
    employer_name: str
    first_year: int | None  # first policy year with ledger entries (the "1979" of 1979-1985)
    # EMPLOYEE TOTALS, prior years
    balance_forward: Decimal  # General + Vested Trust Fund as of the June 30 before
    unvested_adjustment: Decimal  # unvested amounts moved to the district this year (-)
    prior_refunds: Decimal  # refunds this year out of earlier years' money (-)
    prior_year_claims: Decimal  # claims paid this year for earlier dates of service (-)
    # EMPLOYEE TOTALS, current year
    employer_cost: Decimal  # trust-fund contributions this year (+)
    claims_processed: Decimal  # claims paid this year for this year's dates of service (-)
    current_refunds: Decimal  # refunds this year out of this year's money (-)
    other_employee: Decimal  # entries of no kind above (none when the ledger is used as meant)
    # DISTRICT TOTALS
    interest_forward: Decimal  # interest earned before this year (+)
    interest_earned: Decimal  # interest earned this year (+)
    admin_forward: Decimal  # administrative costs before this year (-)
    admin_expenses: Decimal  # administrative costs this year (-)
    unvested_forward: Decimal  # unvested transfers received before this year (+)
    unvested_year: Decimal  # unvested transfers received this year (+)
    other_district: Decimal  # district entries of no kind above (normally none)
    total_refunds_to_date: Decimal  # every refund ever paid, net of reversals (+)
    # The same totals read from the ledger's maintained balances (vesting.ledger.selectors)
    ledger_employee_balance: Decimal
    ledger_district_balance: Decimal
    # Memo: overpayments owed back by employees (a re-vested year lowered after it was
    # paid out, vesting.revest), the receivable's balance at June 30; included above.
    overpayments_receivable: Decimal = ZERO

    # --- dates and labels -------------------------------------------------------------
    @property
    def year_start(self) -> date:
        return policy_year_start(self.policy_year)

    @property
    def as_of(self) -> date:
        return policy_year_end(self.policy_year)

    @property
    def period_label(self) -> str:
        """ "June 30, 1986"."""
        return f"{self.as_of:%B} {self.as_of.day}, {self.as_of.year}"

    @property
    def current_label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def current_short(self) -> str:
        """ "85-86", the 1986 report's way of naming the year."""
        return f"{self.policy_year % 100:02d}-{(self.policy_year + 1) % 100:02d}"

    @property
    def prior_label(self) -> str:
        """ "1979-1985": the first year with entries to the year before."""
        first = self.first_year if self.first_year is not None else self.policy_year
        return f"{min(first, self.policy_year)}-{self.policy_year}"

    # --- subtotals and totals ---------------------------------------------------------
    @property
    def prior_subtotal(self) -> Decimal:
        return (
            self.balance_forward
            + self.unvested_adjustment
            + self.prior_refunds
            + self.prior_year_claims
        )

    @property
    def current_subtotal(self) -> Decimal:
        return (
            self.employer_cost + self.claims_processed + self.current_refunds + self.other_employee
        )

    @property
    def employee_cumulative_total(self) -> Decimal:
        return self.prior_subtotal + self.current_subtotal

    @property
    def interest_total(self) -> Decimal:
        return self.interest_forward + self.interest_earned

    @property
    def admin_total(self) -> Decimal:
        return self.admin_forward + self.admin_expenses

    @property
    def unvested_total(self) -> Decimal:
        return self.unvested_forward + self.unvested_year

    @property
    def district_subtotal(self) -> Decimal:
        return self.interest_total + self.admin_total + self.unvested_total + self.other_district

    @property
    def total_fund_balance(self) -> Decimal:
        """The grand total: the employees' money plus the district's."""
        return self.employee_cumulative_total + self.district_subtotal

    @property
    def employee_refunds_this_year(self) -> Decimal:
        return -(self.prior_refunds + self.current_refunds)

    # --- ties to the ledger -----------------------------------------------------------
    @property
    def checks(self) -> list[LedgerCheck]:
        return [
            LedgerCheck(
                "Employee cumulative total = General + Vested Trust Fund balances",
                self.employee_cumulative_total,
                self.ledger_employee_balance,
            ),
            LedgerCheck(
                "District total = district account balance",
                self.district_subtotal,
                self.ledger_district_balance,
            ),
            LedgerCheck(
                "Total fund balance = the three plan funds",
                self.total_fund_balance,
                self.ledger_employee_balance + self.ledger_district_balance,
            ),
        ]

    @property
    def ties(self) -> bool:
        return all(check.ok for check in self.checks)

    # --- the printed lines ------------------------------------------------------------
    @property
    def lines(self) -> list[ReportLine]:
        """Every line of the 1986 layout, in order (the HTML page, the PDF and the CSV)."""
        y = self.current_short
        rows = [
            ReportLine("employee_totals", "EMPLOYEE TOTALS", None, "heading"),
            ReportLine("prior_years", f"Prior years {self.prior_label}", None, "subheading"),
            ReportLine(
                "balance_forward", "Prior year balance forward", self.balance_forward, "line"
            ),
            ReportLine(
                "unvested_adjustment",
                "Adj. separated employees transferred to district",
                self.unvested_adjustment,
                "line",
            ),
            ReportLine(
                "prior_refunds", "Refunds to separated employees", self.prior_refunds, "line"
            ),
            ReportLine("prior_year_claims", "Prior year claims", self.prior_year_claims, "line"),
            ReportLine(
                "prior_subtotal", "Prior years subtotal", self.prior_subtotal, "subtotal", 2
            ),
            ReportLine("current_year", f"Current year {self.current_label}", None, "subheading"),
            ReportLine("employer_cost", "Employer cost", self.employer_cost, "line"),
            ReportLine("claims_processed", "Claims processed", self.claims_processed, "line"),
            ReportLine("current_refunds", "Employee refunds", self.current_refunds, "line"),
        ]
        if self.other_employee:
            rows.append(ReportLine("other_employee", "Other entries", self.other_employee, "line"))
        rows += [
            ReportLine(
                "current_subtotal", "Current year subtotal", self.current_subtotal, "subtotal", 2
            ),
            ReportLine(
                "employee_cumulative_total",
                "Employee cumulative total",
                self.employee_cumulative_total,
                "total",
                2,
            ),
            ReportLine("district_totals", "DISTRICT TOTALS", None, "heading"),
            ReportLine(
                "interest_forward", "Interest balance forward", self.interest_forward, "line"
            ),
            ReportLine("interest_earned", f"Earned {y}", self.interest_earned, "line"),
            ReportLine("interest_total", "Interest", self.interest_total, "subtotal", 2),
            ReportLine("admin_forward", "Admin. cost balance forward", self.admin_forward, "line"),
            ReportLine("admin_expenses", f"Expenses {y}", self.admin_expenses, "line"),
            ReportLine("admin_total", "Administrative costs", self.admin_total, "subtotal", 2),
            ReportLine(
                "unvested_forward",
                "Unvested transfers balance forward",
                self.unvested_forward,
                "line",
            ),
            ReportLine(
                "unvested_year", f"Unvested emp. trans. to dist. {y}", self.unvested_year, "line"
            ),
            ReportLine("unvested_total", "Unvested transfers", self.unvested_total, "subtotal", 2),
        ]
        if self.other_district:
            rows.append(
                ReportLine("other_district", "Other entries", self.other_district, "subtotal", 2)
            )
        rows += [
            ReportLine("district_subtotal", "District total", self.district_subtotal, "total", 2),
            ReportLine(
                "total_fund_balance", "TOTAL FUND BALANCE", self.total_fund_balance, "total", 2
            ),
            ReportLine(
                "total_refunds_to_date",
                "TOTAL EMPLOYEE REFUNDS TO DATE",
                self.total_refunds_to_date,
                "memo",
                2,
            ),
        ]
        return rows + self._receivable_lines()

    def _receivable_lines(self) -> list[ReportLine]:
        """The memo line of overpayments owed back (none when there are none)."""
        if not self.overpayments_receivable:
            return []
        label = "Overpayments owed back by employees (included above)"
        return [
            ReportLine("overpayments_receivable", label, self.overpayments_receivable, "memo", 2)
        ]

    def figures(self) -> dict[str, Decimal]:
        """``{line key: amount}`` of every money line (tests, API)."""
        return {line.key: line.amount for line in self.lines if line.amount is not None}


# One pass over the postings of the plan's three funds up to June 30, grouped by fund,
# kind (a reversal as its original; a figure carried in at go-live by its reference),
# before/in the year, and whether the date of service (claims) or the period (vesting)
# lies before the year. The refunds paid before go-live are on a payees' account; the
# period of a carried-in figure counts for the first year (the plan's years before it).
_FUND_REPORT_SQL = """
SELECT f.kind AS fund_kind,
       CASE WHEN coalesce(o.kind, t.kind) = %(go_live)s THEN t.reference
            ELSE coalesce(o.kind, t.kind) END AS kind,
       p.effective_date < %(start)s AS before_year,
       coalesce(o.period_start, o.effective_date, t.period_start, t.effective_date)
           < %(start)s AS earlier_period,
       sum(CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END),
       min(LEAST(p.effective_date, CASE WHEN t.kind = %(go_live)s THEN t.period_start END))
  FROM vesting_posting p
  JOIN vesting_account a ON a.id = p.account_id
  JOIN vesting_fund f ON f.id = a.fund_id
  JOIN vesting_transaction t ON t.id = p.transaction_id
  LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
 WHERE (f.kind = ANY(%(funds)s) OR (f.kind = %(payees)s AND t.kind = %(go_live)s))
   AND p.effective_date <= %(end)s
   {employer}
 GROUP BY 1, 2, 3, 4
"""


# The refunds of the year that came out of the year's own money, per side account.
# Decision (R-VE7: earlier years' amounts are payable first): a side account pays out its
# oldest money first. "Prior money" is the balance at the start of the year plus what
# vested during the year for earlier years (the July 1 rollover) less run-out recoveries
# for earlier years; a refund counts as current-year only beyond that, i.e. once it
# reaches the separation year's own vested amount (R-VE4 (b)).
_CURRENT_REFUNDS_SQL = """
WITH refunded AS (
    SELECT DISTINCT p.account_id
      FROM vesting_posting p
      JOIN vesting_account a ON a.id = p.account_id
      JOIN vesting_fund f ON f.id = a.fund_id
      JOIN vesting_transaction t ON t.id = p.transaction_id
      LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
     WHERE f.kind = 'vested_trust'
       AND p.effective_date BETWEEN %(start)s AND %(end)s
       AND coalesce(o.kind, t.kind) = ANY(%(refunds)s)
       {employer}
), entries AS (
    SELECT p.account_id,
           CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END AS amount,
           p.effective_date < %(start)s AS before_year,
           coalesce(o.kind, t.kind) AS kind,
           coalesce(o.period_start, o.effective_date, t.period_start, t.effective_date)
               < %(start)s AS earlier_period
      FROM vesting_posting p
      JOIN refunded r ON r.account_id = p.account_id
      JOIN vesting_account a ON a.id = p.account_id
      JOIN vesting_transaction t ON t.id = p.transaction_id
      LEFT JOIN vesting_transaction o ON o.id = t.reverses_id
     WHERE p.effective_date <= %(end)s
), per_account AS (
    SELECT account_id,
           coalesce(sum(amount) FILTER (
               WHERE before_year OR (kind = ANY(%(internal)s) AND earlier_period)), 0) AS prior_money,
           -coalesce(sum(amount) FILTER (
               WHERE NOT before_year AND kind = ANY(%(refunds)s)), 0) AS refunded
      FROM entries
     GROUP BY account_id
)
SELECT coalesce(sum(GREATEST(refunded - GREATEST(prior_money, 0), 0)), 0) FROM per_account
"""


# The overpayments receivable (vesting.revest) as of June 30: the memo line.
_RECEIVABLE_SQL = """
SELECT coalesce(sum(CASE WHEN p.direction = a.normal_balance THEN p.amount ELSE -p.amount END), 0)
  FROM vesting_posting p
  JOIN vesting_account a ON a.id = p.account_id
  JOIN vesting_fund f ON f.id = a.fund_id
 WHERE f.kind = 'general_trust' AND a.employee_id IS NULL AND a.name = %(receivable)s
   AND p.effective_date <= %(end)s
   {employer}
"""


def _receivable(employer_id: int | None, params: dict[str, Any]) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(
            _RECEIVABLE_SQL.format(employer=employer_filter(employer_id)),
            {**params, "receivable": OVERPAYMENTS_ACCOUNT[1]},
        )
        return cursor.fetchone()[0] or ZERO


def fund_report(*, policy_year: int, employer_id: int | None) -> FundReport:
    """R-FU4: the year-end report of an employer (``None``: the pool) as of June 30 of
    ``policy_year`` (R-PY1 start year), every line computed from ledger postings.

    Lines (Decisions; the 1986 report names them, the ledger decides what goes in):

    - Prior year balance forward: General + Vested Trust Fund as of the June 30 before.
    - Adj. separated employees transferred to district: unvested transfers (R-VE4) this year.
    - Refunds to separated employees: lump sums, continuation premiums and beneficiary
      payments this year out of earlier years' money; Employee refunds (current year):
      the part beyond earlier years' money, i.e. out of this year's own vested amount
      (oldest money first, ``_CURRENT_REFUNDS_SQL``).
    - Prior year claims: trust-fund claim payments this year whose date of service is
      before July 1 (run-out, R-CL6); Claims processed: those with a date of service in
      the year. Both net of reversals and adjustments.
    - Employer cost: the trust-fund contributions of the year's months (both shares of
      the trust-fund line, R-PR1; only the employer pays it in the 1983 schedule).
    - Vesting transfers and run-out recoveries move money between the two employee funds
      and appear on no line.
    - District: interest and administrative costs before the year (balance forward) and
      in it. Decision: unvested transfers also get a balance forward, so that the
      district total is the district account's balance; in a year with no earlier
      transfers the layout is exactly the 1986 one's.
    - Employee cumulative total = prior + current subtotals; it must equal the two
      funds' balances in the ledger (``checks``), as must the district total.

    Three SQL queries over the postings, one balance read; the pool: no employer filter.
    """
    end = policy_year_end(policy_year)
    params = _report_params(policy_year, employer_id)
    with connection.cursor() as cursor:
        cursor.execute(_FUND_REPORT_SQL.format(employer=employer_filter(employer_id)), params)
        rows = cursor.fetchall()
        cursor.execute(_CURRENT_REFUNDS_SQL.format(employer=employer_filter(employer_id)), params)
        current_refunds = cursor.fetchone()[0] or ZERO

    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    first_day: date | None = None
    for fund_kind, kind, before_year, earlier_period, amount, first in rows:
        first_day = first if first_day is None else min(first_day, first)
        sums[_bucket(fund_kind, kind, before_year, earlier_period)] += amount

    refunds_this_year = sums["refunds"]  # negative: money out of the side accounts
    balances = (
        ledger.pool_fund_balances(as_of=end)
        if employer_id is None
        else ledger.employer_fund_balances(employer_id, as_of=end)
    )
    return FundReport(
        policy_year=policy_year,
        employer_id=employer_id,
        employer_name=employer_name(employer_id),
        first_year=policy_year_of(first_day) if first_day else None,
        balance_forward=sums["balance_forward"] + sums["refunds_before"],
        unvested_adjustment=sums["unvested_out"],
        prior_refunds=refunds_this_year + current_refunds,
        prior_year_claims=sums["prior_claims"],
        employer_cost=sums["contributions"],
        claims_processed=sums["current_claims"],
        current_refunds=sums["golive_current_refunds"] - current_refunds,
        other_employee=sums["internal"] + sums["other_employee"],
        interest_forward=sums["interest_forward"],
        interest_earned=sums["interest_year"],
        admin_forward=sums["admin_forward"],
        admin_expenses=sums["admin_year"],
        unvested_forward=sums["unvested_forward"],
        unvested_year=sums["unvested_year"],
        other_district=sums["other_district"],
        total_refunds_to_date=sums["refunds_carried_in"]
        - (sums["refunds"] + sums["refunds_before"] + sums["golive_current_refunds"]),
        ledger_employee_balance=sum((balances[kind] for kind in EMPLOYEE_FUNDS), ZERO),
        ledger_district_balance=balances[FundKind.DISTRICT.value],
        overpayments_receivable=_receivable(employer_id, params),
    )


def _report_params(policy_year: int, employer_id: int | None) -> dict[str, Any]:
    return {
        "start": policy_year_start(policy_year),
        "end": policy_year_end(policy_year),
        "funds": plan_fund_values(),
        "refunds": list(REFUND_KINDS),
        "internal": list(INTERNAL_KINDS),
        "employer_id": employer_id,
        "go_live": TransactionKind.GO_LIVE.value,
        "payees": FundKind.PAYEES.value,
    }


def _bucket(fund_kind: str, kind: str, before_year: bool, earlier_period: bool) -> str:
    """The report line a group of postings belongs to (see :func:`fund_report`).

    A plan that went live in Stay-Well (``vesting.golive``): each carried-in figure is a
    go-live transaction named by its reference and counts on the line it names (the
    year-to-date "Employee refunds" apart, as they are not in the side accounts); the
    refunds paid before go-live, on a payees' account, count for "refunds to date".
    """
    if kind in GOLIVE_REPORT_KINDS:  # a figure carried in at go-live (vesting.golive)
        if fund_kind == FundKind.PAYEES:
            return "refunds_carried_in"
        if kind == GOLIVE_CURRENT_REFUNDS and not before_year:
            return "golive_current_refunds"
        kind = GOLIVE_REPORT_KINDS[kind]
    if fund_kind == FundKind.DISTRICT:
        when = "forward" if before_year else "year"
        if kind == TransactionKind.INTEREST:
            return f"interest_{when}"
        if kind == TransactionKind.ADMINISTRATIVE_EXPENSE:
            return f"admin_{when}"
        if kind == TransactionKind.UNVESTED_TRANSFER:
            return f"unvested_{when}"
        return "other_district"
    # The employees' money: General and Vested Trust Fund.
    if before_year:
        # Everything up to the June 30 before is the balance forward; refunds are kept
        # apart so that they also count for "refunds to date" (both added back above).
        return "refunds_before" if kind in REFUND_KINDS else "balance_forward"
    if kind == TransactionKind.EMPLOYER_CONTRIBUTION:
        return "contributions"
    if kind == TransactionKind.CLAIM_PAYMENT:
        return "prior_claims" if earlier_period else "current_claims"
    if kind == TransactionKind.UNVESTED_TRANSFER:
        return "unvested_out"
    if kind in REFUND_KINDS:
        return "refunds"
    if kind in INTERNAL_KINDS:
        return "internal"
    return "other_employee"


def fund_report_years(*, today: date | None = None) -> list[int]:
    """Policy years a fund report can be asked for, newest first: the plan years set up
    by the administrator (R-PY1) that have ended by ``today``; at least the last one."""
    last = policy_year_of(today_or(today)) - 1
    years = sorted(
        set(PlanYear.objects.filter(start_year__lte=last).values_list("start_year", flat=True)),
        reverse=True,
    )
    return years or [last]


def latest_documents(*, policy_year: int | None = None) -> QuerySet[FundReportDocument]:
    """The latest stored document per year and employer (pool first), newest year first."""
    documents = FundReportDocument.objects.select_related("employer", "created_by")
    if policy_year is not None:
        documents = documents.filter(policy_year=policy_year)
    latest = (
        documents.order_by("policy_year", "employer_id", "-created_at", "-id")
        .distinct("policy_year", "employer_id")
        .values("id")
    )
    return (
        FundReportDocument.objects.filter(id__in=latest)
        .select_related("employer", "created_by")
        .order_by("-policy_year", "employer__name")
    )


def latest_document(*, policy_year: int, employer_id: int | None) -> FundReportDocument | None:
    return (
        FundReportDocument.objects.filter(policy_year=policy_year, employer_id=employer_id)
        .order_by("-created_at", "-id")
        .first()
    )

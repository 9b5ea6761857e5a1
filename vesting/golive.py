"""Go-live: an existing plan brought into Stay-Well as of a cut-over date.

An administrator downloads the template, fills in one file for the plan (one or more
employers), has it checked (every problem listed by row and column, nothing saved), then
confirms; a background job (``staywell.jobs``) posts it all or nothing.

The file (one row per figure; the first row names the columns, in any order):

================  =====================================================================
column            meaning
================  =====================================================================
employer_code     the employer, e.g. MCOE
item              what the row carries (below)
employee_number   employee rows (``vested``, ``pending``, ``ytd_trust_claims``): the
                  employee (on file, e.g. from the census import)
policy_year       ``vested``, ``pending`` rows: the policy year, 1984-85 (or 1984);
                  ``balance_forward``: the plan's first policy year (optional);
                  ``ytd_trust_claims``: the cut-over's year (optional)
amount            dollars and cents as the fund report prints them (deductions negative,
                  a minus sign or parentheses)
paid_out          ``vested`` rows: dollars of that year's amount already paid out
separation_date   ``vested`` rows: the day the employee left, if by the cut-over
separation_reason with a separation date: resignation (default), retirement, death, ...
================  =====================================================================

Items, per employer: the balances at the cut-over of the three funds (``general_trust``,
``vested_trust``, ``district``; R-FU1); what the fund report carries forward as of the
June 30 on or before the cut-over (``balance_forward``, ``refunds_to_date``,
``interest_forward``, ``admin_forward``, ``unvested_forward``; R-FU4); for a cut-over
after July 31, the year-to-date figures of the report's lines of the year (``employer_cost``,
``claims_processed``, ``current_refunds``, ``prior_refunds``, ``prior_year_claims``,
``unvested_adjustment``, ``interest_earned``, ``admin_expenses``, ``unvested_year``); per
employee, one ``vested`` row per policy year with the amount vested and what of it was
already paid out; one ``pending`` row per partial year still pending at the cut-over
(R-VE4) with its unused amount; for a cut-over after July 31, one ``ytd_trust_claims`` row
with what the trust fund paid so far for the family's claims of the year (R-VE2).

Ledger design (the plan is silent; decided as the plan's auditor would):

- Decision: an outside party "Opening balances (before go-live)" (``FundKind.OPENING_BALANCE``,
  credit-normal like the employer budget: what came in before go-live) is the other side
  of every figure carried in. Each figure is one balanced transaction of kind
  ``TransactionKind.GO_LIVE`` whose ``reference`` names the figure (``"go-live
  interest_forward"``, see :data:`REPORT_KINDS`), so the fund report puts it on its own
  line (``reports.selectors._fund_report``) and every line still ties to the ledger.
- Decision: the forward figures are dated the June 30 on or before the cut-over (the
  report's "balance forward" is as of that day); the year-to-date figures are dated the
  cut-over date, and carried-in claims carry a period (the year before, or the year to
  date) so that they land on "Prior year claims" or "Claims processed". The year-to-date
  unvested transfers are one transaction from the General Trust Fund to the district, as
  the rollover posts them, so ``unvested_year`` must be ``-unvested_adjustment``.
- Decision: ``balance_forward`` (the employees' money) is posted to the General
  Deductible Trust Fund; each employee's vested years then move from it to the side
  account (``"go-live vested"``, one transaction per employee and year, what is still
  held: vested less paid out), so both funds hold their balances and the vesting moves
  appear on no report line, like the rollover's. The refunds paid before go-live
  (``refunds_to_date``) are posted to a payees' account "Vested refunds paid before
  go-live", so that "TOTAL EMPLOYEE REFUNDS TO DATE" ties to the ledger too.
- Decision: the check ties every employer's figures before anything is posted: the Vested
  Trust Fund balance is the employees' held amounts; General + Vested is the balance
  forward plus the year-to-date employee lines; the district is its forward figures plus
  its year-to-date lines. A figure with the wrong sign for its line is refused (the
  report prints deductions in parentheses).
- Decision: each vested year becomes a ``VestingLine`` (outcome vested, vested July 1
  after the year, or on the separation date for the separation year's partial amount,
  R-VE4), so R-VE7 lump sums and R-CL6 run-out reductions work on carried-in years. For
  a separated employee the lump sums are scheduled as R-VE7 says; a year paid out in full
  is recorded as paid (never paid again), a year paid in part owes only the rest.
  Something paid out needs a separation on or before the cut-over (R-VE5, R-VE6).
- Decision: an employer goes live once, before its ledger has any entry or vesting line;
  the months up to the cut-over are recorded as closed (the old administrator posted
  them), so the first month closed in Stay-Well is the one after. The vesting of the
  policy years ended by the cut-over is the old administrator's: the rollover and the
  vesting at separation skip them (``GoLiveEmployer.cutover_of``).
- Decision: idempotent by the file: the same bytes for the same cut-over are one go-live;
  a second import returns the first and posts nothing. Each transaction also has an
  idempotency key (``golive:{employer}:{figure}``), so even a repeated job posts once.
- Decision: who: an administrator checks and imports (it sets the plan's books once);
  the superintendent sees the go-lives and their status, read-only; nobody else.
- Decision: a separation before the cut-over that is not on file yet is given on the
  employee's ``vested`` rows (``separation_date``, ``separation_reason``) and recorded
  through ``accounts.services.employee_separate`` after the years are carried in (its
  vesting at separation skips the carried-in year; its R-VE7 lump sums are scheduled).
- Decision: a mid-year cut-over carries each family's trust-fund claims of the year so
  far (``ytd_trust_claims``), so that the rollover of the year vests allotment less the
  claims before and after go-live (R-VE2). Each is posted as a claim payment
  (``TransactionKind.CLAIM_PAYMENT``, General Deductible Trust Fund -> opening balances)
  with the employee and the year to date (July 1 to the cut-over) as its period of
  service, dated the cut-over: every reader of a family's claims (the rollover's lines
  SQL, a re-vest, the side-account and self-service pages, the dashboard) counts it as
  it counts a claim paid in Stay-Well, and the lines SQL is left as it is. Together they
  are the year's "Claims processed" to date, so ``claims_processed`` must equal the
  employees' rows (the check refuses otherwise) and is not posted again as one figure.
  The allotment months of the year (also those before the cut-over) come from coverage,
  entered with the hire dates, as for any year.
- Decision: the months of the cut-over's policy year up to the cut-over are recorded as
  closed (the earlier administrator closed them), so the rollover of a mid-year cut-over's
  year asks only for the months after it.
- Decision: a partial year still pending at the cut-over (R-VE4: before the employee's
  first full year) is carried in as a ``pending`` row with its unused amount (0.00 to the
  maximum vest): a pending ``VestingLine`` and no posting, its money left in the General
  Deductible Trust Fund (part of the balance forward), as the rollover leaves it. The next
  rollover that decides it settles it like its own (``vesting.lines.pending_settle``):
  vested when a full year completes, to the district when the employee separates without
  one. Refused: an employee with vested years in the file (a full year decided it), one
  who left by the cut-over (it went to the district), a year not ended by the cut-over.
- Decision: the separation year's partial amount of the cut-over's own year (a mid-year
  cut-over) is moved to the side account on the separation date, not the June 30 before:
  it is the year's own money, so a refund of it after go-live is a current-year refund on
  the fund report (R-VE4 (b)), as when it vested in Stay-Well; earlier years are prior
  money.
- Decision: all or nothing: the job re-checks the file and posts every employer in one
  database transaction; its progress is written on a connection of its own so that the
  page's progress bar moves while the transaction is open.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import transaction as db_transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import services as member_services
from accounts.census import parse_date
from accounts.models import Employee, Employer
from accounts.rules import (
    policy_year_end,
    policy_year_label,
    policy_year_of,
    policy_year_start,
)
from staywell.csv import csv_text
from staywell.jobs import job_create, job_fail, job_succeed
from staywell.money import CENT, MONEY_MAX, ZERO
from staywell.tasks import enqueue_on_commit
from vesting import ledger
from vesting.lines import plan_year_settings
from vesting.models import (
    NORMAL_BALANCE,
    SIDE_ACCOUNT_NAME,
    Account,
    FundKind,
    GoLive,
    GoLiveEmployer,
    MonthClose,
    Payout,
    Transaction,
    TransactionKind,
    VestingLine,
)
from vesting.payouts import payouts_refresh_many

IMPORT_TASK = "vesting.golive_import"  # vesting.tasks.golive_import
JOB_KIND = "golive_import"
COLUMNS = (
    "employer_code",
    "item",
    "employee_number",
    "policy_year",
    "amount",
    "paid_out",
    "separation_date",
    "separation_reason",
)
REQUIRED = ("employer_code", "item", "amount")
MAX_ROWS = 200_000
OPENING_ACCOUNT_NAME = "Opening balances (before go-live)"
REFUNDS_BEFORE_ACCOUNT_NAME = "Vested refunds paid before go-live"
REFERENCE = "go-live {item}"

FUND_ITEMS = ("general_trust", "vested_trust", "district")
FORWARD_ITEMS = (
    "balance_forward",
    "refunds_to_date",
    "interest_forward",
    "admin_forward",
    "unvested_forward",
)
YTD_EMPLOYEE_ITEMS = (
    "employer_cost",
    "claims_processed",
    "current_refunds",
    "prior_refunds",
    "prior_year_claims",
    "unvested_adjustment",
)
YTD_DISTRICT_ITEMS = ("interest_earned", "admin_expenses", "unvested_year")
YTD_ITEMS = YTD_EMPLOYEE_ITEMS + YTD_DISTRICT_ITEMS
VESTED = "vested"
PENDING = "pending"
YTD_CLAIMS = "ytd_trust_claims"
EMPLOYEE_ITEMS = (VESTED, PENDING, YTD_CLAIMS)
FIGURE_ITEMS = FUND_ITEMS + FORWARD_ITEMS + YTD_ITEMS
DISTRICT_FORWARD = ("interest_forward", "admin_forward", "unvested_forward")
REQUIRED_ITEMS = (*FUND_ITEMS, "balance_forward")

# Sign of each figure as the fund report prints it: +1 never negative, -1 never positive.
SIGNS = {
    "vested_trust": 1,
    "refunds_to_date": 1,
    "interest_forward": 1,
    "admin_forward": -1,
    "unvested_forward": 1,
    "employer_cost": 1,
    "claims_processed": -1,
    "current_refunds": -1,
    "prior_refunds": -1,
    "prior_year_claims": -1,
    "unvested_adjustment": -1,
    "interest_earned": 1,
    "admin_expenses": -1,
    "unvested_year": 1,
}
ITEM_DOCS = (
    ("general_trust", "Balance of the General Deductible Trust Fund at the cut-over."),
    ("vested_trust", "Balance of the Vested Trust Fund at the cut-over (the employees' rows)."),
    ("district", "Balance of the district account at the cut-over."),
    (
        "balance_forward",
        "Prior year balance forward (employees' money) as of June 30; policy_year: the "
        "plan's first year, e.g. 1979-80, for the report's \"Prior years 1979-1985\".",
    ),
    ("refunds_to_date", "Total employee refunds to date as of June 30 (positive)."),
    ("interest_forward", "Interest balance forward as of June 30 (positive)."),
    ("admin_forward", "Administrative cost balance forward as of June 30 (negative)."),
    ("unvested_forward", "Unvested transfers to the district to June 30 (positive)."),
    ("employer_cost", "Mid-year: employer cost of the year to date (positive)."),
    ("claims_processed", "Mid-year: claims of the year paid to date (negative)."),
    ("current_refunds", "Mid-year: refunds out of the year's own vested money (negative)."),
    ("prior_refunds", "Mid-year: refunds to separated employees to date (negative)."),
    ("prior_year_claims", "Mid-year: prior-year claims paid to date (negative)."),
    ("unvested_adjustment", "Mid-year: unvested amounts moved to the district (negative)."),
    ("interest_earned", "Mid-year: interest earned to date (positive)."),
    ("admin_expenses", "Mid-year: administrative expenses to date (negative)."),
    ("unvested_year", "Mid-year: unvested transfers received (positive)."),
    ("vested", "One employee's vested amount of one policy year, and what was paid out."),
    (
        "pending",
        "One employee's partial year still pending (R-VE4): its unused amount, kept in the "
        "General Deductible Trust Fund until a full year completes.",
    ),
    (
        "ytd_trust_claims",
        "Mid-year: what the trust fund paid so far for one employee's family claims of the "
        "year (positive); the employees' rows add up to claims_processed.",
    ),
)
COLUMN_DOCS = (
    ("employer_code", True, "The employer's code, e.g. MCOE."),
    ("item", True, "What the row carries: one of the items below."),
    (
        "employee_number",
        False,
        "vested, pending and ytd_trust_claims rows: the employee number (on file).",
    ),
    (
        "policy_year",
        False,
        "vested and pending rows: the policy year, e.g. 1984-85; balance_forward: the plan's "
        "first year; ytd_trust_claims: the cut-over's year (blank: that year).",
    ),
    ("amount", True, "Dollars and cents as the fund report prints them, e.g. (23,599.47)."),
    ("paid_out", False, "vested rows: dollars of that year already paid out (blank: none)."),
    (
        "separation_date",
        False,
        "vested rows: the day the employee left, if by the cut-over and not yet on file.",
    ),
    (
        "separation_reason",
        False,
        "With a separation date: resignation (default), retirement, death or change_of_employer.",
    ),
)
EXAMPLE_ROWS = (
    ("MCOE", "general_trust", "", "", "173324.12", "", "", ""),
    ("MCOE", "vested_trust", "", "", "500.00", "", "", ""),
    ("MCOE", "district", "", "", "45072.98", "", "", ""),
    ("MCOE", "balance_forward", "", "1979-80", "173824.12", "", "", ""),
    ("MCOE", "refunds_to_date", "", "", "24842.78", "", "", ""),
    ("MCOE", "interest_forward", "", "", "68672.45", "", "", ""),
    ("MCOE", "admin_forward", "", "", "(23599.47)", "", "", ""),
    ("MCOE", "vested", "1001", "1984-85", "500.00", "", "", ""),
    ("MCOE", "vested", "1002", "1984-85", "300.00", "300.00", "1985-03-31", "resignation"),
)

# The fund report line each carried-in figure stands for, as the ledger kind whose line it
# is (``reports.selectors._fund_report`` reads ``REFERENCE``-named go-live postings so).
REPORT_KINDS = {
    REFERENCE.format(item=item): kind
    for item, kind in (
        ("balance_forward", TransactionKind.EMPLOYER_CONTRIBUTION),
        ("vested", TransactionKind.VESTING_TRANSFER),
        ("refunds_to_date", TransactionKind.LUMP_SUM_PAYOUT),
        ("interest_forward", TransactionKind.INTEREST),
        ("admin_forward", TransactionKind.ADMINISTRATIVE_EXPENSE),
        ("unvested_forward", TransactionKind.UNVESTED_TRANSFER),
        ("employer_cost", TransactionKind.EMPLOYER_CONTRIBUTION),
        ("claims_processed", TransactionKind.CLAIM_PAYMENT),
        ("prior_year_claims", TransactionKind.CLAIM_PAYMENT),
        ("prior_refunds", TransactionKind.LUMP_SUM_PAYOUT),
        ("current_refunds", TransactionKind.LUMP_SUM_PAYOUT),
        ("unvested_year", TransactionKind.UNVESTED_TRANSFER),
        ("interest_earned", TransactionKind.INTEREST),
        ("admin_expenses", TransactionKind.ADMINISTRATIVE_EXPENSE),
    )
}
CURRENT_REFUNDS_REFERENCE = REFERENCE.format(item="current_refunds")
MONEY_TEXT = re.compile(r"^\(?-?\$?[0-9][0-9,]*(\.[0-9]+)?\)?$")


def template_csv() -> str:
    return csv_text(COLUMNS, EXAMPLE_ROWS)


# --- Checking ------------------------------------------------------------------------------


@dataclass
class VestedRow:
    row: int  # spreadsheet row (the header is row 1)
    employee: Employee
    policy_year: int
    amount: Decimal  # dollars vested for the year
    paid_out: Decimal  # dollars of it paid before go-live

    @property
    def held(self) -> Decimal:
        return self.amount - self.paid_out


@dataclass
class ClaimsRow:
    row: int  # spreadsheet row
    employee: Employee
    amount: Decimal  # dollars the trust fund paid for the family's claims of the year


@dataclass
class EmployerFile:
    """One employer's rows of the file, read."""

    employer: Employer
    first_row: int
    figures: dict[str, Decimal] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # item -> row
    vested: list[VestedRow] = field(default_factory=list)
    pending: list[VestedRow] = field(default_factory=list)  # partial years pending (R-VE4)
    ytd_claims: list[ClaimsRow] = field(default_factory=list)  # the year to date, per family
    claim_rows: dict[int, int] = field(default_factory=dict)  # employee id -> its row
    first_year: int | None = None  # the plan's first policy year (balance_forward row)
    # Separations the file records (employee id -> date, reason): not yet on file.
    separations: dict[int, tuple[date, str]] = field(default_factory=dict)


@dataclass
class GoLiveCheck:
    """What the check of a file found; ``go_live`` is the checked go-live (or the one
    imported before from the same file)."""

    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"row", "field", "message"}
    employers: list[EmployerFile] = field(default_factory=list)
    go_live: GoLive | None = None
    already_imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _problem(row: int | None, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "field": column, "message": message}


def parse_money(text: str) -> Decimal:
    """ "1,234.56", "-1234.56", "(1,234.56)" or "$12" as exact cents; ValueError otherwise."""
    value = text.strip()
    if not MONEY_TEXT.match(value) or (value.startswith("(") != value.endswith(")")):
        raise ValueError(text)
    negative = value.startswith("(") or "-" in value
    digits = value.strip("()").replace("-", "").replace("$", "").replace(",", "")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise ValueError(text) from None
    if amount != amount.quantize(CENT) or amount > MONEY_MAX:  # R-PY2: never rounded
        raise ValueError(text)
    amount = amount.quantize(CENT)
    return -amount if negative else amount


def parse_policy_year(text: str) -> int:
    """ "1984-85", "1984-1985" or "1984" as the start year 1984; ValueError otherwise."""
    match = re.fullmatch(r"(\d{4})(?:\s*[-/]\s*(\d{2}|\d{4}))?", text.strip())
    if not match:
        raise ValueError(text)
    start = int(match.group(1))
    end = match.group(2)
    if end is not None and int(end) % 100 != (start + 1) % 100:
        raise ValueError(text)
    return start


def cutover_problem(cutover: date | None, today: date) -> str:
    """Why a cut-over date cannot be used (empty: it can)."""
    if cutover is None:
        return "Give the cut-over date: the month end the figures are as of."
    if (cutover + timedelta(days=1)).day != 1:
        return f"The cut-over is a month end (such as June 30), not {cutover:%B} {cutover.day}."
    if cutover >= today:
        return "The cut-over date must be in the past."
    return ""


def forward_date(cutover: date) -> date:
    """The June 30 on or before the cut-over: the day of the report's balance forward."""
    return policy_year_start(policy_year_of(cutover + timedelta(days=1))) - timedelta(days=1)


def _read(file: Any) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The rows (with their spreadsheet row number) and any problem of the file itself."""
    file.seek(0)
    reader: Iterator[list[str]] = csv.reader(codecs.iterdecode(file, "utf-8-sig"))
    rows: list[dict[str, str]] = []
    try:
        header = next(reader, None)
        if header is None:
            return [], [_problem(1, "", "The file is empty.")]
        names = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            message = f"Missing column(s): {', '.join(missing)}. Download the template."
            return [], [_problem(1, "", message)]
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                return [], [_problem(number, "", f"More than {MAX_ROWS:,} rows: split the file.")]
            row = {
                name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)
            }
            row["_row"] = str(number)
            rows.append(row)
    except UnicodeDecodeError:
        return [], [_problem(None, "", 'The file is not UTF-8 text: save it as "CSV UTF-8".')]
    except csv.Error as exc:
        return [], [_problem(None, "", f"The file is not a readable CSV: {exc}.")]
    if not rows:
        return [], [_problem(2, "", "The file has no figures.")]
    return rows, []


def _employees(rows: list[dict[str, str]], employers: dict[str, Employer]) -> dict[Any, Employee]:
    """The employees the employee rows name: (employer id, number) -> employee."""
    wanted = {
        (employers[r["employer_code"].upper()].pk, r.get("employee_number", ""))
        for r in rows
        if r.get("item", "").lower() in EMPLOYEE_ITEMS and r["employer_code"].upper() in employers
    }
    found: dict[Any, Employee] = {}
    numbers = {number for _, number in wanted}
    for employee in Employee.objects.filter(
        employer_id__in={e for e, _ in wanted}, number__in=numbers
    ):
        found[(employee.employer_id, employee.number)] = employee
    return found


def _amount(row: dict[str, str], column: str, errors: list[dict[str, Any]]) -> Decimal | None:
    raw = row.get(column, "")
    if not raw:
        return None
    try:
        return parse_money(raw)
    except ValueError:
        errors.append(
            _problem(
                int(row["_row"]),
                column,
                f"{raw!r} is not an amount of dollars and cents, such as 1,234.56 or (23.10).",
            )
        )
        return None


def _figure_row(
    row: dict[str, str], item: str, file: EmployerFile, cutover: date, errors: list[Any]
) -> None:
    number = int(row["_row"])
    if item in file.rows:
        errors.append(
            _problem(
                number,
                "item",
                f"{item} of {file.employer.code} is already on row {file.rows[item]}.",
            )
        )
        return
    if item in YTD_ITEMS and forward_date(cutover) == cutover:
        errors.append(
            _problem(
                number,
                "item",
                f"A June 30 cut-over has no year-to-date figures: {item} belongs to a "
                "mid-year cut-over.",
            )
        )
        return
    amount = _amount(row, "amount", errors)
    if amount is None:
        if not row.get("amount"):
            errors.append(_problem(number, "amount", "The amount is missing."))
        return
    sign = SIGNS.get(item, 0)
    if sign and amount * sign < 0:
        wanted = "a deduction: enter it negative" if sign < 0 else "never negative"
        errors.append(
            _problem(number, "amount", f"{item} is {wanted}, as the fund report prints it.")
        )
        return
    if item == "balance_forward" and row.get("policy_year"):
        file.first_year = _first_year(row["policy_year"], number, cutover, errors)
    file.rows[item] = number
    file.figures[item] = amount


def _first_year(raw: str, number: int, cutover: date, errors: list[Any]) -> int | None:
    """The plan's first policy year, on the balance_forward row (the report's prior years)."""
    try:
        year = parse_policy_year(raw)
    except ValueError:
        errors.append(
            _problem(number, "policy_year", f"{raw!r} is not a policy year, such as 1979-80.")
        )
        return None
    if policy_year_end(year) > forward_date(cutover):
        errors.append(
            _problem(
                number,
                "policy_year",
                f"The plan's first year must have ended by {forward_date(cutover).isoformat()}.",
            )
        )
        return None
    return year


def _vested_row(
    row: dict[str, str],
    file: EmployerFile,
    employees: dict[Any, Employee],
    cutover: date,
    errors: list[Any],
    maximums: dict[int, Decimal],
) -> None:
    number = int(row["_row"])
    before = len(errors)
    employee = _row_employee(row, file, employees, errors)
    employee_number = row.get("employee_number", "")
    year = _vested_year(row, number, employee, cutover, errors)
    amount = _amount(row, "amount", errors)
    paid = _amount(row, "paid_out", errors) or ZERO
    if amount is None and not row.get("amount"):
        errors.append(_problem(number, "amount", "The amount vested is missing."))
    if amount is not None and year is not None:
        maximum = _maximum_vest(year, maximums)
        if amount < ZERO or amount > maximum:
            errors.append(
                _problem(
                    number,
                    "amount",
                    f"A year's vested amount is 0.00 to {maximum} (R-VE2), not {amount}.",
                )
            )
        elif paid < ZERO or paid > amount:
            errors.append(
                _problem(number, "paid_out", f"What was paid out is 0.00 to {amount}, not {paid}.")
            )
    if paid > ZERO and employee is not None and not _separated_by(employee, cutover):
        errors.append(
            _problem(
                number,
                "paid_out",
                f"Employee {employee_number} has no separation on or before the cut-over: "
                "vested money is paid only after separation (R-VE5, R-VE6).",
            )
        )
    if len(errors) == before and employee is not None and year is not None and amount is not None:
        file.vested.append(VestedRow(number, employee, year, amount, paid))


def _row_employee(
    row: dict[str, str], file: EmployerFile, employees: dict[Any, Employee], errors: list[Any]
) -> Employee | None:
    """The employee an employee row names (on file), or ``None`` with the problem listed."""
    number = int(row["_row"])
    employee_number = row.get("employee_number", "")
    if not employee_number:
        errors.append(_problem(number, "employee_number", "The employee number is missing."))
        return None
    employee = employees.get((file.employer.pk, employee_number))
    if employee is None:
        errors.append(
            _problem(
                number,
                "employee_number",
                f"No employee {employee_number} at {file.employer.code}: import the census first.",
            )
        )
    return employee


def _pending_row(
    row: dict[str, str],
    file: EmployerFile,
    employees: dict[Any, Employee],
    cutover: date,
    errors: list[Any],
    maximums: dict[int, Decimal],
) -> None:
    """A partial year still pending at the cut-over (R-VE4): it ended by then, before the
    employee's first full year; its unused amount waits in the General Deductible Trust
    Fund for the rollover that decides it."""
    number = int(row["_row"])
    before = len(errors)
    employee = _row_employee(row, file, employees, errors)
    year = None
    raw = row.get("policy_year", "")
    if not raw:
        errors.append(_problem(number, "policy_year", "The policy year is missing."))
    else:
        try:
            year = parse_policy_year(raw)
        except ValueError:
            errors.append(
                _problem(number, "policy_year", f"{raw!r} is not a policy year, such as 1984-85.")
            )
        if year is not None and policy_year_end(year) > cutover:
            errors.append(
                _problem(
                    number,
                    "policy_year",
                    f"{policy_year_label(year)} had not ended by the cut-over "
                    f"{cutover.isoformat()}: a pending partial year is one that ended by then.",
                )
            )
            year = None
    amount = _amount(row, "amount", errors)
    if amount is None and not row.get("amount"):
        errors.append(_problem(number, "amount", "The unused amount pending is missing."))
    if amount is not None and year is not None:
        maximum = _maximum_vest(year, maximums)
        if amount < ZERO or amount > maximum:
            errors.append(
                _problem(
                    number,
                    "amount",
                    f"A year's unused amount is 0.00 to {maximum} (R-VE2), not {amount}.",
                )
            )
    if (_amount(row, "paid_out", []) or ZERO) != ZERO:
        errors.append(
            _problem(number, "paid_out", "A pending year has not vested: nothing of it was paid.")
        )
    if employee is not None and _separated_by(employee, cutover):
        errors.append(
            _problem(
                number,
                "item",
                f"Employee {employee.number} left by the cut-over without a full year: the "
                "pending years went to the district (R-VE4); nothing is pending.",
            )
        )
    if len(errors) == before and employee is not None and year is not None and amount is not None:
        file.pending.append(VestedRow(number, employee, year, amount, ZERO))


def _claims_row(
    row: dict[str, str],
    file: EmployerFile,
    employees: dict[Any, Employee],
    cutover: date,
    errors: list[Any],
    deductibles: dict[int, Decimal],
) -> None:
    """One family's trust-fund claims of the cut-over's year paid before go-live (R-VE2)."""
    number = int(row["_row"])
    year = policy_year_of(cutover)
    if forward_date(cutover) == cutover:
        errors.append(
            _problem(
                number,
                "item",
                f"A June 30 cut-over has no year-to-date figures: {YTD_CLAIMS} belongs to a "
                "mid-year cut-over.",
            )
        )
        return
    before = len(errors)
    employee = _row_employee(row, file, employees, errors)
    raw = row.get("policy_year", "")
    if raw:
        try:
            given = parse_policy_year(raw)
        except ValueError:
            given = None
        if given != year:
            errors.append(
                _problem(
                    number,
                    "policy_year",
                    f"The year to date is {policy_year_label(year)} (leave it blank), not {raw!r}.",
                )
            )
    amount = _amount(row, "amount", errors)
    if amount is None and not row.get("amount"):
        errors.append(_problem(number, "amount", "The amount paid is missing."))
    if amount is not None:
        if year not in deductibles:
            deductibles[year] = plan_year_settings(year).deductible
        if amount < ZERO or amount > deductibles[year]:
            errors.append(
                _problem(
                    number,
                    "amount",
                    f"The trust fund pays a family 0.00 to {deductibles[year]} a year "
                    f"(R-CL1, R-CL3), not {amount}.",
                )
            )
    if employee is not None and (
        employee.hire_date > cutover
        or (
            employee.separation_date is not None
            and employee.separation_date < policy_year_start(year)
        )
    ):
        errors.append(
            _problem(
                number,
                "employee_number",
                f"Employee {employee.number} was not employed in {policy_year_label(year)} "
                "by the cut-over.",
            )
        )
    seen = file.claim_rows.get(employee.pk) if employee is not None else None
    if seen is not None:
        errors.append(
            _problem(number, "employee_number", f"This employee is already on row {seen}.")
        )
    if len(errors) == before and employee is not None and amount is not None:
        file.ytd_claims.append(ClaimsRow(number, employee, amount))
        file.claim_rows[employee.pk] = number


def _maximum_vest(year: int, maximums: dict[int, Decimal]) -> Decimal:
    """R-VE2: the year's maximum vest, read once per year and check."""
    if year not in maximums:
        maximums[year] = plan_year_settings(year).maximum_vest
    return maximums[year]


def _separated_by(employee: Employee, cutover: date) -> bool:
    return employee.separation_date is not None and employee.separation_date <= cutover


def _vested_year(
    row: dict[str, str], number: int, employee: Employee | None, cutover: date, errors: list[Any]
) -> int | None:
    raw = row.get("policy_year", "")
    if not raw:
        errors.append(_problem(number, "policy_year", "The policy year is missing."))
        return None
    try:
        year = parse_policy_year(raw)
    except ValueError:
        errors.append(
            _problem(number, "policy_year", f"{raw!r} is not a policy year, such as 1984-85.")
        )
        return None
    if policy_year_end(year) <= cutover:
        return year
    if (
        employee is not None
        and year == policy_year_of(cutover)
        and _separated_by(employee, cutover)
        and policy_year_of(employee.separation_date) == year  # type: ignore[arg-type]
    ):
        return year  # the separation year's partial amount, vested at separation (R-VE4)
    errors.append(
        _problem(
            number,
            "policy_year",
            f"{policy_year_label(year)} had not ended by the cut-over {cutover.isoformat()}: "
            "only the separation year of an employee who left by then can have vested.",
        )
    )
    return None


def _file_separations(
    rows: list[dict[str, str]],
    employers: dict[str, Employer],
    employees: dict[Any, Employee],
    cutover: date,
    errors: list[Any],
) -> dict[int, tuple[date, str]]:
    """The separations the ``vested`` rows record, checked; the employees (in memory only)
    carry them, so that the rows' checks see them (R-VE5, R-VE7)."""
    found: dict[int, tuple[date, str, int]] = {}
    for row in rows:
        raw = row.get("separation_date", "")
        code = row.get("employer_code", "").upper()
        if not raw or code not in employers or row.get("item", "").lower() != VESTED:
            continue
        number = int(row["_row"])
        employee = employees.get((employers[code].pk, row.get("employee_number", "")))
        if employee is None:
            continue  # the employee number's own error says it
        reason = row.get("separation_reason", "").lower() or Employee.SeparationReason.RESIGNATION
        problem = _separation_problem(raw, reason, employee, cutover, found.get(employee.pk))
        if problem:
            errors.append(_problem(number, problem[0], problem[1]))
            continue
        if employee.pk not in found and employee.separation_date is None:
            found[employee.pk] = (parse_date(raw), str(reason), number)
    for employee in employees.values():
        if employee.pk in found:
            employee.separation_date, employee.separation_reason = found[employee.pk][:2]
    return {pk: (day, reason) for pk, (day, reason, _) in found.items()}


def _separation_problem(
    raw: str, reason: str, employee: Employee, cutover: date, earlier: tuple[date, str, int] | None
) -> tuple[str, str] | None:
    try:
        day = parse_date(raw)
    except ValueError:
        return "separation_date", f"{raw!r} is not a date; write YYYY-MM-DD or MM/DD/YYYY."
    if reason not in Employee.SeparationReason.values:
        return "separation_reason", f"Choose {', '.join(Employee.SeparationReason.values)}."
    if day > cutover:
        return "separation_date", "A separation after the cut-over is recorded on the employee."
    if day < employee.hire_date:
        return "separation_date", f"Before the hire date {employee.hire_date.isoformat()}."
    on_file = employee.separation_date
    if on_file is not None and on_file != day:
        return "separation_date", f"The employee separated on {on_file.isoformat()} (on file)."
    if earlier is not None and earlier[:2] != (day, reason):
        return "separation_date", f"Row {earlier[2]} gives another separation."
    return None


def _tie_problems(file: EmployerFile) -> list[dict[str, Any]]:
    """R-FU4: the figures of one employer add up (module Decision)."""
    f = defaultdict(lambda: ZERO, file.figures)
    code = file.employer.code
    problems = []
    missing = [item for item in REQUIRED_ITEMS if item not in file.figures]
    for item in missing:
        problems.append(_problem(file.first_row, "item", f"{code} has no {item} row."))
    if missing:
        return problems
    held = sum((v.held for v in file.vested), ZERO)
    if f["vested_trust"] != held:
        problems.append(
            _problem(
                file.rows["vested_trust"],
                "amount",
                f"The Vested Trust Fund of {code} is {f['vested_trust']}, but the employees' "
                f"vested amounts less what was paid out add up to {held}.",
            )
        )
    employees = f["balance_forward"] + sum((f[i] for i in YTD_EMPLOYEE_ITEMS), ZERO)
    if f["general_trust"] + f["vested_trust"] != employees:
        problems.append(
            _problem(
                file.rows["general_trust"],
                "amount",
                f"General + Vested Trust Fund of {code} is "
                f"{f['general_trust'] + f['vested_trust']}, but the balance forward and the "
                f"year-to-date employee lines add up to {employees}.",
            )
        )
    district = sum((f[i] for i in DISTRICT_FORWARD + YTD_DISTRICT_ITEMS), ZERO)
    if f["district"] != district:
        problems.append(
            _problem(
                file.rows["district"],
                "amount",
                f"The district account of {code} is {f['district']}, but its forward and "
                f"year-to-date figures add up to {district}.",
            )
        )
    claims = sum((c.amount for c in file.ytd_claims), ZERO)
    if claims != -f["claims_processed"]:
        row = file.rows.get("claims_processed") or file.ytd_claims[0].row
        problems.append(
            _problem(
                row,
                "amount",
                f"Claims processed of {code} to date is {f['claims_processed']}, but the "
                f"employees' {YTD_CLAIMS} rows add up to {claims}: the rollover vests each "
                "family's allotment less its claims of the year (R-VE2).",
            )
        )
    if f["unvested_year"] != -f["unvested_adjustment"]:
        problems.append(
            _problem(
                file.rows.get("unvested_year") or file.rows.get("unvested_adjustment"),
                "amount",
                "The unvested transfers received by the district this year (unvested_year) "
                "must equal the adjustment for separated employees (unvested_adjustment).",
            )
        )
    return problems


def _pending_problems(file: EmployerFile) -> list[dict[str, Any]]:
    """R-VE4: a partial year is pending only before the employee's first full year; an
    employee with a vested year had one, and the year was decided with it."""
    vested = {v.employee.pk for v in file.vested}
    return [
        _problem(
            p.row,
            "item",
            f"Employee {p.employee.number} has vested years in the file: a partial year is "
            "pending only before the first full year (R-VE4); carry it in as vested.",
        )
        for p in file.pending
        if p.employee.pk in vested
    ]


def _employer_problems(file: EmployerFile) -> list[dict[str, Any]]:
    employer = file.employer
    done = GoLiveEmployer.objects.filter(employer=employer).first()
    if done is not None:
        message = f"{employer.code} went live as of {done.cutover.isoformat()} already."
        return [_problem(file.first_row, "employer_code", message)]
    if (
        Transaction.objects.filter(employer=employer).exists()
        or VestingLine.objects.filter(employee__employer=employer).exists()
    ):
        message = (
            f"{employer.code} already has ledger entries or vesting lines in Stay-Well: a "
            "plan goes live before its first month is closed here."
        )
        return [_problem(file.first_row, "employer_code", message)]
    return []


def check_rows(rows: list[dict[str, str]], *, cutover: date) -> GoLiveCheck:
    """Check every row and tie every employer's figures; nothing is written."""
    result = GoLiveCheck(rows=len(rows))
    maximums: dict[int, Decimal] = {}
    deductibles: dict[int, Decimal] = {}
    codes = {r.get("employer_code", "").upper() for r in rows}
    employers = {e.code.upper(): e for e in Employer.objects.filter(code__in=codes)}
    employees = _employees(rows, employers)
    separations = _file_separations(rows, employers, employees, cutover, result.errors)
    files: dict[int, EmployerFile] = {}
    seen_years: dict[tuple[int, int], int] = {}
    for row in rows:
        number = int(row["_row"])
        code, item = row.get("employer_code", "").upper(), row.get("item", "").lower()
        employer = employers.get(code)
        if employer is None:
            message = (
                f"Unknown employer code {code!r}." if code else "The employer code is missing."
            )
            result.errors.append(_problem(number, "employer_code", message))
            continue
        file = files.setdefault(employer.pk, EmployerFile(employer, number))
        if item in (VESTED, PENDING):
            years = file.vested if item == VESTED else file.pending
            count = len(years)
            if item == VESTED:
                _vested_row(row, file, employees, cutover, result.errors, maximums)
            else:
                _pending_row(row, file, employees, cutover, result.errors, maximums)
            if len(years) > count:
                added = years[-1]
                key = (added.employee.pk, added.policy_year)
                if key in seen_years:
                    years.pop()
                    result.errors.append(
                        _problem(
                            number, "policy_year", f"This year is already on row {seen_years[key]}."
                        )
                    )
                seen_years.setdefault(key, number)
        elif item == YTD_CLAIMS:
            _claims_row(row, file, employees, cutover, result.errors, deductibles)
        elif item in FIGURE_ITEMS:
            _figure_row(row, item, file, cutover, result.errors)
        else:
            message = (
                f"Unknown item {item!r}: see the template's items."
                if item
                else "The item is missing."
            )
            result.errors.append(_problem(number, "item", message))
    for file in files.values():
        file.separations = {
            v.employee.pk: separations[v.employee.pk]
            for v in file.vested
            if v.employee.pk in separations
        }
        result.errors += _employer_problems(file) + _tie_problems(file) + _pending_problems(file)
    result.errors.sort(key=lambda e: e["row"] if isinstance(e["row"], int) else 0)
    result.employers = list(files.values())
    return result


def _sha256(file: Any) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def golive_check(
    *, file: Any, cutover: date | None, user: Any = None, today: date | None = None
) -> GoLiveCheck:
    """Check a go-live file (every problem by row and column). When it is right, keep it as
    a go-live waiting for confirmation (:func:`golive_confirm`); nothing is posted. The same
    file for the same cut-over, imported before, is returned as ``already_imported``."""
    problem = cutover_problem(cutover, today or timezone.localdate())
    if problem:
        return GoLiveCheck(errors=[_problem(None, "cutover", problem)])
    assert cutover is not None
    digest = _sha256(file)
    existing = GoLive.objects.filter(file_sha256=digest, cutover=cutover).first()
    if existing is not None and existing.status != GoLive.Status.FAILED:
        done = existing.status == GoLive.Status.COMPLETED
        return GoLiveCheck(rows=existing.rows, go_live=existing, already_imported=done)
    rows, problems = _read(file)
    if problems:
        return GoLiveCheck(rows=len(rows), errors=problems)
    result = check_rows(rows, cutover=cutover)
    if result.errors:
        return result
    name = str(getattr(file, "name", "") or "go-live.csv").rsplit("/", 1)[-1][:200]
    values = {
        "file_name": name,
        "status": GoLive.Status.CHECKED,
        "rows": len(rows),
        "data": {"rows": rows},
        "summary": [_summary(f) for f in result.employers],
        "created_by": user if getattr(user, "is_authenticated", False) else None,
        "message": "",
        "job": None,
        "completed_at": None,
    }
    result.go_live, _ = GoLive.objects.update_or_create(
        file_sha256=digest, cutover=cutover, defaults=values
    )
    return result


def _summary(file: EmployerFile) -> dict[str, Any]:
    return {
        "code": file.employer.code,
        "name": file.employer.name,
        "employees": len({v.employee.pk for v in file.vested}),
        "years": len(file.vested),
        "pending_years": len(file.pending),
        "families_with_claims": len(file.ytd_claims),
        "figures": {item: str(amount) for item, amount in file.figures.items()},
    }


@db_transaction.atomic
def golive_confirm(*, go_live: GoLive | int, user: Any = None) -> GoLive:
    """Queue the import of a checked go-live (a background job with a progress bar). A
    go-live already queued or imported is returned as it is."""
    go_live_id = go_live if isinstance(go_live, int) else go_live.pk
    row = GoLive.objects.select_for_update().filter(pk=go_live_id).first()
    if row is None:
        raise ValidationError({"go_live": "No such go-live."})
    if row.status != GoLive.Status.CHECKED:
        return row
    row.job = job_create(
        kind=JOB_KIND,
        title=f"Go-live as of {row.cutover:%B} {row.cutover.day}, {row.cutover.year}",
        user=user,
        parameters={"go_live": row.pk},
    )
    row.status = GoLive.Status.QUEUED
    row.save(update_fields=["job", "status"])
    enqueue_on_commit(IMPORT_TASK, row.pk)
    return row


# --- Posting -------------------------------------------------------------------------------


def _progress(job_id: Any, *, total: int, done: int, message: str) -> None:
    """The job's progress on a connection of its own: seen while the import's transaction
    is still open (module Decision)."""
    if job_id is None:
        return
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with side.cursor() as cursor:
            cursor.execute(
                "UPDATE staywell_job SET status = 'running', total = %s, done = %s, message = %s "
                "WHERE id = %s",
                [total, done, message, job_id],
            )
    finally:
        side.close()


def golive_import(go_live_id: int) -> GoLive:
    """Post a confirmed go-live, all or nothing (the task's one service call). Idempotent:
    an imported go-live is returned as it is; the postings carry idempotency keys."""
    go_live = GoLive.objects.select_related("job").get(pk=go_live_id)
    if go_live.status == GoLive.Status.COMPLETED:
        return go_live
    job_id = go_live.job_id
    result = check_rows(go_live.data.get("rows", []), cutover=go_live.cutover)
    if result.errors:
        return _failed(go_live, "The file no longer checks: nothing was saved.", result.errors)
    total = len(result.employers)
    try:
        with db_transaction.atomic():
            for done, file in enumerate(result.employers):
                _progress(job_id, total=total, done=done, message=f"Posting {file.employer.code}")
                _post_employer(go_live, file, user=go_live.created_by)
            go_live.status = GoLive.Status.COMPLETED
            go_live.completed_at = timezone.now()
            go_live.message = _done_message(result)
            go_live.save(update_fields=["status", "completed_at", "message"])
    except ValidationError as exc:
        return _failed(go_live, f"Refused, nothing was saved: {'; '.join(exc.messages)}", [])
    if job_id is not None:
        job_succeed(job_id=job_id, message=go_live.message)
    return go_live


def _done_message(result: GoLiveCheck) -> str:
    years = sum(len(f.vested) for f in result.employers)
    codes = ", ".join(f.employer.code for f in result.employers)
    plural = "" if years == 1 else "s"
    return f"{codes} went live: {years} vested employee-year{plural} carried in."[:500]


def _failed(go_live: GoLive, message: str, errors: list[dict[str, Any]]) -> GoLive:
    go_live.status = GoLive.Status.FAILED
    go_live.message = message[:500]
    go_live.save(update_fields=["status", "message"])
    if go_live.job_id is not None:
        job_fail(job_id=go_live.job_id, message=message, errors=errors)
    return go_live


def _signed_lines(plan: Account | int, other: Account | int, amount: Decimal) -> list[ledger.Line]:
    """``amount`` into ``plan`` (a debit-normal plan account) from ``other``; negative: out."""
    if amount > ZERO:
        return [ledger.debit(plan, amount), ledger.credit(other, amount)]
    return [ledger.credit(plan, -amount), ledger.debit(other, -amount)]


def _figure_specs(file: EmployerFile, cutover: date) -> list[ledger.TransactionSpec]:
    """The employer's figures as go-live transactions (module Decision)."""
    books = ledger.ledger_accounts_for_employer(file.employer)
    opening = ledger.account_get_or_create(
        books.fund(FundKind.OPENING_BALANCE), name=OPENING_ACCOUNT_NAME
    )
    refunds = ledger.payee_account_for(books, name=REFUNDS_BEFORE_ACCOUNT_NAME)
    forward = forward_date(cutover)
    year = policy_year_of(cutover + timedelta(days=1))
    general, district = books.general_trust, books.district
    periods = {
        "prior_year_claims": (policy_year_start(year - 1), forward),
        "claims_processed": (forward + timedelta(days=1), cutover),
    }
    specs = []
    for item, amount in file.figures.items():
        if item in FUND_ITEMS or not amount or item in ("unvested_adjustment", "claims_processed"):
            continue  # the claims of the year are posted per family (_claims_specs)
        if item == "refunds_to_date":
            lines = [ledger.debit(refunds, amount), ledger.credit(opening, amount)]
        elif item == "unvested_year":  # one transfer, General Trust Fund -> district
            lines = [ledger.debit(district, amount), ledger.credit(general, amount)]
        elif item in DISTRICT_FORWARD or item in YTD_DISTRICT_ITEMS:
            lines = _signed_lines(district, opening, amount)
        else:
            lines = _signed_lines(general, opening, amount)
        start, end = periods.get(item, (None, None))
        if item == "balance_forward" and file.first_year is not None:
            start, end = policy_year_start(file.first_year), forward  # "Prior years 1979-1985"
        specs.append(
            ledger.TransactionSpec(
                kind=TransactionKind.GO_LIVE,
                effective_date=forward if item in FORWARD_ITEMS else cutover,
                lines=lines,
                memo=f"Carried in at go-live: {item.replace('_', ' ')}",
                idempotency_key=f"golive:{file.employer.pk}:{item}",
                reference=REFERENCE.format(item=item),
                period_start=start,
                period_end=end,
            )
        )
    return specs


def _claims_specs(file: EmployerFile, cutover: date) -> list[ledger.TransactionSpec]:
    """Each family's trust-fund claims of the year paid before go-live, as a claim payment
    of the employee with the year to date as its period (module Decision): the rollover,
    a re-vest and the employee's pages count them; together they are "Claims processed"."""
    books = ledger.ledger_accounts_for_employer(file.employer)
    opening = ledger.account_get_or_create(
        books.fund(FundKind.OPENING_BALANCE), name=OPENING_ACCOUNT_NAME
    )
    start = forward_date(cutover) + timedelta(days=1)
    return [
        ledger.TransactionSpec(
            kind=TransactionKind.CLAIM_PAYMENT,
            effective_date=cutover,
            lines=_signed_lines(books.general_trust, opening, -c.amount),
            memo=f"Carried in at go-live: trust-fund claims of {policy_year_label(policy_year_of(cutover))} to date",
            idempotency_key=f"golive:{file.employer.pk}:{YTD_CLAIMS}:{c.employee.pk}",
            employee_id=c.employee.pk,
            reference=REFERENCE.format(item=YTD_CLAIMS),
            period_start=start,
            period_end=cutover,
        )
        for c in file.ytd_claims
        if c.amount > ZERO
    ]


def _side_accounts(employer: Employer, employee_ids: set[int]) -> dict[int, int]:
    """The side accounts of the employees (employee id -> account id), made in one insert."""
    fund = ledger.ledger_accounts_for_employer(employer).fund(FundKind.VESTED_TRUST)
    found = dict(
        Account.objects.filter(fund=fund, employee_id__in=employee_ids).values_list(
            "employee_id", "id"
        )
    )
    missing = sorted(employee_ids - set(found))
    if missing:
        Account.objects.bulk_create(
            [
                Account(
                    fund=fund,
                    name=SIDE_ACCOUNT_NAME,
                    employee_id=employee_id,
                    normal_balance=NORMAL_BALANCE[FundKind.VESTED_TRUST],
                    never_negative=True,
                )
                for employee_id in missing
            ],
            batch_size=2000,
        )
        found = dict(
            Account.objects.filter(fund=fund, employee_id__in=employee_ids).values_list(
                "employee_id", "id"
            )
        )
    return found


def _vested_on(row: VestedRow) -> date:
    """July 1 after the year (R-VE3), or the separation date for the separation year's
    partial amount (R-VE4)."""
    separation = row.employee.separation_date
    if separation is not None and policy_year_of(separation) == row.policy_year:
        return separation
    return policy_year_start(row.policy_year + 1)


def _post_vested(file: EmployerFile, cutover: date, user: Any) -> None:
    """Each vested year: a line, and what is still held moved to the side account."""
    if not file.vested:
        return
    general = ledger.ledger_accounts_for_employer(file.employer).general_trust
    sides = _side_accounts(file.employer, {v.employee.pk for v in file.vested})
    forward = forward_date(cutover)
    posted = [v for v in file.vested if v.held > ZERO]
    ids = ledger.post_transactions_batch(
        entries=[
            ledger.TransactionSpec(
                kind=TransactionKind.GO_LIVE,
                # The separation year's partial amount of the cut-over's year vested on the
                # separation day, within the year: the year's own money (module Decision).
                effective_date=forward
                if policy_year_end(v.policy_year) <= forward
                else _vested_on(v),
                lines=[ledger.debit(sides[v.employee.pk], v.held), ledger.credit(general, v.held)],
                memo=f"Carried in at go-live: vested for {policy_year_label(v.policy_year)}",
                idempotency_key=f"golive:{file.employer.pk}:vested:{v.employee.pk}:{v.policy_year}",
                employee_id=v.employee.pk,
                reference=REFERENCE.format(item=VESTED),
                period_start=policy_year_start(v.policy_year),
                period_end=policy_year_end(v.policy_year),
            )
            for v in posted
        ],
        posted_by=user,
    )
    transactions = {(v.employee.pk, v.policy_year): tx for v, tx in zip(posted, ids, strict=True)}
    VestingLine.objects.bulk_create(
        [
            VestingLine(
                employee=v.employee,
                policy_year=v.policy_year,
                allotment=v.amount,
                trust_fund_claims=ZERO,
                unused=v.amount,
                full_year=True,
                amount=v.amount,
                outcome=VestingLine.Outcome.VESTED,
                vested_on=_vested_on(v),
                transaction_id=transactions.get((v.employee.pk, v.policy_year)),
            )
            for v in file.vested
        ],
        batch_size=2000,
    )


def _post_pending(file: EmployerFile) -> None:
    """Each pending partial year: a line pending (R-VE4), its money left in the General
    Deductible Trust Fund, as the rollover leaves it; the rollover that decides it settles
    it (``vesting.lines.pending_settle``)."""
    VestingLine.objects.bulk_create(
        [
            VestingLine(
                employee=p.employee,
                policy_year=p.policy_year,
                allotment=p.amount,
                trust_fund_claims=ZERO,
                unused=p.amount,
                full_year=False,
                amount=p.amount,
                outcome=VestingLine.Outcome.PENDING,
                vested_on=None,
            )
            for p in file.pending
        ],
        batch_size=2000,
    )


def _close_months(file: EmployerFile, cutover: date, user: Any) -> None:
    """The months of the cut-over's policy year up to the cut-over, closed: the earlier
    administrator posted them (the rollover of the year asks for every month closed)."""
    closed_by = user if getattr(user, "is_authenticated", False) else None
    first = policy_year_start(policy_year_of(cutover))
    months = []
    day = first
    while day <= cutover:
        months.append(
            MonthClose(employer=file.employer, year=day.year, month=day.month, closed_by=closed_by)
        )
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    MonthClose.objects.bulk_create(months, ignore_conflicts=True)


def _carry_payouts(file: EmployerFile, cutover: date) -> None:
    """R-VE7 lump sums of the separated employees, less what was paid before go-live."""
    separated = {v.employee.pk for v in file.vested if v.employee.separation_date is not None}
    if not separated:
        return
    payouts_refresh_many(employee_ids=separated)
    paid = {(v.employee.pk, v.policy_year): v for v in file.vested if v.paid_out > ZERO}
    if not paid:
        return
    payouts = Payout.objects.select_for_update().filter(
        employee_id__in={e for e, _ in paid}, kind=Payout.Kind.LUMP_SUM
    )
    by_year = {(p.employee_id, p.policy_year): p for p in payouts}
    create, update = [], []
    for key, row in paid.items():
        payout = by_year.get(key)
        before = f"{row.paid_out} paid before go-live ({cutover.isoformat()})"
        if payout is None or row.paid_out == row.amount:
            payout = payout or Payout(
                employee=row.employee, policy_year=row.policy_year, kind=Payout.Kind.LUMP_SUM
            )
            payout.amount, payout.status, payout.paid_on = row.paid_out, Payout.Status.PAID, cutover
            payout.due_on = payout.due_on if payout.pk else cutover
            payout.reason = f"{policy_year_label(row.policy_year)}: {before}"
        else:
            payout.amount = row.held
            payout.reason = f"{payout.reason}; {before}"[:300]
        (update if payout.pk else create).append(payout)
    Payout.objects.bulk_create(create, batch_size=2000)
    if update:
        Payout.objects.bulk_update(
            update, ["amount", "status", "paid_on", "due_on", "reason"], batch_size=2000
        )


def _post_employer(go_live: GoLive, file: EmployerFile, *, user: Any) -> GoLiveEmployer:
    """One employer's figures, vested years and payouts; its months closed to the cut-over."""
    cutover = go_live.cutover
    live = GoLiveEmployer.objects.create(  # first: vesting now skips the carried-in years
        go_live=go_live,
        employer=file.employer,
        cutover=cutover,
        figures={item: str(amount) for item, amount in file.figures.items()},
        vested_years=len(file.vested),
    )
    ledger.post_transactions_batch(
        entries=_figure_specs(file, cutover) + _claims_specs(file, cutover), posted_by=user
    )
    _post_vested(file, cutover, user)
    _post_pending(file)
    for employee_id, (day, reason) in sorted(file.separations.items()):
        member_services.employee_separate(  # R-EL9 coverage; R-VE7 lump sums of the lines
            employee=employee_id, separation_date=day, reason=reason, created_by=user
        )
    _carry_payouts(file, cutover)
    _close_months(file, cutover, user)
    return live


# --- Reading -------------------------------------------------------------------------------


def golive_list() -> QuerySet[GoLive]:
    """The go-lives, newest first, with who made them and their job."""
    return GoLive.objects.select_related("created_by", "job").prefetch_related("employers")


__all__ = [
    "COLUMNS",
    "COLUMN_DOCS",
    "IMPORT_TASK",
    "ITEM_DOCS",
    "REPORT_KINDS",
    "GoLiveCheck",
    "golive_check",
    "golive_confirm",
    "golive_import",
    "template_csv",
]

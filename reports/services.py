"""What the reports app writes: stored fund reports, payroll exports (which close the
month in the ledger) and the files the pages hand out.

Decisions:

- Decision: a payroll export of an employer's month closes that month in the ledger
  through ``vesting.ledger.month_close`` (its trust-fund contributions are posted once,
  R-FU1). A second export of a closed month posts nothing and says when and by whom it
  was closed. A month the ledger refuses to close (not begun yet; an earlier month still
  open: months close in order) is not exported: the ledger's message says which month
  comes first. The read-only preview and the API's GET never close anything.
- Decision: the payroll file has one line per employee (R-PR2: the employee shares are
  payroll deductions, the employer shares program charges), the three premium lines
  each split in employer and employee shares, then one total row per program and one
  for the employer; a ``record`` column tells the kinds of rows apart for the program
  that reads the file. Amounts are exact decimals with two places, never floats.
- Decision: fund reports are rendered once the vesting rollover of the year completes
  (``vesting.signals.rollover_completed``), or on demand, for every employer with funds
  and for the pool; each document is kept (``FundReportDocument``), never overwritten.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import Employee, Employer
from accounts.rules import TIER_LABELS, Tier, policy_year_end, policy_year_label
from accounts.selectors import monthly_premium_charges, monthly_premium_charges_all
from reports import selectors
from reports.models import FundReportDocument
from reports.selectors import PAYERS, PREMIUM_LINES, EmployeeCharges, FundReport
from staywell.csv import CONTENT_TYPE as CSV_CONTENT_TYPE
from staywell.csv import csv_bytes
from staywell.jobs import job_advance, job_create, job_fail, job_start, job_succeed
from staywell.models import Job
from staywell.pdf import render_pdf
from staywell.tasks import enqueue_on_commit
from vesting import ledger as ledger_services
from vesting.models import Fund, MonthClose

# The tasks these services queue (reports.tasks), named so that services never import tasks.
FUND_REPORTS_TASK = "reports.fund_reports_generate"
PAYROLL_EXPORT_ALL_TASK = "reports.payroll_export_all"

logger = logging.getLogger(__name__)

# =========================================================================================
# Fund reports (R-FU4)
# =========================================================================================


def fund_report_pdf(report: FundReport, *, printed_on: date) -> bytes:
    """The report as a PDF: the 1986 layout, the employer, the period, page numbers and
    the printed-on date on every page (``staywell.pdf``)."""
    return render_pdf(
        "reports/fund_report_pdf.html",
        {
            "report": report,
            "header_left": report.employer_name,
            "header_right": f"Fund report as of {report.period_label}",
        },
        printed_on=printed_on,
    )


def fund_report_file_name(report: FundReport) -> str:
    who = "pool" if report.employer_id is None else _employer_code(report.employer_id)
    return f"fund-report-{report.current_label}-{who}.pdf"


def _employer_code(employer_id: int) -> str:
    return Employer.objects.filter(pk=employer_id).values_list("code", flat=True).first() or str(
        employer_id
    )


def fund_report_document_create(
    *,
    policy_year: int,
    employer_id: int | None,
    created_by: Any = None,
    job: Job | None = None,
    today: date | None = None,
) -> FundReportDocument:
    """Compute, render and store one fund report. With ``job``, once per job: a retried
    task finds the document it stored before and returns it."""
    if job is not None:
        existing = FundReportDocument.objects.filter(
            job=job, policy_year=policy_year, employer_id=employer_id
        ).first()
        if existing is not None:
            return existing
    _refuse_unended_year(policy_year, today)
    report = selectors.fund_report(policy_year=policy_year, employer_id=employer_id)
    content = fund_report_pdf(report, printed_on=today or timezone.localdate())
    document = FundReportDocument(
        policy_year=policy_year,
        employer_id=employer_id,
        job=job,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    document.pdf.save(fund_report_file_name(report), ContentFile(content), save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:  # the same job stored it concurrently
        document.pdf.delete(save=False)
        return FundReportDocument.objects.get(
            job=job, policy_year=policy_year, employer_id=employer_id
        )
    return document


def _refuse_unended_year(policy_year: int, today: date | None) -> None:
    if policy_year_end(policy_year) >= (today or timezone.localdate()):
        raise ValidationError(
            {
                "policy_year": f"The policy year {policy_year_label(policy_year)} ends on "
                f"{policy_year_end(policy_year):%B %-d, %Y}; its year-end report can be "
                "produced from the day after."
            }
        )


def employers_with_funds() -> list[int]:
    """Employers that have ledger funds, by name."""
    ids = set(Fund.objects.values_list("employer_id", flat=True))
    return [
        pk for pk in Employer.objects.order_by("name").values_list("pk", flat=True) if pk in ids
    ]


def fund_reports_request(
    *, policy_year: int, requested_by: Any = None, reason: str = "", today: date | None = None
) -> Job:
    """Queue the year-end reports of every employer and of the pool (a Job with a
    progress bar); the task starts once the caller's transaction commits. Refused for a
    year that has not ended."""
    _refuse_unended_year(policy_year, today)
    return _queue_fund_reports(policy_year=policy_year, requested_by=requested_by, reason=reason)


def _queue_fund_reports(*, policy_year: int, requested_by: Any, reason: str) -> Job:
    job = job_create(
        kind="fund_reports",
        title=f"Fund reports {policy_year_label(policy_year)}",
        user=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        parameters={"policy_year": policy_year, "reason": reason},
    )
    enqueue_on_commit(FUND_REPORTS_TASK, policy_year=policy_year, job_id=str(job.pk))
    return job


def _job(job_id: Any) -> Job | None:
    """The job a task was queued for; ``None`` (logged) when it is gone, e.g. a message
    queued by a test database or a job deleted since: the task then does nothing."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        logger.warning("reports: job %s no longer exists; nothing to do", job_id)
    return job


def fund_reports_generate(
    *, policy_year: int, job_id: Any, today: date | None = None
) -> Job | None:
    """Render and store the report of every employer with funds, then the pool's,
    advancing the job. Idempotent per job (a retried task skips what it stored)."""
    job = _job(job_id)
    if job is None:
        return None
    employer_ids = employers_with_funds()
    job_start(job_id=job.pk, total=len(employer_ids) + 1, message="Starting")
    names = dict(Employer.objects.filter(pk__in=employer_ids).values_list("pk", "name"))
    documents = []
    try:
        for employer_id in [*employer_ids, None]:
            documents.append(
                fund_report_document_create(
                    policy_year=policy_year,
                    employer_id=employer_id,
                    created_by=job.created_by,
                    job=job,
                    today=today,
                )
            )
            job_advance(job_id=job.pk, message=names.get(employer_id, "Pool"))
    except ValidationError as exc:
        job_fail(job_id=job.pk, message="; ".join(exc.messages))
        raise
    count = len(employer_ids)
    return job_succeed(
        job_id=job.pk,
        message=f"{count} employer report{'s' if count != 1 else ''} and the pool's",
        file_name=f"fund-reports-{policy_year_label(policy_year)}.zip",
        content=_zip(documents),
    )


def _zip(documents: list[FundReportDocument]) -> bytes:
    """Every stored PDF of a generation in one zip (the job's download)."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            with document.pdf.open("rb") as pdf:
                archive.writestr(document.file_name, pdf.read())
    return buffer.getvalue()


def on_rollover_completed(*, policy_year: int, run_id: Any) -> Job:
    """``vesting.signals.rollover_completed``: the year's rollover is done, produce its
    year-end reports (queued on commit of the rollover's finishing transaction)."""
    return _queue_fund_reports(
        policy_year=policy_year,
        requested_by=None,
        reason=f"Vesting rollover run {run_id} completed",
    )


# =========================================================================================
# Payroll exports (R-PR2)
# =========================================================================================

CSV_HEADER = [
    "record",
    "employer_code",
    "program_code",
    "employee_number",
    "employee_name",
    "tier",
    *[f"{line}_{payer}" for line in PREMIUM_LINES for payer in PAYERS],
    "employer_total",
    "employee_total",
    "total",
]
MONEY_COLUMNS = len(PREMIUM_LINES) * len(PAYERS) + 3
CONTENT_TYPES = {
    "csv": CSV_CONTENT_TYPE,
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


_SHARE_KEYS = [(line, payer) for line in PREMIUM_LINES for payer in PAYERS]
_ZERO = Decimal("0.00")


def share_amounts(shares: dict[tuple[str, str], Decimal]) -> list[Decimal]:
    """The money columns of a row: each (line, payer) share, then the employer's, the
    employee's and the whole total."""
    values = [shares.get(key, _ZERO) for key in _SHARE_KEYS]
    employer = values[0] + values[2] + values[4]
    employee = values[1] + values[3] + values[5]
    return [*values, employer, employee, employer + employee]


def _employees(n: int) -> str:
    return f"{n} employee{'s' if n != 1 else ''}"


class EmployerRow(Protocol):
    """An employer as the pool's export reads it (``values_list("pk", "code", "name",
    named=True)``), or an ``Employer``."""

    @property
    def pk(self) -> int: ...

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


def payroll_records(
    employer: EmployerRow,
    rows: list[EmployeeCharges],
    *,
    pool_total: list[Decimal] | None = None,
) -> Iterator[list[Any]]:
    """The rows of one employer's month: employees, then program totals, then the
    employer's total (``CSV_HEADER`` order; money as ``Decimal``). One pass: the totals
    are summed while the employee rows go out (and added into ``pool_total``)."""
    code = employer.code
    programs: dict[str, list[Decimal]] = {}
    counts: dict[str, int] = {}
    total = [_ZERO] * MONEY_COLUMNS
    for row in rows:
        amounts = share_amounts(row.shares)
        yield ["employee", code, row.program_code, row.employee_number, row.employee_name,
               row.tier, *amounts]  # fmt: skip
        program = programs.get(row.program_code)
        if program is None:
            program = programs[row.program_code] = [_ZERO] * MONEY_COLUMNS
            counts[row.program_code] = 0
        counts[row.program_code] += 1
        for index, value in enumerate(amounts):
            program[index] += value
            total[index] += value
    for code_, amounts in sorted(programs.items()):
        yield ["program_total", code, code_, "", _employees(counts[code_]), "", *amounts]
    yield ["employer_total", code, "", "", _employees(len(rows)), "", *total]
    if pool_total is not None:
        for index, value in enumerate(total):
            pool_total[index] += value


def payroll_csv(records: Iterable[list[Any]]) -> bytes:
    """CSV with the csv module; Decimals written as exact text ("133.93")."""
    return csv_bytes(CSV_HEADER, records)


def payroll_xlsx(records: Iterable[list[Any]], *, title: str) -> bytes:
    """The same rows as an Excel workbook (openpyxl): amounts are numbers from the exact
    Decimals, shown with the ``0.00`` format; a frozen header row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in CSV_HEADER:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    first_money = len(CSV_HEADER) - MONEY_COLUMNS
    for record in records:
        cells = []
        for index, value in enumerate(record):
            cell = WriteOnlyCell(sheet, value=value)
            if index >= first_money:
                cell.number_format = "0.00"
            if record[0] != "employee":
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class PayrollExport:
    content: bytes
    file_name: str
    content_type: str
    close: MonthClose
    closed_now: bool  # False: the month was already closed; nothing was posted

    @property
    def message(self) -> str:
        month = date(self.close.year, self.close.month, 1)
        if self.closed_now:
            posted = self.close.employer_amount + self.close.employee_amount
            return (
                f"{month:%B %Y} is now closed: trust-fund contributions of {posted:,.2f} "
                "posted to the General Deductible Trust Fund."
            )
        return month_already_closed_message(self.close)


def month_already_closed_message(close: MonthClose) -> str:
    month = date(close.year, close.month, 1)
    closed_on = timezone.localtime(close.closed_at).date()
    who = close.closed_by.get_username() if close.closed_by_id else "the system"
    return (
        f"{month:%B %Y} was already closed on {closed_on:%B %-d, %Y} by {who}; "
        "this export posted nothing more."
    )


def payroll_file_name(employer_code: str, year: int, month: int, fmt: str) -> str:
    return f"premium-charges-{employer_code}-{year:04d}-{month:02d}.{fmt}"


def payroll_export(
    *, employer: Employer, year: int, month: int, exported_by: Any, fmt: str = "csv"
) -> PayrollExport:
    """R-PR2: the employer's premium charges of the month as a file, closing the month
    in the ledger (once; see the module's Decisions). Raises ``ValidationError`` when the
    ledger refuses the close (nothing is exported then)."""
    if fmt not in CONTENT_TYPES:
        raise ValidationError({"format": "Choose CSV or XLSX."})
    with transaction.atomic():
        existing = selectors.month_close_of(employer.pk, year, month)
        close = existing or ledger_services.month_close(
            employer_id=employer.pk, year=year, month=month, closed_by=exported_by
        )
        charges = monthly_premium_charges(employer_id=employer.pk, year=year, month=month)
    rows = selectors.charges_by_employee(charges)
    records = payroll_records(employer, rows)
    content = (
        payroll_csv(records)
        if fmt == "csv"
        else payroll_xlsx(records, title=f"{employer.code} {year:04d}-{month:02d}")
    )
    close = selectors.month_close_of(employer.pk, year, month) or close
    return PayrollExport(
        content=content,
        file_name=payroll_file_name(employer.code, year, month, fmt),
        content_type=CONTENT_TYPES[fmt],
        close=close,
        closed_now=existing is None,
    )


CLOSE_BATCH = 50  # month closes per database transaction in the all-employers export


def payroll_export_all_request(*, year: int, month: int, requested_by: Any) -> Job:
    """Queue the export of every employer's month (one CSV) as a job with progress."""
    job = job_create(
        kind="payroll_export_all",
        title=f"Premium charges of every employer, {date(year, month, 1):%B %Y}",
        user=requested_by,
        parameters={"year": year, "month": month},
    )
    enqueue_on_commit(PAYROLL_EXPORT_ALL_TASK, job_id=str(job.pk), year=year, month=month)
    return job


def payroll_export_all(
    *, job_id: Any, year: int, month: int, today: date | None = None
) -> Job | None:
    """Export every employer's month as one CSV, closing each employer's month (once).

    First every employer's close is checked (months close in order, a month must have
    begun): if the ledger would refuse any, the job fails listing those employers and
    nothing is closed. Then the months are closed ``CLOSE_BATCH`` employers per database
    transaction (a retried task finds the closes done and posts nothing more; the
    progress bar moves per batch), and the file is written from one pass over the
    pool's charges.
    """
    job = _job(job_id)
    if job is None:
        return None
    first = date(year, month, 1)
    employers: list[EmployerRow] = list(
        Employer.objects.order_by("code").values_list("pk", "code", "name", named=True)
    )
    job_start(job_id=job.pk, total=len(employers) + 1, message="Checking the ledger")
    errors = _close_refusals(employers, first, today or timezone.localdate())
    if errors:
        job_fail(
            job_id=job.pk,
            message=f"The ledger cannot close {first:%B %Y} for {len(errors)} "
            f"employer{'s' if len(errors) != 1 else ''}; nothing was closed or exported.",
            errors=errors,
        )
        return Job.objects.get(pk=job.pk)
    for start in range(0, len(employers), CLOSE_BATCH):
        batch = employers[start : start + CLOSE_BATCH]
        with transaction.atomic():  # one commit per batch; progress shows between batches
            for employer in batch:
                ledger_services.month_close(
                    employer_id=employer.pk, year=year, month=month, closed_by=job.created_by
                )
        job_advance(job_id=job.pk, by=len(batch), message=f"Closed {batch[-1].name}")
    by_employer = monthly_premium_charges_all(year=year, month=month)

    def records() -> Iterator[list[Any]]:
        pool_total = [_ZERO] * MONEY_COLUMNS
        count = 0
        for employer in employers:
            charges = by_employer.get(employer.pk)
            rows = selectors.charges_by_employee(charges) if charges else []
            if rows:
                count += len(rows)
                yield from payroll_records(employer, rows, pool_total=pool_total)
        yield ["pool_total", "", "", "", _employees(count), "", *pool_total]

    content = payroll_csv(records())
    return job_succeed(
        job_id=job.pk,
        message=f"{len(employers)} employers",
        file_name=payroll_file_name("all", year, month, "csv"),
        content=content,
    )


def _close_refusals(employers: list[EmployerRow], first: date, today: date) -> list[dict[str, Any]]:
    """Employers whose month the ledger would refuse to close (``month_close``'s rules:
    the month has begun; months close in order), in one query."""
    if first > today:
        return [{"row": "", "field": "month", "message": f"{first:%B %Y} has not begun."}]
    closed = {
        row["employer_id"]: row
        for row in MonthClose.objects.values("employer_id").annotate(
            last=Max(F("year") * 12 + F("month") - 1)
        )
    }
    done = set(
        MonthClose.objects.filter(year=first.year, month=first.month).values_list(
            "employer_id", flat=True
        )
    )
    index = first.year * 12 + first.month - 1
    errors = []
    for employer in employers:
        last = closed.get(employer.pk)
        if employer.pk in done or last is None or last["last"] + 1 == index:
            continue
        expected = date((last["last"] + 1) // 12, (last["last"] + 1) % 12 + 1, 1)
        errors.append(
            {
                "row": employer.code,
                "field": "month",
                "message": f"{employer.name}: months are closed in order; the next month to close "
                f"is {expected:%B %Y}.",
            }
        )
    return errors


# =========================================================================================
# The employee's statement
# =========================================================================================


def statement_pdf(*, employee: Employee, today: date | None = None) -> bytes:
    """The employee's own statement: coverage, deductible, vested balance and history,
    payouts, beneficiaries (``reports/statement_pdf.html``)."""
    data = selectors.self_service(employee, today=today)
    return render_pdf(
        "reports/statement_pdf.html",
        {
            "data": data,
            "tier_labels": {t.value: label for t, label in TIER_LABELS.items()},
            "header_left": employee.employer.name,
            "header_right": f"Statement of {employee.full_name}, {data.as_of:%B %-d, %Y}",
            "tier_none": Tier.NONE.value,
        },
        printed_on=today or timezone.localdate(),
    )

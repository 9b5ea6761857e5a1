"""Import of the claims administrator's file: every row checked first, then entered by a
Celery task through ``claims.services.claim_enter``, with a progress bar.

Columns (the first row names them, in any order, case-insensitive; others are ignored):

==================  ========  =========================================================
column              required  meaning
==================  ========  =========================================================
admin_claim_number  yes       the administrator's claim number (identifies the claim)
employer_code       yes       the policyholder's employer, e.g. MCOE
employee_number     yes       the policyholder's employee number at that employer
patient             no        blank: the employee; else the dependent's id or first name
date_of_service     yes       YYYY-MM-DD or MM/DD/YYYY
provider            yes       who is paid
billed              yes       dollars and cents, e.g. 150.00
allowed             yes       dollars and cents allowed by the administrator (R-CL2)
received_on         no        the date received (blank: the day of the import); its format
                              as date_of_service's
service_category    no        the kind of care: preventive, office, hospital, pharmacy or
                              other (any case); blank: not given
==================  ========  =========================================================

Decisions (a benefits clerk's, where the plan is silent):

- Decision: all rows are checked before anything is written (formats, codes, the family,
  dates, amounts, plan years, claim numbers); one bad row rejects the file and the page
  lists every problem with its row number (the spreadsheet's: the header is row 1).
- Decision: idempotent by the administrator's claim number. A row whose number was
  already entered with the same employee, date of service, provider, billed and allowed
  amounts is skipped; with any difference it is an error (a correction is a void or an
  adjustment on the claim page, not a re-import). A number twice in one file is an error.
- Decision: the administrator's claim number is the identity of a claim in a file, so the
  entry page's "same family, provider, date and amount" warning does not stop an import
  (two visits on one day are normal in a file); such claims are still marked
  ``duplicate_of`` the earlier one for the audit.
- Decision: ``patient`` is the dependent's id (as the API shows it) or their first name
  (case-insensitive; two dependents with that first name is an error: use the id).
- Decision: the date received may be given per row (``received_on``; not in the future,
  not before the date of service: ``claims.services.dates``); a row without one was
  received on the day of the import. Imported claims are paid on the day they are
  entered (the import's business date): the administrator's file carries no payment
  run.
- Decision: the service category is optional (files of administrators who do not code
  it still import); a value other than the five categories is a row error, never
  dropped silently. A category does not take part in the "entered already with the same
  data" comparison (a file re-sent with categories added does not clash with its first
  import; the claims keep the category they were entered with).
- Decision: the rows are entered in chunks of 1,000, each in its own transaction and
  set-based (``claims.services.claims_enter_many``: what ``claim_enter`` does for each
  row, in the file's order), so that a large file never holds a family's lock for long
  and a crash resumes where it stopped (a retry skips the rows already entered). At
  most ``MAX_ROWS`` rows per file.
"""

from __future__ import annotations

import codecs
import csv
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Dependent, Employee, Employer, PlanYear
from accounts.rules import policy_year_label, policy_year_of
from claims import services
from claims.forms import parse_date
from claims.models import Claim
from claims.rules import parse_service_category, validate_amounts
from staywell.csv import csv_text
from staywell.db import parse_id, prepared_rows
from staywell.jobs import job_advance, job_create, job_fail, job_start, job_succeed
from staywell.models import Job
from staywell.names import name_character_error
from staywell.tasks import enqueue_on_commit

IMPORT_TASK = "claims.import_claims"  # claims.tasks.import_claims

COLUMNS = (
    "admin_claim_number",
    "employer_code",
    "employee_number",
    "patient",
    "date_of_service",
    "provider",
    "billed",
    "allowed",
    "received_on",
    "service_category",
)
REQUIRED = tuple(c for c in COLUMNS if c not in ("patient", "received_on", "service_category"))
COLUMN_DOCS = (
    ("admin_claim_number", True, "The administrator's claim number; it identifies the claim."),
    ("employer_code", True, "The policyholder's employer, e.g. MCOE."),
    ("employee_number", True, "The policyholder's employee number at that employer."),
    ("patient", False, "Blank: the employee. Else the dependent's id or first name."),
    ("date_of_service", True, "YYYY-MM-DD or MM/DD/YYYY."),
    ("provider", True, "Who is paid."),
    ("billed", True, "Dollars and cents, e.g. 150.00."),
    ("allowed", True, "Dollars and cents allowed by the administrator (only this counts)."),
    ("received_on", False, "The date received, like date_of_service. Blank: today."),
    (
        "service_category",
        False,
        "The kind of care: preventive, office, hospital, pharmacy or other. Blank: not given.",
    ),
)
EXAMPLE_ROWS = (
    (
        "MC-1984-0001",
        "MCOE",
        "1001",
        "",
        "1984-10-15",
        "Ukiah Valley Medical Center",
        "150.00",
        "120.00",
        "1984-10-22",
        "hospital",
    ),
    (
        "MC-1984-0002",
        "MCOE",
        "1001",
        "Sofia",
        "10/22/1984",
        "Dr. Helen Ames",
        "65.00",
        "65.00",
        "",
        "preventive",
    ),
)
MAX_ROWS = 50_000
CHUNK = 1000
JOB_KIND = "claims_import"


@dataclass
class ImportResult:
    """What the check of a file found; ``job`` is the import queued (None when refused)."""

    rows: int = 0
    new: int = 0
    skipped: int = 0  # already entered with identical data
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"row", "field", "message"}
    job: Job | None = None
    # The checked rows to enter: [row, number, employee id, patient id, date, provider,
    # billed, allowed, date received or None, service category or ""] (JSON-ready: the job's parameters carry
    # them to the task).
    ready: list[list[Any]] = field(default_factory=list)


def template_csv() -> str:
    return csv_text(COLUMNS, EXAMPLE_ROWS)


def _read(file: Any) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The rows (with their spreadsheet row number) and any problem of the file itself."""
    file.seek(0)
    reader: Iterator[list[str]] = csv.reader(codecs.iterdecode(file, "utf-8-sig"))
    try:
        header = next(reader, None)
        if header is None:
            return [], [{"row": 1, "field": "", "message": "The file is empty."}]
        names = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            return [], [
                {
                    "row": 1,
                    "field": "",
                    "message": f"Missing column(s): {', '.join(missing)}. "
                    "Download the template for the column names.",
                }
            ]
        rows: list[dict[str, str]] = []
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                return [], [
                    {
                        "row": number,
                        "field": "",
                        "message": f"More than {MAX_ROWS:,} rows: split the file.",
                    }
                ]
            row = {
                name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)
            }
            row["_row"] = str(number)
            rows.append(row)
    except UnicodeDecodeError:
        return [], [
            {
                "row": "",
                "field": "",
                "message": 'The file is not UTF-8 text: save it as "CSV UTF-8".',
            }
        ]
    except csv.Error as exc:
        return [], [{"row": "", "field": "", "message": f"The file is not a readable CSV: {exc}."}]
    if not rows:
        return [], [{"row": 2, "field": "", "message": "The file has no claims."}]
    return rows, []


def _money(value: str) -> Decimal:
    """A checked amount (``validate_amounts`` refused more than two decimals, R-PY2) as
    Decimal cents: the quantize only adds missing zeros, it never rounds."""
    return Decimal(value.replace(",", "").replace("$", "").strip()).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class _Known:
    """What the file's rows refer to, read once for the whole file."""

    employers: dict[str, int]  # code -> id
    employees: dict[tuple[int | None, str], Employee]  # (employer id, number) -> employee
    dependents: dict[int, list[Dependent]]  # employee id -> the family's dependents
    plan_years: dict[int, Decimal]  # start year -> carrier maximum
    existing: dict[str, Claim]  # claim number -> the first claim entered with it
    live: dict[str, Claim]  # claim number -> the latest claim with it not voided


def _known(rows: list[dict[str, str]]) -> _Known:
    """A handful of queries for the whole file."""
    employers = dict(
        Employer.objects.filter(code__in={r.get("employer_code", "") for r in rows}).values_list(
            "code", "pk"
        )
    )
    wanted = {
        (employers.get(r.get("employer_code", "")), r.get("employee_number", "")) for r in rows
    }
    employees: dict[tuple[int | None, str], Employee] = {
        (e.employer_id, e.number): e
        for e in Employee.objects.filter(
            employer_id__in={e for e, _ in wanted if e},
            number__in=_any(sorted({n for _, n in wanted}), "text"),
        )
    }
    dependents: dict[int, list[Dependent]] = defaultdict(list)
    # Arrays, not IN lists of thousands of parameters (parsed one by one by the server).
    family_ids = [employee.pk for employee in employees.values()]
    for dependent in Dependent.objects.filter(employee_id__in=_any(family_ids, "bigint")):
        dependents[dependent.employee_id].append(dependent)
    plan_years = {
        row["start_year"]: row["carrier_maximum"]
        for row in PlanYear.objects.values("start_year", "carrier_maximum")
    }
    numbers = [r.get("admin_claim_number", "") for r in rows]
    existing: dict[str, Claim] = {}
    live: dict[str, Claim] = {}
    for claim in (
        Claim.objects.filter(admin_claim_number__in=_any(sorted(set(numbers)), "text"))
        .select_related("patient")
        .order_by("id")
    ):
        existing.setdefault(claim.admin_claim_number, claim)
        if claim.status != Claim.Status.VOIDED:
            live[claim.admin_claim_number] = claim
    return _Known(employers, employees, dependents, plan_years, existing, live)


def _any(values: list[Any], sql_type: str) -> RawSQL:
    """``values`` as one array parameter, for ``__in`` (``IN (SELECT unnest(...))``)."""
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (values,))  # noqa: S611 - the type is ours


Problem = tuple[str, str]  # (field, message)


def _number_problem(
    claim_number: str, number: str, first_row: dict[str, str], unit: str = "row"
) -> Problem | None:
    """The claim number: required, at most 40 characters, once per file (``first_row``
    remembers the row (or segment: ``unit``) of each number seen)."""
    if not claim_number:
        return ("admin_claim_number", "Enter the claims administrator's claim number.")
    if len(claim_number) > 40:
        return ("admin_claim_number", "The claim number is limited to 40 characters.")
    if claim_number in first_row:
        return (
            "admin_claim_number",
            f"Claim number {claim_number} is also on {unit} {first_row[claim_number]}.",
        )
    first_row[claim_number] = number
    return None


def _employee_of(row: dict[str, str], known: _Known, errors: list[Problem]) -> Employee | None:
    employer_id = known.employers.get(row.get("employer_code", ""))
    employee = known.employees.get((employer_id, row.get("employee_number", "")))
    if employer_id is None:
        errors.append(("employer_code", f"Unknown employer {row.get('employer_code', '')!r}."))
    elif employee is None:
        errors.append(
            (
                "employee_number",
                f"Unknown employee {row.get('employee_number', '')!r} at {row['employer_code']}.",
            )
        )
    return employee


def _patient_of(
    row: dict[str, str], employee: Employee | None, known: _Known, errors: list[Problem]
) -> Dependent | None:
    """The dependent named in the ``patient`` column (an id or a first name), if any."""
    patient: Dependent | None = None
    patient_text = row.get("patient", "")
    if employee is None or not patient_text:
        return None
    family = known.dependents.get(employee.pk, [])
    patient_id = parse_id(patient_text)
    if patient_id is not None:
        patient = next((d for d in family if d.pk == patient_id), None)
    else:
        named = [d for d in family if d.first_name.lower() == patient_text.lower()]
        if len(named) > 1:
            errors.append(
                ("patient", f"Two dependents are named {patient_text}: give the dependent's id.")
            )
        patient = named[0] if len(named) == 1 else None
    if patient is None and not any(f == "patient" for f, _ in errors):
        errors.append(("patient", f"{patient_text} is not in the family of {employee.full_name}."))
    return patient


def _date_problem(
    day: date | None, employee: Employee | None, known: _Known, today: date
) -> Problem | None:
    if day is None:
        return ("date_of_service", "Enter the date of service as YYYY-MM-DD or MM/DD/YYYY.")
    if day > today:
        return ("date_of_service", "The date of service cannot be in the future.")
    if employee is not None and day < employee.hire_date:
        return (
            "date_of_service",
            f"The date of service is before {employee.full_name} was hired ({employee.hire_date.isoformat()}).",
        )
    if policy_year_of(day) not in known.plan_years:
        return (
            "date_of_service",
            f"The plan year {policy_year_label(policy_year_of(day))} is not set up.",
        )
    return None


def _provider_problem(provider: str) -> Problem | None:
    if not provider:
        return ("provider", "Enter the provider (who is paid).")
    if len(provider) > 200:
        return ("provider", "The provider's name is limited to 200 characters.")
    refused = name_character_error(provider, "provider's name")
    if refused:
        return ("provider", refused)
    return None


@dataclass
class _Row:
    """One row of the file, checked."""

    number: str  # the spreadsheet row
    claim_number: str
    employee: Employee | None
    patient: Dependent | None
    day: date | None
    provider: str
    errors: list[Problem]
    received_on: date | None = None
    service_category: str = ""

    def ready(self, row: dict[str, str]) -> list[Any]:
        """The row as ``ImportResult.ready`` carries it."""
        assert self.employee is not None and self.day is not None
        return [
            int(self.number),
            self.claim_number,
            self.employee.pk,
            self.patient.pk if self.patient else None,
            self.day.isoformat(),
            self.provider,
            str(_money(row["billed"])),
            str(_money(row["allowed"])),
            self.received_on.isoformat() if self.received_on else None,
            self.service_category,
        ]


def _check_row(
    row: dict[str, str], known: _Known, first_row: dict[str, str], today: date, unit: str
) -> _Row:
    errors: list[Problem] = []
    claim_number = " ".join(row.get("admin_claim_number", "").split())
    number_problem = _number_problem(claim_number, row["_row"], first_row, unit)
    if number_problem:
        errors.append(number_problem)
    employee = _employee_of(row, known, errors)
    patient = _patient_of(row, employee, known, errors)
    day = parse_date(row.get("date_of_service", ""))
    provider = " ".join(row.get("provider", "").split())
    for problem in (_date_problem(day, employee, known, today), _provider_problem(provider)):
        if problem:
            errors.append(problem)
    maximum = known.plan_years.get(policy_year_of(day)) if day else None
    amount_errors = validate_amounts(
        row.get("billed", ""), row.get("allowed", ""), maximum or Decimal("1000000.00")
    )
    errors += list(amount_errors.items())
    received_on, received_problem = _received_of(row.get("received_on", ""), day, today)
    if received_problem:
        errors.append(received_problem)
    category, category_problem = parse_service_category(row.get("service_category", ""))
    if category_problem:
        errors.append(("service_category", category_problem))
    return _Row(
        row["_row"], claim_number, employee, patient, day, provider, errors, received_on, category
    )


def _received_of(text: str, day: date | None, today: date) -> tuple[date | None, Problem | None]:
    """The row's date received (blank: None, the day of the import) or its problem."""
    if not text:
        return None, None
    received = parse_date(text)
    if received is None:
        return None, ("received_on", "Enter the date received as YYYY-MM-DD or MM/DD/YYYY.")
    problem = services.received_error(received, day, today)
    return received, ("received_on", problem) if problem else None


def _entered_problem(checked: _Row, claim: Claim, row: dict[str, str]) -> Problem | None:
    """A row whose claim number was entered already: None when with identical data (the
    row is skipped), else the problem."""
    different = _differences(claim, checked.employee, checked.day, checked.provider, row)
    if not different:
        return None
    return (
        "admin_claim_number",
        f"Claim number {checked.claim_number} was already entered as claim {claim.pk} "
        f"with a different {', '.join(different)}; correct it on the claim page "
        "(void or adjust), not by importing it again.",
    )


def check_rows(
    rows: list[dict[str, str]],
    *,
    today: date | None = None,
    replaced: Mapping[str, int | None] | None = None,
    unit: str = "row",
) -> ImportResult:
    """Check every row (a handful of queries for the whole file); return the rows to enter
    as ``job`` parameters would carry them in ``ready`` and the problems in ``errors``.

    ``replaced``: claim numbers whose claim the same file reverses first (an 835's CLP02
    22), with the id of the claim the reversal voids (None: a claim earlier in the file):
    a row with such a number is the corrected claim, new, not a re-import. ``unit``
    names the rows in messages ("row", or "segment" for an 835)."""
    today = today or timezone.localdate()
    result = ImportResult(rows=len(rows))
    known = _known(rows)
    first_row: dict[str, str] = {}
    ready: list[list[Any]] = []
    for row in rows:
        checked = _check_row(row, known, first_row, today, unit)
        entered = _entered_before(checked, known, replaced or {})
        if not checked.errors and entered is not None:
            problem = _entered_problem(checked, entered, row)
            if problem is None:
                result.skipped += 1
                continue
            checked.errors.append(problem)
        if checked.errors:
            result.errors += [
                {"row": int(checked.number), "field": f, "message": m} for f, m in checked.errors
            ]
            continue
        ready.append(checked.ready(row))
    result.new = len(ready)
    result.ready = ready
    return result


def _entered_before(
    checked: _Row, known: _Known, replaced: Mapping[str, int | None]
) -> Claim | None:
    """The claim a row's number was entered with before, to compare the row with; None
    for a new claim. A corrected claim (its number in ``replaced``) is compared with the
    live claim of its number unless that is the one the file reverses."""
    number = checked.claim_number
    if number not in replaced:
        return known.existing.get(number)
    live = known.live.get(number)
    if live is None or live.pk == replaced[number]:
        return None
    return live


def _differences(
    claim: Claim, employee: Employee | None, day: date | None, provider: str, row: dict[str, str]
) -> list[str]:
    different = []
    family_ok = employee is not None and (
        claim.employee_id == employee.pk
        or (claim.patient is not None and claim.patient.spouse_employee_id == employee.pk)
    )
    if not family_ok:
        different.append("employee")
    if claim.date_of_service != day:
        different.append("date of service")
    if claim.provider.lower() != provider.lower():
        different.append("provider")
    if claim.billed != _money(row["billed"]):
        different.append("billed amount")
    if claim.allowed != _money(row["allowed"]):
        different.append("allowed amount")
    return different


def import_file(*, file: Any, user: Any = None, today: date | None = None) -> ImportResult:
    """Check the file; when every row is good, queue its import as a background job."""
    rows, problems = _read(file)
    if problems:
        return ImportResult(rows=len(rows), errors=problems)
    result = check_rows(rows, today=today)
    if result.errors:
        result.errors.sort(key=lambda e: e["row"] if isinstance(e["row"], int) else 0)
        return result
    if not result.ready:  # every claim of the file was entered already
        return result
    name = str(getattr(file, "name", "") or "claims.csv").rsplit("/", 1)[-1][:100]
    with transaction.atomic():
        job = job_create(
            kind=JOB_KIND,
            title=f"Import of {name}",
            user=user,
            parameters={"rows": result.ready, "skipped": result.skipped, "file": name},
        )
        enqueue_on_commit(IMPORT_TASK, str(job.pk))
    result.job = job
    return result


def process_import(job_id: Any) -> None:
    """Enter the rows of an import job, chunk by chunk (the task's one service call)."""
    job = Job.objects.get(pk=job_id)
    if job.finished:
        return
    rows = job.parameters.get("rows", [])
    skipped_before = int(job.parameters.get("skipped", 0))
    user = job.created_by
    job_start(job_id=job.pk, total=len(rows), message="Entering the claims")
    entered = skipped = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        try:
            with transaction.atomic():
                new, again = enter_rows(chunk, user)
        except ValidationError as exc:
            job_fail(
                job_id=job.pk,
                message=f"Stopped: {exc.args[0] if isinstance(exc.args[0], str) else '; '.join(exc.messages)} "
                f"{start} rows were entered before this chunk of {len(chunk)}. Import the file "
                "again once fixed: rows already entered are skipped.",
            )
            return
        entered, skipped = entered + new, skipped + again
        job_advance(
            job_id=job.pk, by=len(chunk), message=f"{start + len(chunk)} of {len(rows)} rows"
        )
    job_succeed(
        job_id=job.pk,
        message=f"{entered} claims entered; {skipped + skipped_before} already entered (skipped).",
    )


def enter_rows(
    rows: list[list[Any]],
    user: Any,
    *,
    source: str = Claim.Source.IMPORT,
    corrections: frozenset[str] = frozenset(),
    unit: str = "Row",
) -> tuple[int, int]:
    """Enter checked rows in their order, set-based (``services.claims_enter_many``: what
    ``claim_enter`` does for each); a row whose claim number was entered meanwhile with
    the same data is skipped, with other data refused. A number in ``corrections`` (its
    claim voided by the same file) is compared only with a live claim of that number.
    ``unit`` names a row in messages ("Segment" for an 835). Returns (entered, skipped)."""
    latest: dict[str, Claim] = {}
    live: dict[str, Claim] = {}
    for claim in _claims_numbered({row[1] for row in rows}):
        latest[claim.admin_claim_number] = claim
        if claim.status != Claim.Status.VOIDED:
            live[claim.admin_claim_number] = claim
    todo: list[list[Any]] = []
    for row in rows:
        existing = (live if row[1] in corrections else latest).get(row[1])
        if existing is None:
            todo.append(row)
            continue
        employee = Employee.objects.get(pk=row[2])
        raw = {"billed": row[6], "allowed": row[7]}
        if _differences(existing, employee, date.fromisoformat(row[4]), row[5], raw):
            raise ValidationError(
                f"{unit} {row[0]}: claim number {row[1]} was entered meanwhile as claim "
                f"{existing.pk} with different data."
            )
    try:
        services.claims_enter_many(
            claims=[_batch_claim(row) for row in todo], entered_by=user, source=source
        )
    except services.BatchClaimError as exc:
        raise ValidationError(f"{unit} {todo[exc.index][0]}: {'; '.join(exc.messages)}") from exc
    return len(todo), len(rows) - len(todo)


_NUMBERED_SQL = "SELECT id FROM claims_claim WHERE admin_claim_number = ANY(%(numbers)b::text[])"


def _claims_numbered(numbers: set[str]) -> list[Claim]:
    """The claims with any of these numbers, in id order, with their patients: their ids
    first, one array of a chunk's numbers (the ORM's ``__in`` sends each number as a
    parameter of its own, thousands of them for a chunk, and it rarely finds any)."""
    ids = [row[0] for row in prepared_rows(_NUMBERED_SQL, {"numbers": list(numbers)})]
    if not ids:
        return []
    return list(Claim.objects.filter(pk__in=ids).select_related("patient").order_by("id"))


def _batch_claim(row: list[Any]) -> services.BatchClaim:
    _number, claim_number, employee_id, patient_id, day, provider, billed, allowed = row[:8]
    received = row[8] if len(row) > 8 else None  # jobs queued before the column existed
    category = row[9] if len(row) > 9 else ""  # likewise
    return services.BatchClaim(
        employee=employee_id,
        patient=patient_id,
        date_of_service=date.fromisoformat(day),
        provider=provider,
        admin_claim_number=claim_number,
        billed=billed,
        allowed=allowed,
        received_on=date.fromisoformat(received) if received else None,
        service_category=category,
    )

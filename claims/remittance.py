"""The claims administrator's X12 835 remittance advice (005010X221A1), imported as claims
through the same checks and services as its CSV file (``claims.importer``).

An upload (:func:`remittance_upload`) keeps the file and queues a background job with a
progress bar (:func:`process_remittance`), which

1. validates the whole interchange against the implementation guide (pyx12,
   ``staywell.x12``): any problem refuses the file, each named by its segment (position
   in the file, the ISA counting 1) and element, e.g. "segment 14, CLP03";
2. maps each claim payment (CLP loop) to a claim (below) and checks them all like rows
   of the CSV file (``claims.importer.check_rows``: the family, dates, amounts, plan
   years, claim numbers, duplicates), again naming the segment and element of each
   problem; any problem refuses the file, nothing is entered;
3. enters the claims and applies the reversals in the file's order, through
   ``claims.services`` (the family's split in order, R-CL3, R-CL5).

The mapping of a claim payment (loop 2100 and its service lines, loop 2110):

==================  ==========================================================================
claim               835
==================  ==========================================================================
claim number        CLP07, the administrator's claim control number (identifies the claim)
policyholder        the subscriber: NM1*IL's member id (NM109) when the patient is not the
                    subscriber, else NM1*QC's; a member id is the employer's code, a hyphen
                    and the employee's number (``MCOE-1001``), as the plan's 834 sends it
patient             NM1*QC: the subscriber's member id is the employee; ``<member id>-D<n>``
                    is the dependent with id n (as the 834 sends them); otherwise the
                    family's dependent with NM104's first name
date of service     DTM*232 (claim statement period start), else the earliest service
                    line date (DTM*472 or DTM*150)
provider            the payee of the transaction set (N1*PE, N102): who is paid
billed              CLP03, the total claim charge
allowed             AMT*AU (the coverage amount) when given; else CLP03 less the claim's
                    and its service lines' CAS adjustments of groups CO, OA and PI: what the
                    administrator allowed, the patient's responsibility (PR) included,
                    whoever pays it (R-CL2: the plan splits the allowed amount itself)
date received       DTM*050 (claim received date); without it, the day of the import
==================  ==========================================================================

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: claim status (CLP02) 1, 2, 3, 19, 20, 21 (processed) becomes a claim; 22 (a
  reversal of a previous payment) voids the claim of its number (CLP07), as a clerk's
  void (R-CL5); 4 (denied) and a claim with nothing allowed are not entered (the
  administrator allowed nothing: there is nothing to split); 23 and other statuses are
  not payments and are skipped. The counts are shown with the import.
- Decision: a corrected claim after a reversal (the same CLP07) is a new claim; the
  claim number appears at most once as a claim in a file.
- Decision: idempotent twice over. The interchange (sender ISA06 and control number
  ISA13) is imported once: the same interchange again is refused with the date it was
  imported (a refused one may be sent again, corrected). And a claim already entered
  with the same data (by the CSV, the API or another 835) is skipped, a reversal of a
  claim already voided too; a claim number entered with other data is a problem of the
  file (a correction is a reversal and a new claim, or a void or adjustment by a clerk).
- Decision: the file must come from the claims administrator to the plan (ISA06 and
  ISA08 as set by the administrator on Administration, Trading partners); an 834 or
  another transaction is refused.
- Decision: like the CSV import, claims are entered in chunks (5,000 claim payments),
  each in its own transaction and set-based (``claims.services.claims_enter_many``:
  what ``claim_enter`` does for each, in the file's order; a reversal is a void between
  two runs of claims), so that a large file never holds the families' locks for long;
  the checks before refuse a file with any problem, so a stop between chunks only
  happens when something changed meanwhile (e.g. a month was closed). The import is
  then "stopped": importing the same interchange again resumes it (what was entered is
  skipped).
- Decision: a large file's claims are entered in streams at the same time
  (:func:`entry_streams`, ``CLAIMS_REMITTANCE_STREAMS``), each the claims and reversals
  of independent employers in the file's order, with a thread and a database connection
  of its own. A family's claims are all in one stream, in the file's order, so every
  split is the one of the file's order (R-CL3); only the order of claims of different
  employers changes (their ids interleave), which no split depends on. A refusal stops
  every stream after its chunk under way.
"""

from __future__ import annotations

import contextvars
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from accounts.exchange import missing_settings, trading_partners
from accounts.models import Employee
from claims import importer, services
from claims.models import Claim, Remittance
from staywell import x12
from staywell.jobs import job_advance, job_create, job_fail, job_start, job_succeed
from staywell.models import Job
from staywell.tasks import enqueue_on_commit

JOB_KIND = "claims_835"
TASK = "claims.import_remittance"  # claims.tasks.import_remittance
MAX_BYTES = 64 * 1024 * 1024
CHUNK = 5000  # items a transaction
PROCESSED = frozenset({"1", "2", "3", "19", "20", "21"})
DENIED, REVERSAL = "4", "22"
LOWERS_ALLOWED = frozenset({"CO", "OA", "PI"})  # CAS groups; PR (the patient's) stays in
_DEPENDENT_ID = re.compile(r"^(?P<member>.+)-D(?P<id>\d+)$")
# What the import page shows (the module's table, in words).
MAPPING = (
    ("Claim number", "CLP07, the administrator's claim control number."),
    (
        "Policyholder",
        "The subscriber's member id (NM1*IL NM109, else NM1*QC NM109): the employer's code, "
        "a hyphen and the employee's number, e.g. MCOE-1001, as the plan's 834 sends it.",
    ),
    (
        "Patient",
        "NM1*QC: the subscriber's member id is the employee; <member id>-D<n> the dependent "
        "with id n; otherwise the dependent with NM104's first name.",
    ),
    ("Date of service", "DTM*232, else the earliest service line date (DTM*472)."),
    ("Provider (who is paid)", "The payee of the transaction set: N1*PE, N102."),
    ("Billed", "CLP03."),
    (
        "Allowed",
        "AMT*AU when given; else CLP03 less the CAS adjustments of groups CO, OA and PI "
        "(the patient's responsibility, PR, stays in).",
    ),
    ("Date received", "DTM*050; without it, the day of the import."),
    (
        "Status (CLP02)",
        "1, 2, 3, 19, 20, 21: a claim; 22: a reversal, which voids the claim of its number; "
        "4 (denied) and claims with nothing allowed are not entered.",
    ),
)


@dataclass(frozen=True)
class Where:
    """A place in the file: the segment's position (ISA = 1), its id, the element."""

    segment: int
    segment_id: str
    element: str = ""


@dataclass
class ClaimRead:
    """One claim payment (CLP loop) as read, before it is mapped."""

    clp: x12.Segment
    payee: x12.Segment | None
    patient: x12.Segment | None = None  # NM1*QC
    subscriber: x12.Segment | None = None  # NM1*IL
    dates: dict[str, x12.Segment] = field(default_factory=dict)  # 232, 233, 050
    line_dates: list[x12.Segment] = field(default_factory=list)  # DTM*472 / DTM*150
    covered: x12.Segment | None = None  # AMT*AU
    adjustments: Decimal = Decimal("0")  # CAS of groups CO, OA, PI (claim and lines)

    @property
    def status(self) -> str:
        return self.clp.get(2)

    @property
    def number(self) -> str:
        return self.clp.get(7)


class Reader:
    """Collects the claim payments from the segments pyx12 hands over, in order."""

    def __init__(self) -> None:
        self.claims: list[ClaimRead] = []
        self.payee: x12.Segment | None = None
        self.current: ClaimRead | None = None

    def __call__(self, segment: x12.Segment) -> None:
        if segment.id in ("ST", "LX", "SE", "PLB"):
            self.current = None
            if segment.id == "ST":
                self.payee = None
        elif segment.id == "N1" and segment.loop == "1000B" and segment.get(1) == "PE":
            self.payee = segment
        elif segment.id == "CLP":
            self.current = ClaimRead(segment, self.payee)
            self.claims.append(self.current)
        elif self.current is not None:
            self._in_claim(self.current, segment)

    @staticmethod
    def _in_claim(claim: ClaimRead, segment: x12.Segment) -> None:
        code = segment.get(1)
        if segment.id == "NM1" and code == "QC":
            claim.patient = segment
        elif segment.id == "NM1" and code == "IL":
            claim.subscriber = segment
        elif segment.id == "DTM" and segment.loop == "2100" and code in ("232", "233", "050"):
            claim.dates.setdefault(code, segment)
        elif segment.id == "DTM" and segment.loop == "2110" and code in ("472", "150"):
            claim.line_dates.append(segment)
        elif segment.id == "AMT" and segment.loop == "2100" and code == "AU":
            claim.covered = segment
        elif segment.id == "CAS" and code in LOWERS_ALLOWED:
            for index in range(3, 19, 3):
                claim.adjustments += _amount(segment.get(index)) or Decimal("0")


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _x12_date(segment: x12.Segment) -> date | None:
    """DTM02 (CCYYMMDD) as a date, None when it is not one (pyx12 names the problem)."""
    text = segment.get(2)
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# Mapping: claim payments to the CSV import's rows
# ---------------------------------------------------------------------------------------


@dataclass
class Checked:
    """What the check of a file found: its problems, or what to do in file order."""

    problems: list[x12.Problem] = field(default_factory=list)
    # ("claim", ready row of claims.importer, correction?) or ("void", CLP position, number)
    items: list[tuple[Any, ...]] = field(default_factory=list)
    claims: int = 0  # CLP loops read
    new: int = 0  # claims to enter
    voids: int = 0  # reversals to apply
    skipped: dict[str, int] = field(default_factory=dict)  # why -> how many
    segments: int = 0
    control_number: str = ""
    sender: str = ""


@dataclass
class _Mapped:
    rows: list[dict[str, str]] = field(default_factory=list)  # for check_rows
    places: dict[int, dict[str, Where]] = field(default_factory=dict)  # CLP -> field -> where
    reversals: list[ClaimRead] = field(default_factory=list)
    problems: list[x12.Problem] = field(default_factory=list)


def _problem(where: Where, message: str) -> x12.Problem:
    return x12.Problem(where.segment, where.segment_id, where.element, message)


def _members(reads: Sequence[ClaimRead]) -> dict[str, tuple[str, str]]:
    """Member id (``MCOE-1001``) -> (employer code, employee number), one query."""
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    wanted: set[str] = set()
    for read in reads:
        for segment in (read.subscriber, read.patient):
            if segment is not None and segment.get(9):
                match = _DEPENDENT_ID.match(segment.get(9))
                wanted.add(match.group("member") if match else segment.get(9))
    rows = (
        Employee.objects.annotate(member=Concat(F("employer__code"), Value("-"), F("number")))
        .filter(member__in=wanted)
        .values_list("member", "employer__code", "number")
    )
    return {member: (code, number) for member, code, number in rows}


def _family(
    read: ClaimRead, members: dict[str, tuple[str, str]], places: dict[str, Where]
) -> tuple[dict[str, str], x12.Problem | None]:
    """The row's employer_code, employee_number and patient (see the module's table)."""
    patient = read.patient
    assert patient is not None  # NM1*QC is mandatory: pyx12 checked it
    patient_id = patient.get(9)
    match = _DEPENDENT_ID.match(patient_id)
    holder = read.subscriber or patient
    member = holder.get(9) if read.subscriber else (match.group("member") if match else patient_id)
    places["employer_code"] = places["employee_number"] = Where(holder.position, "NM1", "NM109")
    places["patient"] = Where(patient.position, "NM1", "NM109" if patient_id else "NM104")
    found = members.get(member)
    if found is None:
        return {}, _problem(
            places["employee_number"],
            f"No employee has the member id {member or '(none)'}: a member id is the "
            "employer's code, a hyphen and the employee's number (e.g. MCOE-1001), as the "
            "plan's 834 sends it.",
        )
    if match and match.group("member") == member:
        who = match.group("id")
    elif patient_id == member:
        who = ""
    else:
        who = patient.get(4)
    return {"employer_code": found[0], "employee_number": found[1], "patient": who}, None


def _service_date(read: ClaimRead, places: dict[str, Where]) -> str:
    """DTM*232, else the earliest service line date; "" when none (a problem)."""
    candidates = [read.dates["232"]] if "232" in read.dates else read.line_dates
    dated = [(day, segment) for segment in candidates if (day := _x12_date(segment))]
    if not dated:
        places["date_of_service"] = Where(read.clp.position, "CLP")
        return ""
    day, segment = min(dated, key=lambda pair: pair[0])
    places["date_of_service"] = Where(segment.position, "DTM", "DTM02")
    return day.isoformat()


def _allowed(read: ClaimRead, places: dict[str, Where]) -> Decimal | None:
    """AMT*AU, else CLP03 less the CO, OA and PI adjustments (module table)."""
    if read.covered is not None:
        places["allowed"] = Where(read.covered.position, "AMT", "AMT02")
        return _amount(read.covered.get(2))
    places["allowed"] = Where(read.clp.position, "CLP", "CLP04")
    billed = _amount(read.clp.get(3))
    return None if billed is None else billed - read.adjustments


def _row(
    read: ClaimRead,
    members: dict[str, tuple[str, str]],
    mapped: _Mapped,
    allowed: Decimal | None,
    places: dict[str, Where],
) -> None:
    """The CSV import's row of a claim payment, with the place of each of its fields."""
    clp = read.clp
    places["admin_claim_number"] = Where(clp.position, "CLP", "CLP07")
    places["billed"] = Where(clp.position, "CLP", "CLP03")
    family, problem = _family(read, members, places)
    if problem is not None:
        mapped.problems.append(problem)
        return
    day = _service_date(read, places)
    if not day:
        mapped.problems.append(
            _problem(
                places["date_of_service"],
                f"Claim {read.number} has no date of service: neither a DTM*232 nor a "
                "service line date (DTM*472).",
            )
        )
        return
    received_on = ""
    received = read.dates.get("050")
    if received is not None:
        places["received_on"] = Where(received.position, "DTM", "DTM02")
        received_day = _x12_date(received)
        received_on = received_day.isoformat() if received_day else ""
    payee = read.payee
    if payee is not None:
        places["provider"] = Where(payee.position, "N1", "N102")
    mapped.rows.append(
        {
            "_row": str(clp.position),
            "admin_claim_number": read.number,
            **family,
            "date_of_service": day,
            "provider": payee.get(2) if payee is not None else "",
            "billed": clp.get(3),
            "allowed": f"{allowed:f}" if allowed is not None else "",
            "received_on": received_on,
        }
    )
    mapped.places[clp.position] = places


def _skip(checked: Checked, why: str) -> None:
    checked.skipped[why] = checked.skipped.get(why, 0) + 1


def _map(reads: Sequence[ClaimRead], checked: Checked) -> _Mapped:
    """Each claim payment to a row of the CSV import (processed), a reversal, or skipped."""
    members = _members([read for read in reads if read.status in PROCESSED])
    mapped = _Mapped()
    for read in reads:
        if read.status == REVERSAL:
            mapped.reversals.append(read)
            continue
        if read.status == DENIED:
            _skip(checked, "denied by the claims administrator (CLP02 4)")
            continue
        if read.status not in PROCESSED:
            _skip(checked, f"not a payment (CLP02 {read.status})")
            continue
        places: dict[str, Where] = {}
        allowed = _allowed(read, places)
        if allowed is not None and allowed <= 0:
            _skip(checked, "nothing allowed by the claims administrator")
            continue
        _row(read, members, mapped, allowed, places)
    return mapped


def _reversals(mapped: _Mapped, checked: Checked) -> dict[str, int | None]:
    """Each reversal's claim: the live claim of its number (voided by the file), a claim
    earlier in the file (None), or already voided (skipped); a number no claim has is a
    problem. Returns number -> the claim it voids (None: one of the file's)."""
    numbers = {read.number for read in mapped.reversals}
    claims = Claim.objects.filter(admin_claim_number__in=numbers).order_by("id")
    live = {c.admin_claim_number: c.pk for c in claims if c.status != Claim.Status.VOIDED}
    known = {c.admin_claim_number for c in claims}
    earlier = {row["admin_claim_number"]: int(row["_row"]) for row in mapped.rows}
    replaced: dict[str, int | None] = {}
    for read in mapped.reversals:
        number, where = read.number, Where(read.clp.position, "CLP", "CLP07")
        if number in replaced:
            mapped.problems.append(_problem(where, f"Claim {number} is reversed twice."))
        elif number in earlier and earlier[number] < read.clp.position:
            replaced[number] = None
        elif number in live:
            replaced[number] = live[number]
        elif number in known:
            _skip(checked, "reversals of claims already voided")
            continue
        else:
            mapped.problems.append(
                _problem(
                    where, f"Claim {number} is reversed (CLP02 22), but no claim has that number."
                )
            )
            continue
        checked.items.append(("void", read.clp.position, number))
    return replaced


def parties_problem(sender: str, receiver: str) -> x12.Problem | None:
    """An 835 comes from the claims administrator to the plan (Trading partners)."""
    partners = trading_partners()
    missing = missing_settings(partners, ("plan_id", "administrator_id"))
    if missing:
        return x12.Problem(1, "ISA", "", missing)
    if sender.upper() != partners.administrator_id.upper():
        return x12.Problem(
            1,
            "ISA",
            "ISA06",
            f"The sender {sender} is not the claims administrator ({partners.administrator_id}).",
        )
    if receiver.upper() != partners.plan_id.upper():
        return x12.Problem(
            1, "ISA", "ISA08", f"The receiver {receiver} is not the plan ({partners.plan_id})."
        )
    return None


def check_remittance(
    text: str, *, today: date | None = None, progress: Callable[[int], None] | None = None
) -> Checked:
    """Validate, map and check a whole 835 (module doc); nothing is written."""
    reader = Reader()
    result = x12.validate(text, on_segment=reader, progress=progress)
    checked = Checked(
        problems=list(result.problems),
        segments=result.segments,
        control_number=result.control_number,
        sender=result.sender,
        claims=len(reader.claims),
    )
    if not checked.problems and result.transaction != "835":
        checked.problems.append(
            x12.Problem(None, "ST", "ST01", f"This is an X12 {result.transaction}, not an 835.")
        )
    problem = parties_problem(result.sender, result.receiver) if not checked.problems else None
    if problem is not None:
        checked.problems.append(problem)
    if checked.problems:
        return checked
    mapped = _map(reader.claims, checked)
    replaced = _reversals(mapped, checked)
    result_rows = importer.check_rows(mapped.rows, today=today, replaced=replaced, unit="segment")
    for error in result_rows.errors:
        where = mapped.places.get(error["row"], {}).get(error["field"])
        where = where or Where(error["row"], "CLP")
        checked.problems.append(_problem(where, error["message"]))
    checked.problems += mapped.problems
    if result_rows.skipped:
        checked.skipped["entered before with the same data"] = result_rows.skipped
    if checked.problems:
        checked.problems.sort(key=lambda p: p.segment or 0)
        checked.items = []
        return checked
    checked.items += [("claim", row, row[1] in replaced) for row in result_rows.ready]
    checked.items.sort(key=lambda item: item[1][0] if item[0] == "claim" else item[1])
    checked.new = len(result_rows.ready)
    checked.voids = sum(1 for item in checked.items if item[0] == "void")
    return checked


# ---------------------------------------------------------------------------------------
# Upload and the background job
# ---------------------------------------------------------------------------------------


@dataclass
class Upload:
    """What an upload did: queued (``remittance``, ``job``), refused at once
    (``problems``), or found the interchange imported before (``duplicate``)."""

    remittance: Remittance | None = None
    job: Job | None = None
    problems: list[x12.Problem] = field(default_factory=list)
    duplicate: Remittance | None = None


def _text_of(file: Any) -> tuple[bytes, str | None, x12.Problem | None]:
    file.seek(0)
    raw = file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        return raw, None, x12.Problem(None, "", "", "The file is larger than 64 MB: split it.")
    try:
        return raw, raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return raw, None, x12.Problem(None, "", "", "The file is not text: an 835 is plain text.")


def remittance_upload(*, file: Any, user: Any = None) -> Upload:
    """Keep an 835 and queue its check and import (``process_remittance``); refused at
    once when it is no interchange, not from the claims administrator to the plan, or an
    interchange imported already (module Decisions)."""
    raw, text, problem = _text_of(file)
    envelope = x12.envelope(text) if text is not None else None
    if problem is None and envelope is None:
        problem = x12.Problem(
            None, "", "", "The file is not an X12 interchange: it must begin with an ISA segment."
        )
    if problem is None and envelope is not None:
        problem = parties_problem(envelope.sender, envelope.receiver)
    if problem is not None or envelope is None:
        return Upload(problems=[problem] if problem else [])
    name = str(getattr(file, "name", "") or "remittance.835").rsplit("/", 1)[-1][:100]
    try:
        with transaction.atomic():
            return _queue(raw, name, envelope, user)
    except IntegrityError:  # the same interchange uploaded at the same moment
        duplicate = Remittance.objects.filter(
            sender=envelope.sender, control_number=envelope.control_number
        ).exclude(status=Remittance.Status.REFUSED)
        return Upload(duplicate=duplicate.first())


def _queue(raw: bytes, name: str, envelope: x12.Envelope, user: Any) -> Upload:
    earlier = (
        Remittance.objects.select_for_update()
        .filter(sender=envelope.sender, control_number=envelope.control_number)
        .exclude(status=Remittance.Status.REFUSED)
        .first()
    )
    if earlier is not None and earlier.status != Remittance.Status.STOPPED:
        return Upload(duplicate=earlier)
    job = job_create(
        kind=JOB_KIND,
        title=f"Import of the 835 {name}",
        user=user if getattr(user, "is_authenticated", False) else None,
        parameters={"file": name, "control_number": envelope.control_number},
    )
    remittance = earlier or Remittance(
        sender=envelope.sender, control_number=envelope.control_number
    )
    remittance.status = Remittance.Status.CHECKING
    remittance.job = job
    remittance.file_name = name
    remittance.created_by = job.created_by
    remittance.file.save(f"{envelope.control_number}.835", ContentFile(raw), save=False)
    with transaction.atomic():
        remittance.save()
    enqueue_on_commit(TASK, str(job.pk))
    return Upload(remittance=remittance, job=job)


def _void(number: str, control_number: str, user: Any) -> bool:
    """A reversal: void the live claim of the number; False when none is left (resumed)."""
    claim = (
        Claim.objects.filter(admin_claim_number=number)
        .exclude(status=Claim.Status.VOIDED)
        .order_by("-id")
        .first()
    )
    if claim is None:
        return False
    services.claim_void(
        claim=claim,
        reason=f"Reversed by the claims administrator (835 {control_number}, CLP02 22)",
        voided_by=user,
    )
    return True


def entry_streams(items: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    """The items in streams that can be entered at the same time, each in the file's
    order: the claims and reversals of independent groups of employers
    (``services.independent_groups``), the largest groups first, each to the stream with
    the fewest items. At most ``CLAIMS_REMITTANCE_STREAMS`` streams, each of about
    ``CLAIMS_REMITTANCE_STREAM_ITEMS`` items or more; one stream (the whole file) for a
    smaller file, a single group, or a reversal whose claim's family spans two groups."""
    count = min(
        settings.CLAIMS_REMITTANCE_STREAMS,
        len(items) // max(1, settings.CLAIMS_REMITTANCE_STREAM_ITEMS),
    )
    if count < 2:
        return [items]

    def number(item: tuple[Any, ...]) -> str:
        return str(item[1][1] if item[0] == "claim" else item[2])

    # A number's families: its claim in the file's, and those of the claims of that number
    # a reversal voids (entered before; a correction may name another family).
    employees = {item[1][1]: {item[1][2]} for item in items if item[0] == "claim"}
    voided = [item[2] for item in items if item[0] == "void"]
    claims = Claim.objects.filter(admin_claim_number__in=voided)
    for claim_number, employee, holder in claims.values_list(
        "admin_claim_number", "employee_id", "family_year__employee_id"
    ):
        employees.setdefault(claim_number, set()).update({employee, holder} - {None})
    groups = services.independent_groups({e for ids in employees.values() for e in ids})
    group_of: dict[str, int | None] = {}
    for claim_number, ids in employees.items():
        found = {groups.get(e) for e in ids}
        group_of[claim_number] = found.pop() if len(found) == 1 else None
    sizes: dict[int | None, int] = {}
    for item in items:
        group = group_of.get(number(item))
        sizes[group] = sizes.get(group, 0) + 1
    if len(sizes) < 2 or None in sizes:
        return [items]
    stream_of: dict[int | None, int] = {}
    loads = [0] * count
    for group, size in sorted(sizes.items(), key=lambda pair: -pair[1]):
        stream_of[group] = loads.index(min(loads))
        loads[stream_of[group]] += size
    streams: list[list[tuple[Any, ...]]] = [[] for _ in range(count)]
    for item in items:
        streams[stream_of[group_of[number(item)]]].append(item)
    return [stream for stream in streams if stream]


def _enter(job: Job, remittance: Remittance, items: list[tuple[Any, ...]]) -> dict[str, int]:
    """The items entered in streams (``entry_streams``), at the same time, each in a
    thread with its own database connection; raises ValidationError naming the segment
    when one is refused (its chunk is rolled back, the other streams stop after their
    chunk under way)."""
    corrections = frozenset(item[1][1] for item in items if item[0] == "claim" and item[2])
    run = _Run(job, remittance, corrections, len(items))
    streams = entry_streams(items)
    if len(streams) == 1:
        return _enter_stream(run, items)
    with ThreadPoolExecutor(max_workers=len(streams)) as pool:
        futures = [
            pool.submit(contextvars.copy_context().run, _enter_in_thread, run, stream)
            for stream in streams
        ]
        answers = [future.result() for future in futures]  # the first failure raises
    return {key: sum(answer[key] for answer in answers) for key in answers[0]}


@dataclass
class _Run:
    """An import's entry, over all its streams: the job and its progress, the file, the
    numbers of the claims it voids and sends again; ``stopped`` once a stream is
    refused."""

    job: Job
    remittance: Remittance
    corrections: frozenset[str]
    total: int
    done: int = 0
    stopped: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def advance(self, by: int) -> None:
        with self.lock:
            self.done += by
            message = f"{self.done} of {self.total}"
        job_advance(job_id=self.job.pk, by=by, message=message)


def _enter_in_thread(run: _Run, items: list[tuple[Any, ...]]) -> dict[str, int]:
    """``_enter_stream`` on this thread's own connection, closed at the end."""
    try:
        return _enter_stream(run, items)
    except BaseException:
        run.stopped = True
        raise
    finally:
        connections.close_all()  # this thread's connections only


def _enter_stream(run: _Run, items: list[tuple[Any, ...]]) -> dict[str, int]:
    """The items in file order, chunk by chunk, each chunk one transaction: the claims
    between two reversals entered together (``importer.enter_rows``), each reversal a
    void; raises ValidationError naming the segment when one is refused (the chunk is
    rolled back). Stops before a chunk once another stream was refused."""
    user = run.job.created_by
    counts = {"entered": 0, "voided": 0, "again": 0}

    def flush(rows: list[list[Any]]) -> None:
        if rows:
            new, again = importer.enter_rows(
                rows,
                user,
                source=Claim.Source.REMITTANCE,
                corrections=run.corrections,
                unit="Segment",
            )
            counts["entered"] += new
            counts["again"] += again
            rows.clear()

    for start in range(0, len(items), CHUNK):
        if run.stopped:
            break
        chunk = items[start : start + CHUNK]
        with transaction.atomic():
            rows: list[list[Any]] = []
            for item in chunk:
                if item[0] == "claim":
                    rows.append(item[1])
                    continue
                flush(rows)
                try:
                    done = _void(item[2], run.remittance.control_number, user)
                except ValidationError as exc:
                    raise ValidationError(f"Segment {item[1]}: {'; '.join(exc.messages)}") from exc
                counts["voided" if done else "again"] += 1
            flush(rows)
        run.advance(len(chunk))
    return counts


def _summary(checked: Checked, counts: dict[str, int]) -> str:
    skipped = "; ".join(f"{n} {why}" for why, n in checked.skipped.items())
    return (
        f"{counts['entered']} claims entered, {counts['voided']} voided (reversals) of "
        f"{checked.claims} claim payments" + (f"; not entered: {skipped}" if skipped else "") + "."
    )


def process_remittance(job_id: Any) -> None:
    """The job of an upload (the task's one service call): check, then enter."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.finished:
        return
    remittance = Remittance.objects.get(job=job)
    with remittance.file.open("rb") as stored:
        text = stored.read().decode("utf-8-sig")
    job_start(
        job_id=job.pk,
        total=max(1, text.count(text.lstrip()[105:106] or "~")),
        message="Checking the file",
    )
    started = time.monotonic()
    checked = check_remittance(text, progress=lambda n: job_advance(job_id=job.pk, by=n))
    seconds = {"check": round(time.monotonic() - started, 1)}
    if checked.problems:
        _finish(remittance, Remittance.Status.REFUSED, checked)
        job_fail(
            job_id=job.pk,
            message=f"{len(checked.problems)} problem{'s' if len(checked.problems) != 1 else ''} "
            "found: the file was refused, nothing was entered.",
            errors=[p.as_dict() for p in checked.problems[:1000]],
        )
        return
    Remittance.objects.filter(pk=remittance.pk).update(
        status=Remittance.Status.ENTERING, claims=checked.claims
    )
    job_start(job_id=job.pk, total=max(1, len(checked.items)), message="Entering the claims")
    started = time.monotonic()
    try:
        counts = _enter(job, remittance, checked.items)
    except ValidationError as exc:
        _finish(remittance, Remittance.Status.STOPPED, checked)
        job_fail(
            job_id=job.pk,
            message=f"Stopped: {' '.join(exc.messages)} Import the file again once fixed: "
            "what was entered is skipped.",
        )
        return
    _finish(remittance, Remittance.Status.IMPORTED, checked, counts)
    seconds["entry"] = round(time.monotonic() - started, 1)
    # How long each step took, kept with the job (the benchmark prints them).
    Job.objects.filter(pk=job.pk).update(parameters={**job.parameters, "seconds": seconds})
    job_succeed(job_id=job.pk, message=_summary(checked, counts))


def _finish(
    remittance: Remittance, status: str, checked: Checked, counts: dict[str, int] | None = None
) -> None:
    counts = counts or {}
    Remittance.objects.filter(pk=remittance.pk).update(
        status=status,
        claims=checked.claims,
        entered=counts.get("entered", 0),
        voided=counts.get("voided", 0),
        skipped=sum(checked.skipped.values()) + counts.get("again", 0),
        finished_at=timezone.now(),
    )

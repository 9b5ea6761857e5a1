"""The only code that writes claims: enter (adjudicate and pay), void, adjust, attach,
payment runs. Money moves only through ``vesting.services`` (R-FU3).

How a claim is entered (:func:`claim_enter`), in one database transaction:

1. the input is checked (:func:`claim_validate`, every field at once) and the family's
   tier on the date of service read from the coverage timeline (R-CL4);
2. the family's :class:`~claims.models.FamilyYear` row is locked (``SELECT ... FOR
   UPDATE``): two clerks saving claims for one family at the same moment are processed
   one after the other, so the trust fund can never pay more than the deductible;
3. the duplicate guard runs under that lock; then ``claims.rules.split_claim`` splits
   the allowed amount with what the family's deductible has already absorbed (R-CL1,
   R-CL3);
4. the trust-fund share is paid through ``vesting.services.post_claim_payment`` (General
   Deductible Trust Fund to the provider's payee account), carrying the policyholder and
   the date of service (the vesting rollover reads both); the carrier's share is
   recorded as forwarded to the carrier (``forwarded_at``: the carrier pays from its own
   money, so nothing moves in the plan's ledger);
5. a run-out payment for a year that has ended goes through the R-CL6 hook
   (:func:`runout_hook`).

Decisions (the issue is silent; chosen as a plan administrator would):

- Decision: no separate "pay" step. A claim is adjudicated and paid in the same atomic
  call: the clerk enters what the administrator already allowed, and a claim sitting
  "entered but unpaid" would hold the family's deductible in an undefined state. The
  county's checks are cut later from payment runs (:func:`payment_run_create`).
- Decision: the family is the policyholder (R-CL1). After an R-EL11 marriage, a claim
  entered for the spouse whose own policy ended (the employee a
  :class:`~accounts.models.Dependent` record points to with ``spouse_employee``) goes to
  the retained policyholder's family from the day that dependent record starts, with
  that record as the patient.
- Decision: a dependent who was not on the policy on the date of service (before
  ``covered_from`` or after ``ended_on``) makes the claim denied, like a day without
  coverage (R-CL4); a patient who was never in the family is bad input (400).
- Decision: the duplicate guard warns on the same administrator's claim number (any
  claim, voided ones included: the number identifies the claim) or on the same family,
  provider (ignoring case and spacing), date of service and allowed amount (claims not
  voided: re-entering a voided claim is how it is corrected). A confirmed duplicate
  records ``duplicate_of``; without it the number is unique (a database constraint).
- Decision: a void or adjustment that lowers a claim's trust-fund share reverses the
  claim's live payments (``post_reversal``) and pays the new amount again
  (``post_claim_payment``); one that raises it pays the difference. So every ledger
  transaction of a claim is a claim payment or the reversal of one, each carrying the
  policyholder and the date of service.
- Decision: the claim's tier is the one adjudicated at entry; a later change of the
  coverage timeline does not re-adjudicate old claims (void and re-enter them).
- Decision: the plan year of the date of service must be set up (its deductible and the
  carrier's maximum are plan-year data); otherwise the date is refused with a message
  for the administrator.
- Decision: the R-CL6 hook is called only for payments made after the policy year ended
  (a year cannot be vested before it ends); a void or downward adjustment of a run-out
  claim does not give the vested amount back (left to the vesting side).
- Decision: the entry path is a handful of hand-written SQL statements (the family and
  its tier in one query, the lock with the next claim id, the duplicate check, then the
  claim, its ledger entry, its audit events and the family's new totals in one
  statement) around the ledger's ``post_claim_payment``: a clerk's save and every
  keystroke's preview must answer in milliseconds over a million claims, and the ORM's
  own cost was most of it. Voids and adjustments, which are rare, use the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Dependent, Employee, PlanYear
from accounts.rules import Tier, policy_year_end, policy_year_label, policy_year_of
from claims.models import (
    Claim,
    ClaimAdjustment,
    ClaimAttachment,
    ClaimEvent,
    ClaimLedgerEntry,
    FamilyYear,
    PaymentRun,
)
from claims.rules import (
    NO_COVERAGE_REASON,
    TRUST_FUNDED_TIERS,
    ClaimId,
    ClaimInput,
    ClaimSplit,
    resplit_family_year,
    split_adjustments,
    split_claim,
    validate_amounts,
)
from staywell.db import parse_id, prepared_rows
from staywell.money import CENT, ZERO
from vesting import services as ledger
from vesting.models import Account, FundKind, Transaction

__all__ = [
    "ClaimDraft",
    "ClaimPreview",
    "DuplicateClaimError",
    "DuplicateMatch",
    "FamilyDeductible",
    "claim_adjust",
    "claim_attachment_add",
    "claim_enter",
    "claim_preview",
    "claim_validate",
    "claim_void",
    "find_duplicates",
    "payment_run_create",
    "payment_run_mark_issued",
    "runout_hook",
]

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = (  # (first bytes, content type): PDF, PNG, JPEG only
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
NOT_ON_POLICY = "{name} was not on the policy on the date of service"


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyDeductible:
    """A family's deductible for one policy year (R-CL1): what it absorbed, what is left."""

    employee_id: int  # the policyholder
    policy_year: int  # R-PY1 start year
    deductible: Decimal  # the plan year's deductible, dollars
    absorbed: Decimal  # trust-fund payments + employee deductible amounts, dollars
    trust_fund_paid: Decimal  # dollars
    employee_paid: Decimal  # dollars
    carrier_paid: Decimal  # dollars
    claim_count: int  # claims not voided

    @property
    def remaining(self) -> Decimal:
        return max(ZERO, self.deductible - self.absorbed)

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    def after(self, split: ClaimSplit) -> FamilyDeductible:
        """The family's year once a claim with ``split`` is added."""
        return FamilyDeductible(
            self.employee_id,
            self.policy_year,
            self.deductible,
            self.absorbed + split.absorbed,
            self.trust_fund_paid + split.trust_fund,
            self.employee_paid + split.employee,
            self.carrier_paid + split.carrier,
            self.claim_count + 1,
        )


@dataclass(frozen=True)
class ClaimDraft:
    """A claim's input, checked: who, when, how much; the tier on the date of service."""

    policyholder: Employee  # the family (R-CL1)
    patient: Dependent | None  # None: the policyholder
    patient_name: str
    date_of_service: date
    policy_year: int  # R-PY1
    provider: str
    admin_claim_number: str
    billed: Decimal
    allowed: Decimal
    tier: Tier  # the family's tier on the date of service (R-CL4)
    deductible: Decimal  # the plan year's (R-CL1)
    denied_reason: str | None  # R-CL4: no coverage / the patient not on the policy

    @property
    def policy_year_label(self) -> str:
        return policy_year_label(self.policy_year)


@dataclass(frozen=True)
class DuplicateMatch:
    """An earlier claim that the new one looks like."""

    claim_id: int
    admin_claim_number: str
    status: str
    date_of_service: date
    allowed: Decimal
    reason: str  # "the same claim number" | "the same family, provider, date and amount"

    @property
    def message(self) -> str:
        return (
            f"Possible duplicate of claim {self.claim_id} (number {self.admin_claim_number}, "
            f"{self.status}, service on {self.date_of_service.isoformat()}, allowed "
            f"${self.allowed:,.2f}): {self.reason}. Confirm to save it anyway."
        )


class DuplicateClaimError(ValidationError):
    """The claim looks like an earlier one; the caller must confirm (``confirm_duplicate``)."""

    def __init__(self, matches: Sequence[DuplicateMatch]) -> None:
        super().__init__({"duplicate": [m.message for m in matches]}, code="duplicate")
        self.matches = list(matches)


@dataclass(frozen=True)
class ClaimPreview:
    """What saving the claim now would do, without saving it."""

    draft: ClaimDraft
    split: ClaimSplit
    family: FamilyDeductible  # before this claim
    duplicates: list[DuplicateMatch] = field(default_factory=list)

    @property
    def family_after(self) -> FamilyDeductible:
        return self.family if self.split.denied else self.family.after(self.split)


# ---------------------------------------------------------------------------------------
# Checking the input
# ---------------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return parse_id(value)


def parse_amount(value: Any) -> Decimal | None:
    """A typed amount ("$1,250.00") as Decimal, or None (as ``claims.rules`` reads it)."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _parsed(value: Any) -> Decimal:
    amount = parse_amount(value)
    assert amount is not None  # validate_amounts passed
    return amount.quantize(CENT)


def _covered(dependent: Dependent, day: date) -> bool:
    return (dependent.covered_from is None or dependent.covered_from <= day) and (
        dependent.ended_on is None or dependent.ended_on >= day
    )


def _dependent_name(dependent: Dependent) -> str:
    return f"{dependent.first_name} {dependent.last_name}"


_EMPLOYEE_FIELDS = ["id", "employer_id", "number", "first_name", "last_name", "hire_date"]
_DEPENDENT_FIELDS = [
    "id",
    "employee_id",
    "first_name",
    "last_name",
    "covered_from",
    "ended_on",
    "relationship",
    "spouse_employee_id",
]
# The chosen employee, the patient asked for, and any dependent record of the employee
# on a spouse's retained policy (R-EL11), with that record's policyholder: one query.
# With the date of service, also the employee's tier on that day and the plan year's
# numbers (used unless an R-EL11 spouse record moves the claim to another family).
_FAMILY_SQL = """
SELECT e.id, e.employer_id, e.number, e.first_name, e.last_name, e.hire_date,
       d.id, d.employee_id, d.first_name, d.last_name, d.covered_from, d.ended_on,
       d.relationship, d.spouse_employee_id,
       p.id, p.employer_id, p.number, p.first_name, p.last_name, p.hire_date,
       (SELECT s.tier FROM accounts_coveragesegment s
         WHERE s.employee_id = e.id AND s.start_date <= %(day)s
           AND (s.end_date IS NULL OR s.end_date >= %(day)s)
         ORDER BY s.start_date DESC LIMIT 1),
       y.deductible, y.carrier_maximum
  FROM accounts_employee e
  LEFT JOIN accounts_dependent d ON d.id = %(patient)s OR d.spouse_employee_id = e.id
  LEFT JOIN accounts_employee p ON p.id = d.employee_id
  LEFT JOIN accounts_planyear y ON y.start_year = %(year)s
 WHERE e.id = %(employee)s
"""
# The policyholder's tier on the day (R-CL4) and the plan year's numbers: one query.
_COVERAGE_SQL = """
SELECT (SELECT s.tier FROM accounts_coveragesegment s
         WHERE s.employee_id = %(employee)s AND s.start_date <= %(day)s
           AND (s.end_date IS NULL OR s.end_date >= %(day)s)
         ORDER BY s.start_date DESC LIMIT 1),
       y.deductible, y.carrier_maximum
  FROM (SELECT 1) AS one
  LEFT JOIN accounts_planyear y ON y.start_year = %(year)s
"""


def _instance(model: Any, fields: list[str], values: Sequence[Any]) -> Any:
    """A model instance from raw values (the other fields load lazily when read).
    ``Model.from_db`` wants the values in the model's field order: sorted here."""
    by_name = dict(zip(fields, values, strict=True))
    names = [f.attname for f in model._meta.concrete_fields if f.attname in by_name]
    return model.from_db(connection.alias, names, [by_name[name] for name in names])


def _family_rows(
    employee_id: int, patient_id: int | None, day: date | None
) -> list[tuple[Any, ...]]:
    return prepared_rows(
        _FAMILY_SQL,
        {
            "employee": employee_id,
            "patient": patient_id,
            "day": day,
            "year": policy_year_of(day) if day else None,
        },
    )


def claim_validate(
    *,
    employee: Employee | int | str | None,
    patient: Dependent | int | str | None = None,
    date_of_service: date | None,
    provider: str,
    admin_claim_number: str,
    billed: Decimal | str | None,
    allowed: Decimal | str | None,
    today: date | None = None,
) -> ClaimDraft:
    """Check a claim's input; raise ``ValidationError`` naming every bad field.

    Fields: ``employee`` (unknown), ``patient`` (not in the family), ``date_of_service``
    (missing, in the future, before the hire, plan year not set up), ``provider`` and
    ``admin_claim_number`` (required, length), ``billed`` / ``allowed`` (R-CL2:
    ``claims.rules.validate_amounts``, with the plan year's carrier maximum).

    Two queries (the clerk's screen previews on every keystroke): the family, then the
    tier on the date of service with the plan year.
    """
    errors: dict[str, str] = {}
    patient_id = patient.pk if isinstance(patient, Dependent) else _int(patient)
    if patient not in (None, "") and patient_id is None:
        errors["patient"] = f"Unknown patient {patient}."
    employee_id = employee.pk if isinstance(employee, Employee) else _int(employee)
    day = date_of_service
    rows = _family_rows(employee_id, patient_id, day) if employee_id is not None else []
    chosen: Employee | None = None
    dependents: list[tuple[Dependent, Employee]] = []
    if rows:
        chosen = (
            employee
            if isinstance(employee, Employee)
            else _instance(Employee, _EMPLOYEE_FIELDS, rows[0][:6])
        )
        for row in rows:
            if row[6] is not None:
                dependents.append(
                    (
                        _instance(Dependent, _DEPENDENT_FIELDS, row[6:14]),
                        _instance(Employee, _EMPLOYEE_FIELDS, row[14:20]),
                    )
                )
    else:
        errors["employee"] = (
            "Choose the employee (the policyholder)."
            if employee in (None, "")
            else f"Unknown employee {employee}."
        )
    if day is None:
        errors["date_of_service"] = "Enter the date of service, like 1984-10-15 or 10/15/1984."
    elif day > _today(today):
        errors["date_of_service"] = "The date of service cannot be in the future."
    elif chosen is not None and day < chosen.hire_date:
        errors["date_of_service"] = (
            f"The date of service is before {chosen.full_name} was hired "
            f"({chosen.hire_date.isoformat()})."
        )
    provider = _text(provider)
    if not provider:
        errors["provider"] = "Enter the provider (who is paid)."
    elif len(provider) > 200:
        errors["provider"] = "The provider's name is limited to 200 characters."
    number = _text(admin_claim_number)
    if not number:
        errors["admin_claim_number"] = "Enter the claims administrator's claim number."
    elif len(number) > 40:
        errors["admin_claim_number"] = "The claim number is limited to 40 characters."

    policyholder, chosen_patient, patient_name = chosen, None, ""
    if chosen is not None:
        if patient_id is not None:
            found = next(((d, p) for d, p in dependents if d.pk == patient_id), None)
            if found is None:
                errors["patient"] = f"Unknown patient {patient}."
            elif found[0].employee_id != chosen.pk:
                errors["patient"] = (
                    f"{_dependent_name(found[0])} is not in the family of "
                    f"{chosen.full_name}; choose the employee or one of their dependents."
                )
            else:
                chosen_patient = found[0]
                patient_name = _dependent_name(chosen_patient)
        elif day is not None:
            # R-EL11: the spouse whose own policy ended is a dependent on the retained one.
            spouse = next(
                (
                    (d, p)
                    for d, p in dependents
                    if d.spouse_employee_id == chosen.pk and _covered(d, day)
                ),
                None,
            )
            if spouse is not None:
                chosen_patient, policyholder = spouse
                patient_name = _dependent_name(chosen_patient)
        if not patient_name:
            patient_name = chosen.full_name

    tier_value, deductible, carrier_maximum = None, None, None
    if day is not None and "date_of_service" not in errors and policyholder is not None:
        year = policy_year_of(day)
        if policyholder is chosen:
            tier_value, deductible, carrier_maximum = rows[0][20:23]
        else:  # R-EL11: the tier of the retained policyholder's family
            tier_value, deductible, carrier_maximum = prepared_rows(
                _COVERAGE_SQL, {"employee": policyholder.pk, "day": day, "year": year}
            )[0]
        if deductible is None:
            errors["date_of_service"] = (
                f"The plan year {policy_year_label(year)} is not set up; an "
                "administrator must add it (deductible, carrier maximum) first."
            )
    amount_errors = validate_amounts(
        billed if billed is not None else "",
        allowed if allowed is not None else "",
        carrier_maximum if carrier_maximum is not None else Decimal("1000000.00"),
    )
    errors.update(amount_errors)
    if errors:
        raise ValidationError(errors)
    assert policyholder is not None and day is not None and deductible is not None
    tier = Tier(tier_value) if tier_value else Tier.NONE
    denied: str | None = None
    if tier is Tier.NONE:
        denied = NO_COVERAGE_REASON
    elif chosen_patient is not None and not _covered(chosen_patient, day):
        denied = NOT_ON_POLICY.format(name=patient_name)
    return ClaimDraft(
        policyholder=policyholder,
        patient=chosen_patient,
        patient_name=patient_name[:200],
        date_of_service=day,
        policy_year=policy_year_of(day),
        provider=provider,
        admin_claim_number=number,
        billed=_parsed(billed),
        allowed=_parsed(allowed),
        tier=tier,
        deductible=deductible,
        denied_reason=denied,
    )


def adjudicate(draft: ClaimDraft, absorbed: Decimal) -> ClaimSplit:
    """R-CL1/R-CL3/R-CL4: the split of a checked claim, given what the family absorbed."""
    if draft.denied_reason is not None:
        return ClaimSplit(ZERO, ZERO, ZERO, denied_reason=draft.denied_reason)
    return split_claim(
        allowed=draft.allowed,
        tier=draft.tier,
        absorbed=absorbed,
        deductible=draft.deductible,
        trust_funded_tiers=TRUST_FUNDED_TIERS,
    )


_DUPLICATES_SQL = """
SELECT id, admin_claim_number, status, date_of_service, allowed
  FROM claims_claim
 WHERE (admin_claim_number = %(number)s
        OR (employee_id = %(employee)s AND date_of_service = %(day)s AND allowed = %(allowed)s
            AND UPPER(provider) = UPPER(%(provider)s) AND status <> 'voided'))
   AND id <> %(exclude)s
 ORDER BY id
 LIMIT 5
"""


def find_duplicates(draft: ClaimDraft, *, exclude_id: int | None = None) -> list[DuplicateMatch]:
    """Earlier claims the draft looks like (module Decision), oldest first, at most five
    (one query on the claim-number and (employee, policy year) indexes)."""
    rows = prepared_rows(
        _DUPLICATES_SQL,
        {
            "number": draft.admin_claim_number,
            "employee": draft.policyholder.pk,
            "day": draft.date_of_service,
            "allowed": draft.allowed,
            "provider": draft.provider,
            "exclude": exclude_id or 0,
        },
    )
    labels = dict(Claim.Status.choices)
    return [
        DuplicateMatch(
            claim_id=claim_id,
            admin_claim_number=number,
            status=str(labels.get(status, status)).lower(),
            date_of_service=day,
            allowed=allowed,
            reason="the same claim number"
            if number == draft.admin_claim_number
            else "the same family, provider, date of service and allowed amount",
        )
        for claim_id, number, status, day, allowed in rows
    ]


_FAMILY_STATUS_SQL = """
SELECT y.deductible, f.absorbed, f.trust_fund_paid, f.employee_paid, f.carrier_paid,
       f.claim_count
  FROM (SELECT 1) AS one
  LEFT JOIN accounts_planyear y ON y.start_year = %(year)s
  LEFT JOIN claims_familyyear f ON f.employee_id = %(employee)s AND f.policy_year = %(year)s
"""


def family_status(employee_id: int, policy_year: int) -> FamilyDeductible:
    """R-CL1: the family's deductible for the year, read without a lock (one query). A
    family without claims has absorbed nothing; a plan year not set up shows the plan's
    default deductible."""
    deductible, absorbed, trust_fund, employee, carrier, count = prepared_rows(
        _FAMILY_STATUS_SQL, {"employee": employee_id, "year": policy_year}
    )[0]
    return FamilyDeductible(
        employee_id,
        policy_year,
        deductible if deductible is not None else Decimal("500.00"),
        absorbed if absorbed is not None else ZERO,
        trust_fund if trust_fund is not None else ZERO,
        employee if employee is not None else ZERO,
        carrier if carrier is not None else ZERO,
        count or 0,
    )


def claim_preview(*, today: date | None = None, **fields: Any) -> ClaimPreview:
    """The split a claim would get if saved now, with the family's deductible and any
    possible duplicates; nothing is written. Same arguments and errors as
    :func:`claim_validate`."""
    draft = claim_validate(today=today, **fields)
    family = family_status(draft.policyholder.pk, draft.policy_year)
    return ClaimPreview(draft, adjudicate(draft, family.absorbed), family, find_duplicates(draft))


# ---------------------------------------------------------------------------------------
# Entering a claim
# ---------------------------------------------------------------------------------------


_LOCK_SQL = """
SELECT id, absorbed, trust_fund_paid, employee_paid, carrier_paid, claim_count,
       nextval(pg_get_serial_sequence('claims_claim', 'id'))
  FROM claims_familyyear
 WHERE employee_id = %s AND policy_year = %s
   FOR UPDATE
"""
_FAMILY_FIELDS = [
    "id",
    "absorbed",
    "trust_fund_paid",
    "employee_paid",
    "carrier_paid",
    "claim_count",
]


def _lock_family_year(employee_id: int, policy_year: int) -> tuple[FamilyYear, int]:
    """The family's year, created if new, row-locked (``SELECT ... FOR UPDATE``) until the
    transaction ends: the lock that serializes claims of one family and year. Also the id
    the next claim will have (so that its payment can name it before it is inserted)."""
    rows = prepared_rows(_LOCK_SQL, [employee_id, policy_year])
    if not rows:
        prepared_rows(
            "INSERT INTO claims_familyyear (employee_id, policy_year, absorbed, "
            "trust_fund_paid, employee_paid, carrier_paid, claim_count, updated_at) "
            "VALUES (%s, %s, 0, 0, 0, 0, 0, now()) "
            "ON CONFLICT (employee_id, policy_year) DO NOTHING",
            [employee_id, policy_year],
        )
        rows = prepared_rows(_LOCK_SQL, [employee_id, policy_year])
    row = rows[0]
    family = _instance(FamilyYear, _FAMILY_FIELDS, row[:6])
    family.employee_id = employee_id
    family.policy_year = policy_year
    return family, int(row[6])


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def split_words(split: ClaimSplit) -> str:
    if split.denied:
        return f"denied: {split.denied_reason}"
    return (
        f"trust fund {_money(split.trust_fund)}, employee {_money(split.employee)}, "
        f"carrier {_money(split.carrier)}"
    )


def _event(claim: Claim, action: str, message: str, user: Any, at: Any = None) -> ClaimEvent:
    return ClaimEvent(
        claim=claim,
        action=action,
        message=message,
        user=user if getattr(user, "is_authenticated", False) else None,
        at=at or timezone.now(),
    )


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def claim_enter(
    *,
    employee: Employee | int | str | None,
    patient: Dependent | int | str | None = None,
    date_of_service: date | None,
    provider: str,
    admin_claim_number: str,
    billed: Decimal | str | None,
    allowed: Decimal | str | None,
    entered_by: Any = None,
    confirm_duplicate: bool = False,
    paid_on: date | None = None,
    source: str = Claim.Source.ENTRY,
    today: date | None = None,
) -> Claim:
    """Enter a claim: check it, split it under the family's lock, pay the trust fund's
    share and record the carrier's (module doc). Returns the saved claim (status paid or
    denied). Raises ``ValidationError`` (nothing written) for bad input and
    :class:`DuplicateClaimError` for a possible duplicate not confirmed.
    """
    draft = claim_validate(
        employee=employee,
        patient=patient,
        date_of_service=date_of_service,
        provider=provider,
        admin_claim_number=admin_claim_number,
        billed=billed,
        allowed=allowed,
        today=today,
    )
    family, claim_id = _lock_family_year(draft.policyholder.pk, draft.policy_year)
    matches = find_duplicates(draft)
    if matches and not confirm_duplicate:
        raise DuplicateClaimError(matches)
    split = adjudicate(draft, family.absorbed)
    user = _user(entered_by)
    now = timezone.now()
    claim = Claim(
        id=claim_id,
        employer_id=draft.policyholder.employer_id,
        employee=draft.policyholder,
        family_year=family,
        patient=draft.patient,
        patient_name=draft.patient_name,
        date_of_service=draft.date_of_service,
        policy_year=draft.policy_year,
        provider=draft.provider,
        admin_claim_number=draft.admin_claim_number,
        billed=draft.billed,
        allowed=draft.allowed,
        status=Claim.Status.DENIED if split.denied else Claim.Status.PAID,
        denied_reason=split.denied_reason or "",
        tier=draft.tier.value,
        trust_fund_amount=split.trust_fund,
        employee_amount=split.employee,
        carrier_amount=split.carrier,
        forwarded_at=now if split.carrier > ZERO else None,
        duplicate_of_id=matches[0].claim_id if matches else None,
        source=source,
        entered_by=user,
        entered_at=now,
    )
    events: list[tuple[str, str]] = [
        (
            ClaimEvent.Action.ENTERED,
            f"Entered ({claim.get_source_display().lower()}) for {draft.patient_name}, service "
            f"on {draft.date_of_service.isoformat()}, billed {_money(draft.billed)}, allowed "
            f"{_money(draft.allowed)}"
            + (
                f"; confirmed as not a duplicate of claim {claim.duplicate_of_id}"
                if matches
                else ""
            )
            + ".",
        )
    ]
    payment: tuple[Transaction, Account] | None = None
    if split.denied:
        events.append((ClaimEvent.Action.DENIED, split.denied_reason or ""))
    else:
        if split.trust_fund > ZERO:
            claim.paid_on = paid_on or timezone.localdate()
            payment = _post_payment(
                claim, split.trust_fund, claim.paid_on, user, key=f"claim:{claim_id}:pay"
            )
            claim.payment_transaction = payment[0]
        events.append(
            (
                ClaimEvent.Action.PAID,
                f"Split ({draft.tier.label} tier, {draft.policy_year_label}): "
                f"{split_words(split)}.",
            )
        )
        if split.carrier > ZERO:
            events.append(
                (
                    ClaimEvent.Action.FORWARDED,
                    f"{_money(split.carrier)} forwarded to the major-medical carrier.",
                )
            )
    if not _insert_claim(claim, family, split, events, payment, user, now):
        # A concurrent entry took the claim number (the payment is rolled back with this).
        raise DuplicateClaimError(find_duplicates(draft))
    claim._state.adding = False
    if payment is not None and claim.paid_on is not None:
        runout_hook(claim=claim, amount=split.trust_fund, paid_on=claim.paid_on, posted_by=user)
    return claim


# The claim, its payment entry, its events and the family's new totals: one statement.
_INSERT_CLAIM_SQL = """
WITH c AS (
    INSERT INTO claims_claim (
        id, employer_id, employee_id, family_year_id, patient_id, patient_name,
        date_of_service, policy_year, provider, admin_claim_number, billed, allowed, status,
        denied_reason, tier, trust_fund_amount, employee_amount, carrier_amount, forwarded_at,
        payment_transaction_id, duplicate_of_id, source, entered_by_id, entered_at, paid_on,
        void_reason, voided_by_id, voided_at
    )
    VALUES (%(id)s, %(employer)s, %(employee)s, %(family)s, %(patient)s, %(patient_name)s,
            %(day)s, %(year)s, %(provider)s, %(number)s, %(billed)s, %(allowed)s, %(status)s,
            %(denied)s, %(tier)s, %(trust_fund)s, %(employee_amount)s, %(carrier)s,
            %(forwarded)s, %(tx)s, %(duplicate_of)s, %(source)s, %(user)s, %(now)s,
            %(paid_on)s, '', NULL, NULL)
    ON CONFLICT (admin_claim_number) WHERE duplicate_of_id IS NULL DO NOTHING
    RETURNING id
), entry AS (
    INSERT INTO claims_claimledgerentry (
        claim_id, transaction_id, kind, amount, payee_id, adjustment_id, payment_run_id,
        created_at
    )
    SELECT c.id, %(tx)s, 'payment', %(trust_fund)s, %(payee)s, NULL, NULL, %(now)s
      FROM c WHERE %(tx)s::bigint IS NOT NULL
), events AS (
    INSERT INTO claims_claimevent (claim_id, action, message, user_id, at)
    SELECT c.id, x.action, x.message, %(user)s, %(now)s
      FROM c CROSS JOIN (VALUES {events}) AS x(ord, action, message)
     ORDER BY x.ord
), family AS (
    UPDATE claims_familyyear
       SET absorbed = absorbed + %(absorbed)s,
           trust_fund_paid = trust_fund_paid + %(trust_fund)s,
           employee_paid = employee_paid + %(employee_amount)s,
           carrier_paid = carrier_paid + %(carrier)s,
           claim_count = claim_count + 1,
           updated_at = %(now)s
     WHERE id = %(family)s AND EXISTS (SELECT 1 FROM c)
)
SELECT id FROM c
"""


def _insert_claim(
    claim: Claim,
    family: FamilyYear,
    split: ClaimSplit,
    events: list[tuple[str, str]],
    payment: tuple[Transaction, Account] | None,
    user: Any,
    now: Any,
) -> bool:
    """Write the claim with everything that goes with it; False when the claim number was
    taken meanwhile (the unique index: nothing written)."""
    params: dict[str, Any] = {
        "id": claim.pk,
        "employer": claim.employer_id,
        "employee": claim.employee_id,
        "family": family.pk,
        "patient": claim.patient_id,
        "patient_name": claim.patient_name,
        "day": claim.date_of_service,
        "year": claim.policy_year,
        "provider": claim.provider,
        "number": claim.admin_claim_number,
        "billed": claim.billed,
        "allowed": claim.allowed,
        "status": claim.status,
        "denied": claim.denied_reason,
        "tier": claim.tier,
        "trust_fund": split.trust_fund,
        "employee_amount": split.employee,
        "carrier": split.carrier,
        "forwarded": claim.forwarded_at,
        "tx": payment[0].pk if payment else None,
        "payee": payment[1].pk if payment else None,
        "duplicate_of": claim.duplicate_of_id,
        "source": claim.source,
        "user": user.pk if user is not None else None,
        "now": now,
        "paid_on": claim.paid_on,
        "absorbed": split.absorbed,
    }
    values = []
    for index, (action, message) in enumerate(events):
        values.append(f"({index}, %(action{index})s, %(message{index})s)")
        params[f"action{index}"] = str(action)
        params[f"message{index}"] = message
    return bool(prepared_rows(_INSERT_CLAIM_SQL.format(events=", ".join(values)), params))


def _payee(employer_id: int, name: str) -> Account:
    """The provider's payee account of the employer (one query; created on first use)."""
    rows = prepared_rows(
        "SELECT a.id, a.fund_id, a.name FROM vesting_account a "
        "JOIN vesting_fund f ON f.id = a.fund_id "
        "WHERE f.employer_id = %s AND f.kind = %s AND a.name = %s AND a.employee_id IS NULL "
        "LIMIT 1",
        [employer_id, FundKind.PAYEES.value, name],
    )
    if rows:
        account: Account = _instance(Account, ["id", "fund_id", "name"], rows[0])
        return account
    return ledger.payee_account_for(employer_id, name=name)


def _post_payment(
    claim: Claim, amount: Decimal, paid_on: date, user: Any, *, key: str
) -> tuple[Transaction, Account]:
    """Trust fund -> the provider's payee account, with the policyholder and service date
    (``vesting.services.post_claim_payment``)."""
    payee = _payee(claim.employer_id, claim.provider)
    tx = ledger.post_claim_payment(
        employer=claim.employer_id,
        amount=amount,
        effective_date=paid_on,
        payee=payee,
        employee=claim.employee,
        service_date=claim.date_of_service,
        reference=f"claim {claim.pk}",
        idempotency_key=key,
        posted_by=user,
        memo=_memo(claim, "Payment of"),
    )
    return tx, payee


def _memo(claim: Claim, what: str) -> str:
    return f"{what} claim {claim.pk} ({claim.admin_claim_number}), {claim.patient_name}"[:300]


def _pay(
    claim: Claim,
    amount: Decimal,
    paid_on: date,
    user: Any,
    *,
    key: str,
    adjustment: ClaimAdjustment | None = None,
) -> Transaction:
    """A payment of a claim already saved, with its ledger entry (adjustments)."""
    tx, payee = _post_payment(claim, amount, paid_on, user, key=key)
    ClaimLedgerEntry.objects.create(
        claim=claim,
        transaction=tx,
        kind=ClaimLedgerEntry.Kind.PAYMENT,
        amount=amount,
        payee=payee,
        adjustment=adjustment,
    )
    return tx


def runout_hook(
    *,
    claim: Claim,
    amount: Decimal,
    paid_on: date,
    posted_by: Any = None,
    reference: str = "",
) -> None:
    """R-CL6: a trust-fund payment for a policy year that has ended may be a run-out claim
    of a year already vested; then that year's vested amount is reduced.

    ``reference`` names the payment for the vesting side's audit, which applies each
    reference once: "claim 123" for the claim's first payment, and one of its own for
    each later increase (an adjustment or a re-split of the family's year).

    The reduction is the vesting side's business: ``vesting.services.runout_claim_paid``
    (issue 6) reduces the vested amount of the year when it was vested and does nothing
    otherwise. Until the vesting rollover provides it, this hook does nothing.
    """
    if paid_on <= policy_year_end(claim.policy_year):
        return  # the year has not ended: it cannot have been vested yet
    try:
        from vesting.services import runout_claim_paid
    except ImportError:  # the vesting rollover is not built yet
        return
    runout_claim_paid(
        employee=claim.employee,
        policy_year=claim.policy_year,
        amount=amount,
        paid_on=paid_on,
        reference=reference or f"claim {claim.pk}",
        posted_by=posted_by,
    )


# ---------------------------------------------------------------------------------------
# Voids and adjustments (R-CL5)
# ---------------------------------------------------------------------------------------


def _reason(reason: str | None, what: str) -> str:
    text = _text(reason)
    if not text:
        raise ValidationError({"reason": f"Give the reason for the {what}."})
    if len(text) > 250:
        raise ValidationError({"reason": "The reason is limited to 250 characters."})
    return text


def _lock_claim(claim: Claim | int) -> tuple[Claim, FamilyYear]:
    """The claim re-read under its family-year's lock."""
    claim_id = claim.pk if isinstance(claim, Claim) else _int(claim)
    family_year_id = (
        Claim.objects.filter(pk=claim_id).values_list("family_year_id", flat=True).first()
        if claim_id is not None
        else None
    )
    if claim_id is None or family_year_id is None:
        raise ValidationError({"claim": f"Unknown claim {claim_id}."})
    family = FamilyYear.objects.select_for_update().get(pk=family_year_id)
    row = Claim.objects.select_related("employee", "employer").get(pk=claim_id)
    return row, family


def _refuse_voided(claim: Claim, what: str) -> None:
    if claim.status == Claim.Status.VOIDED:
        when = claim.voided_at.date().isoformat() if claim.voided_at else "earlier"
        raise ValidationError(
            {
                "claim": f"Claim {claim.pk} was already voided on {when} ({claim.void_reason}); "
                f"a voided claim cannot be {what}."
            },
            code="already_voided",
        )


def _live_payments(claim: Claim) -> list[ClaimLedgerEntry]:
    """The claim's payment entries whose transaction is not reversed yet, oldest first."""
    payments = list(
        ClaimLedgerEntry.objects.filter(claim=claim, kind=ClaimLedgerEntry.Kind.PAYMENT)
        .select_related("transaction")
        .order_by("id")
    )
    reversed_ids = set(
        Transaction.objects.filter(
            reverses_id__in=[entry.transaction_id for entry in payments]
        ).values_list("reverses_id", flat=True)
    )
    return [entry for entry in payments if entry.transaction_id not in reversed_ids]


def _move_trust_fund(
    claim: Claim,
    *,
    old: Decimal,
    new: Decimal,
    adjustment: ClaimAdjustment,
    user: Any,
    on: date,
) -> None:
    """Bring the claim's trust-fund payments from ``old`` to ``new`` (module Decision)."""
    key = f"claim:{claim.pk}:adj:{adjustment.pk}"
    if new > old:
        _pay(claim, new - old, on, user, key=key, adjustment=adjustment)
        return
    if new == old:
        return
    for entry in _live_payments(claim):
        reversal = ledger.post_reversal(
            transaction=entry.transaction,
            reason=f"{adjustment.get_kind_display()} of claim {claim.pk}: {adjustment.reason}",
            posted_by=user,
            effective_date=on,
            idempotency_key=f"claim:{claim.pk}:rev:{entry.transaction_id}",
        )
        ClaimLedgerEntry.objects.create(
            claim=claim,
            transaction=reversal,
            kind=ClaimLedgerEntry.Kind.REVERSAL,
            amount=-entry.amount,
            payee_id=entry.payee_id,
            adjustment=adjustment,
        )
    if new > ZERO:
        _pay(claim, new, on, user, key=key, adjustment=adjustment)


def _resplit(
    family: FamilyYear,
    *,
    cause: Claim,
    reason: str,
    user: Any,
    on: date,
    allowed_override: dict[int, Decimal] | None = None,
) -> list[ClaimAdjustment]:
    """R-CL5: split the family's remaining claims of the year again, in their original
    order (entry order), as if the voided claim never existed or the adjusted amount had
    always been so; post an adjustment for every claim whose split changes."""
    overrides = allowed_override or {}
    deductible = (
        PlanYear.objects.filter(start_year=family.policy_year)
        .values_list("deductible", flat=True)
        .first()
    )
    if deductible is None:
        raise ValidationError(
            {"claim": f"The plan year {family.label} is not set up any more; ask an administrator."}
        )
    claims = list(
        Claim.objects.filter(family_year=family)
        .exclude(status__in=[Claim.Status.VOIDED, Claim.Status.DENIED])
        .select_related("employee")
        .order_by("id")
    )
    inputs = [ClaimInput(c.pk, overrides.get(c.pk, c.allowed), Tier(c.tier)) for c in claims]
    new_splits = resplit_family_year(inputs, deductible, trust_funded_tiers=TRUST_FUNDED_TIERS)
    old: dict[ClaimId, ClaimSplit] = {
        c.pk: ClaimSplit(c.trust_fund_amount, c.employee_amount, c.carrier_amount) for c in claims
    }
    new: dict[ClaimId, ClaimSplit] = dict(zip([c.pk for c in claims], new_splits, strict=True))
    by_id = {c.pk: c for c in claims}
    now = timezone.now()
    made: list[ClaimAdjustment] = []
    events: list[ClaimEvent] = []
    for delta in split_adjustments(old, new):
        claim = by_id[int(delta.claim_id)]
        after = new[claim.pk]
        is_cause = claim.pk == cause.pk
        adjustment = ClaimAdjustment.objects.create(
            claim=claim,
            kind=ClaimAdjustment.Kind.ADJUST if is_cause else ClaimAdjustment.Kind.RESPLIT,
            reason=reason[:300],
            cause=cause,
            allowed_before=claim.allowed,
            allowed_after=overrides.get(claim.pk, claim.allowed),
            trust_fund_delta=delta.trust_fund,
            employee_delta=delta.employee,
            carrier_delta=delta.carrier,
            created_by=user,
        )
        _move_trust_fund(
            claim,
            old=claim.trust_fund_amount,
            new=after.trust_fund,
            adjustment=adjustment,
            user=user,
            on=on,
        )
        Claim.objects.filter(pk=claim.pk).update(
            allowed=overrides.get(claim.pk, claim.allowed),
            trust_fund_amount=after.trust_fund,
            employee_amount=after.employee,
            carrier_amount=after.carrier,
            forwarded_at=claim.forwarded_at or (now if after.carrier > ZERO else None),
        )
        if not is_cause:
            events.append(
                _event(
                    claim,
                    ClaimEvent.Action.RESPLIT,
                    f"Split changed to {split_words(after)} ({_deltas(delta)}): {reason}",
                    user,
                    now,
                )
            )
        made.append(adjustment)
        if delta.trust_fund > ZERO:
            runout_hook(
                claim=claim,
                amount=delta.trust_fund,
                paid_on=on,
                posted_by=user,
                reference=f"claim {claim.pk} adjustment {adjustment.pk}",
            )
    ClaimEvent.objects.bulk_create(events)
    family.absorbed = sum((s.absorbed for s in new_splits), ZERO)
    family.trust_fund_paid = sum((s.trust_fund for s in new_splits), ZERO)
    family.employee_paid = sum((s.employee for s in new_splits), ZERO)
    family.carrier_paid = sum((s.carrier for s in new_splits), ZERO)
    family.claim_count = (
        Claim.objects.filter(family_year=family).exclude(status=Claim.Status.VOIDED).count()
    )
    family.save()
    return made


def _deltas(delta: Any) -> str:
    parts = []
    for name, value in (
        ("trust fund", delta.trust_fund),
        ("employee", delta.employee),
        ("carrier", delta.carrier),
    ):
        if value:
            parts.append(f"{name} {'+' if value > 0 else '-'}{_money(abs(value))}")
    return ", ".join(parts)


@transaction.atomic
def claim_void(
    *, claim: Claim | int, reason: str, voided_by: Any = None, effective_date: date | None = None
) -> Claim:
    """Void a claim (R-CL5): reverse its trust-fund payments, then re-split the family's
    other claims of the year in their original order, with adjustment entries for every
    claim whose split changes. Refused for a claim already voided."""
    reason = _reason(reason, "void")
    row, family = _lock_claim(claim)
    _refuse_voided(row, "voided again")
    user = _user(voided_by)
    on = effective_date or timezone.localdate()
    now = timezone.now()
    adjustment = ClaimAdjustment.objects.create(
        claim=row,
        kind=ClaimAdjustment.Kind.VOID,
        reason=reason,
        cause=row,
        allowed_before=row.allowed,
        allowed_after=ZERO,
        trust_fund_delta=-row.trust_fund_amount,
        employee_delta=-row.employee_amount,
        carrier_delta=-row.carrier_amount,
        created_by=user,
    )
    _move_trust_fund(
        row, old=row.trust_fund_amount, new=ZERO, adjustment=adjustment, user=user, on=on
    )
    before = ClaimSplit(row.trust_fund_amount, row.employee_amount, row.carrier_amount)
    was_denied = row.status == Claim.Status.DENIED
    Claim.objects.filter(pk=row.pk).update(
        status=Claim.Status.VOIDED,
        trust_fund_amount=ZERO,
        employee_amount=ZERO,
        carrier_amount=ZERO,
        void_reason=reason,
        voided_by=user,
        voided_at=now,
    )
    ClaimEvent.objects.create(
        claim=row,
        action=ClaimEvent.Action.VOIDED,
        message=f"Voided: {reason}."
        + ("" if was_denied else f" The split was {split_words(before)}; reversed."),
        user=user,
        at=now,
    )
    _resplit(
        family,
        cause=row,
        reason=f"re-split after the void of claim {row.pk} ({row.admin_claim_number}): {reason}",
        user=user,
        on=on,
    )
    row.refresh_from_db()
    return row


@transaction.atomic
def claim_adjust(
    *,
    claim: Claim | int,
    allowed: Decimal | str,
    reason: str,
    adjusted_by: Any = None,
    effective_date: date | None = None,
) -> Claim:
    """Change a claim's allowed amount (the administrator's correction) with a reason
    (R-CL5): the family's claims of the year are re-split in their original order with
    the new amount; every claim whose split changes gets an adjustment entry."""
    reason = _reason(reason, "adjustment")
    row, family = _lock_claim(claim)
    _refuse_voided(row, "adjusted")
    if row.status == Claim.Status.DENIED:
        raise ValidationError(
            {
                "claim": f"Claim {row.pk} was denied ({row.denied_reason}); void it and enter it "
                "again if it should be paid."
            }
        )
    carrier_maximum = (
        PlanYear.objects.filter(start_year=row.policy_year)
        .values_list("carrier_maximum", flat=True)
        .first()
    ) or Decimal("1000000.00")
    errors = validate_amounts(row.billed, allowed if allowed is not None else "", carrier_maximum)
    if errors:
        raise ValidationError({"allowed": errors.get("allowed") or errors.get("billed", "")})
    new_allowed = _parsed(allowed)
    if new_allowed == row.allowed:
        raise ValidationError({"allowed": f"The allowed amount is already {_money(row.allowed)}."})
    user = _user(adjusted_by)
    ClaimEvent.objects.create(
        claim=row,
        action=ClaimEvent.Action.ADJUSTED,
        message=f"Allowed amount changed from {_money(row.allowed)} to {_money(new_allowed)}: "
        f"{reason}.",
        user=user,
    )
    _resplit(
        family,
        cause=row,
        reason=reason,
        user=user,
        on=effective_date or timezone.localdate(),
        allowed_override={row.pk: new_allowed},
    )
    row.refresh_from_db()
    return row


# ---------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------


def attachment_type(head: bytes) -> str | None:
    """The content type from the file's first bytes (PDF, PNG, JPEG), else None."""
    for signature, content_type in ATTACHMENT_TYPES:
        if head.startswith(signature):
            return content_type
    return None


@transaction.atomic
def claim_attachment_add(*, claim: Claim, file: Any, uploaded_by: Any = None) -> ClaimAttachment:
    """Attach the administrator's explanation of benefits or the bill to a claim.

    Only PDF, PNG and JPEG (decided from the file's first bytes, not its name), up to
    10 MB."""
    if file is None:
        raise ValidationError({"file": "Choose a PDF, PNG or JPEG file."})
    size = getattr(file, "size", None) or 0
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": "The file is larger than 10 MB."})
    if size == 0:
        raise ValidationError({"file": "The file is empty."})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    content_type = attachment_type(head)
    if content_type is None:
        raise ValidationError(
            {"file": "Only PDF, PNG and JPEG files can be attached (this file is neither)."}
        )
    user = _user(uploaded_by)
    name = Path(str(getattr(file, "name", "") or "attachment")).name[:200]
    attachment = ClaimAttachment(
        claim=claim, content_type=content_type, original_name=name, size=size, uploaded_by=user
    )
    attachment.file.save(name, file, save=False)
    attachment.save()
    ClaimEvent.objects.create(
        claim=claim,
        action=ClaimEvent.Action.ATTACHMENT,
        message=f"Attached {name} ({content_type}, {size:,} bytes).",
        user=user,
    )
    return attachment


# ---------------------------------------------------------------------------------------
# Payment runs
# ---------------------------------------------------------------------------------------


@transaction.atomic
def payment_run_create(*, created_by: Any = None) -> PaymentRun:
    """Group the trust-fund claim payments not yet in a run into a payment run, one
    check per payee (per employer: each employer's trust fund pays its own claims).

    Decision: the unit of a run is a ledger movement of a claim (its payment, a later
    additional payment or a reversal), so an adjustment after a run is paid, or offset,
    in the next one. A payee whose movements net to zero is cleared in the run without a
    check; one whose movements net below zero (a recovery larger than what is owed) is
    carried forward to offset later payments. Runs are numbered 1, 2, 3 ... and created
    one at a time (an advisory lock), so no movement is ever in two runs.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('claims_payment_run'))")
    rows = list(
        ClaimLedgerEntry.objects.filter(payment_run__isnull=True)
        .select_for_update()
        .values_list("id", "payee_id", "amount", "claim_id")
    )
    net: dict[int, Decimal] = {}
    for _, payee_id, amount, _ in rows:
        net[payee_id] = net.get(payee_id, ZERO) + amount
    included = {payee for payee, total in net.items() if total >= ZERO}
    picked = [row for row in rows if row[1] in included]
    if not picked:
        raise ValidationError("No trust-fund claim payments are waiting for a payment run.")
    number = (PaymentRun.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    claim_ids = sorted({row[3] for row in picked})
    run = PaymentRun.objects.create(
        number=number,
        total=sum((net[p] for p in included), ZERO),
        check_count=sum(1 for p in included if net[p] > ZERO),
        claim_count=len(claim_ids),
        created_by=_user(created_by),
    )
    ids = [row[0] for row in picked]
    for start in range(0, len(ids), 10_000):
        ClaimLedgerEntry.objects.filter(pk__in=ids[start : start + 10_000]).update(payment_run=run)
    now = timezone.now()
    user = _user(created_by)
    ClaimEvent.objects.bulk_create(
        (
            ClaimEvent(
                claim_id=claim_id,
                action=ClaimEvent.Action.PAYMENT_RUN,
                message=f"In payment run {number}.",
                user=user,
                at=now,
            )
            for claim_id in claim_ids
        ),
        batch_size=5_000,
    )
    return run


@transaction.atomic
def payment_run_mark_issued(*, run: PaymentRun, issued_by: Any = None) -> PaymentRun:
    """The county has cut the run's checks."""
    run = PaymentRun.objects.select_for_update().get(pk=run.pk)
    if run.status == PaymentRun.Status.ISSUED:
        raise ValidationError(f"The checks of payment run {run.number} were already issued.")
    run.status = PaymentRun.Status.ISSUED
    run.issued_at = timezone.now()
    run.save(update_fields=["status", "issued_at"])
    return run

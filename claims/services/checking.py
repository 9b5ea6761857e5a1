"""Checking a claim's input (every field at once), its split before it is saved, the
duplicate guard and the family's deductible for the year: reads only, nothing written."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from psycopg.rows import dict_row

from accounts.models import Dependent, Employee
from accounts.rules import Tier, policy_year_label, policy_year_of
from claims.models import Claim
from claims.rules import (
    CARRIER_MAXIMUM,
    NO_COVERAGE_REASON,
    TRUST_FUNDED_TIERS,
    ClaimSplit,
    split_claim,
    validate_amounts,
)
from claims.services.values import (
    ClaimDraft,
    ClaimPreview,
    DuplicateMatch,
    FamilyDeductible,
)
from staywell.db import model_from_row, parse_id, prepared_rows
from staywell.money import CENT, ZERO
from staywell.names import name_character_error

NOT_ON_POLICY = "{name} was not on the policy on the date of service"


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def normalized_text(value: Any) -> str:
    return " ".join(str(value or "").split())


def parse_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return parse_id(value)


def acting_user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def parse_amount(value: Any) -> Decimal | None:
    """A typed amount ("$1,250.00") as Decimal, or None (as ``claims.rules`` reads it)."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        amount = Decimal(str(value).replace(",", "").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def amount_in_cents(value: Any) -> Decimal:
    amount = parse_amount(value)
    assert amount is not None  # validate_amounts passed
    return amount.quantize(CENT)


def _covered(dependent: Dependent, day: date) -> bool:
    return (dependent.covered_from is None or dependent.covered_from <= day) and (
        dependent.ended_on is None or dependent.ended_on >= day
    )


def _dependent_name(dependent: Dependent) -> str:
    return f"{dependent.first_name} {dependent.last_name}"


# The chosen employee (e_), the patient asked for, and any dependent record of the
# employee on a spouse's retained policy (R-EL11) (d_), with that record's policyholder
# (p_): one query. With the date of service, also the employee's tier on that day and the
# plan year's numbers (used unless an R-EL11 spouse record moves the claim to another
# family); with the day a claim is paid, whether that month is closed in each
# policyholder's employer's ledger (``vesting.ledger.month_is_closed``, asked of every
# claim entered). The two kinds of dependent record are a lateral UNION, not one join on
# ``d.id = patient OR d.spouse_employee_id = e.id``: with that OR the prepared statement's
# generic plan looked dear, and PostgreSQL planned it again for every claim
# (``staywell.db.prepared_rows``).
_FAMILY_SQL = """
SELECT e.id AS e_id, e.employer_id AS e_employer_id, e.number AS e_number,
       e.first_name AS e_first_name, e.last_name AS e_last_name, e.hire_date AS e_hire_date,
       d.id AS d_id, d.employee_id AS d_employee_id, d.first_name AS d_first_name,
       d.last_name AS d_last_name, d.covered_from AS d_covered_from,
       d.ended_on AS d_ended_on, d.relationship AS d_relationship,
       d.spouse_employee_id AS d_spouse_employee_id,
       p.id AS p_id, p.employer_id AS p_employer_id, p.number AS p_number,
       p.first_name AS p_first_name, p.last_name AS p_last_name, p.hire_date AS p_hire_date,
       (SELECT s.tier FROM accounts_coveragesegment s
         WHERE s.employee_id = e.id AND s.start_date <= %(day)s
           AND (s.end_date IS NULL OR s.end_date >= %(day)s)
         ORDER BY s.start_date DESC LIMIT 1) AS tier,
       y.deductible, y.carrier_maximum,
       EXISTS(SELECT 1 FROM vesting_monthclose m WHERE m.employer_id = e.employer_id
                 AND m.year = %(paid_year)s AND m.month = %(paid_month)s) AS e_month_closed,
       EXISTS(SELECT 1 FROM vesting_monthclose m WHERE m.employer_id = p.employer_id
                 AND m.year = %(paid_year)s AND m.month = %(paid_month)s) AS p_month_closed
  FROM accounts_employee e
  LEFT JOIN LATERAL (
        SELECT id, employee_id, first_name, last_name, covered_from, ended_on, relationship,
               spouse_employee_id
          FROM accounts_dependent WHERE id = %(patient)s
        UNION
        SELECT id, employee_id, first_name, last_name, covered_from, ended_on, relationship,
               spouse_employee_id
          FROM accounts_dependent WHERE spouse_employee_id = e.id
       ) d ON true
  LEFT JOIN accounts_employee p ON p.id = d.employee_id
  LEFT JOIN accounts_planyear y ON y.start_year = %(year)s
 WHERE e.id = %(employee)s
"""
# The policyholder's tier on the day (R-CL4) and the plan year's numbers: one query.
_COVERAGE_SQL = """
SELECT (SELECT s.tier FROM accounts_coveragesegment s
         WHERE s.employee_id = %(employee)s AND s.start_date <= %(day)s
           AND (s.end_date IS NULL OR s.end_date >= %(day)s)
         ORDER BY s.start_date DESC LIMIT 1) AS tier,
       y.deductible, y.carrier_maximum
  FROM (SELECT 1) AS one
  LEFT JOIN accounts_planyear y ON y.start_year = %(year)s
"""


def _family_rows(
    employee_id: int, patient_id: int | None, day: date | None, paid: date | None
) -> list[dict[str, Any]]:
    return prepared_rows(
        _FAMILY_SQL,
        {
            "employee": employee_id,
            "patient": patient_id,
            "day": day,
            "year": policy_year_of(day) if day else None,
            "paid_year": paid.year if paid else None,
            "paid_month": paid.month if paid else None,
        },
        row_factory=dict_row,
    )


@dataclass(frozen=True)
class _Coverage:
    """The policyholder's tier on the date of service and the plan year's numbers."""

    tier: str | None  # Tier value; None: no coverage segment on the day
    deductible: Decimal | None  # None: the plan year is not set up
    carrier_maximum: Decimal | None


@dataclass(frozen=True)
class _Patient:
    """Whose claim it is: the family (policyholder), the patient and the patient's name."""

    policyholder: Employee
    patient: Dependent | None  # None: the policyholder
    name: str
    error: str | None = None  # for the ``patient`` field


def _family_of(
    employee: Employee | int | str | None, rows: list[dict[str, Any]]
) -> tuple[Employee | None, list[tuple[Dependent, Employee]]]:
    """The chosen employee and the dependent records of the family query, each with its
    policyholder; (None, []) for an unknown employee."""
    if not rows:
        return None, []
    chosen = (
        employee
        if isinstance(employee, Employee)
        else model_from_row(Employee, rows[0], prefix="e_")
    )
    dependents = [
        (
            model_from_row(Dependent, row, prefix="d_"),
            model_from_row(Employee, row, prefix="p_"),
        )
        for row in rows
        if row["d_id"] is not None
    ]
    return chosen, dependents


def _employee_error(employee: Employee | int | str | None) -> str:
    if employee in (None, ""):
        return "Choose the employee (the policyholder)."
    return f"Unknown employee {employee}."


def _amount_errors(
    billed: Decimal | str | None, allowed: Decimal | str | None, coverage: _Coverage
) -> dict[str, str]:
    """R-CL2, with the plan year's carrier maximum (the plan's default when not known)."""
    return validate_amounts(
        billed if billed is not None else "",
        allowed if allowed is not None else "",
        coverage.carrier_maximum if coverage.carrier_maximum is not None else CARRIER_MAXIMUM,
    )


def _date_error(day: date | None, chosen: Employee | None, today: date | None) -> str | None:
    if day is None:
        return "Enter the date of service, like 1984-10-15 or 10/15/1984."
    if day > _today(today):
        return "The date of service cannot be in the future."
    if chosen is not None and day < chosen.hire_date:
        return (
            f"The date of service is before {chosen.full_name} was hired "
            f"({chosen.hire_date.isoformat()})."
        )
    return None


def _text_errors(provider: str, number: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not provider:
        errors["provider"] = "Enter the provider (who is paid)."
    elif len(provider) > 200:
        errors["provider"] = "The provider's name is limited to 200 characters."
    elif refused := name_character_error(provider, "provider's name"):
        errors["provider"] = refused
    if not number:
        errors["admin_claim_number"] = "Enter the claims administrator's claim number."
    elif len(number) > 40:
        errors["admin_claim_number"] = "The claim number is limited to 40 characters."
    return errors


def _patient_of(
    chosen: Employee,
    dependents: list[tuple[Dependent, Employee]],
    *,
    patient: Any,
    patient_id: int | None,
    day: date | None,
) -> _Patient:
    """The patient asked for (one of the family's dependents), or, with none asked for,
    the employee; R-EL11: the spouse whose own policy ended is a dependent on the retained
    policy, whose family the claim then goes to."""
    if patient_id is not None:
        found = next((d for d, _ in dependents if d.pk == patient_id), None)
        if found is None:
            return _Patient(chosen, None, chosen.full_name, f"Unknown patient {patient}.")
        if found.employee_id != chosen.pk:
            return _Patient(
                chosen,
                None,
                chosen.full_name,
                f"{_dependent_name(found)} is not in the family of "
                f"{chosen.full_name}; choose the employee or one of their dependents.",
            )
        return _Patient(chosen, found, _dependent_name(found))
    if day is not None:
        spouse = next(
            (
                (d, p)
                for d, p in dependents
                if d.spouse_employee_id == chosen.pk and _covered(d, day)
            ),
            None,
        )
        if spouse is not None:
            return _Patient(spouse[1], spouse[0], _dependent_name(spouse[0]))
    return _Patient(chosen, None, chosen.full_name)


def _coverage_of(
    policyholder: Employee, chosen: Employee, family_row: dict[str, Any], day: date
) -> _Coverage:
    """The tier on the day and the plan year: from the family query for the chosen
    employee, else (R-EL11: the retained policyholder's family) one more query."""
    row = family_row
    if policyholder is not chosen:
        row = prepared_rows(
            _COVERAGE_SQL,
            {"employee": policyholder.pk, "day": day, "year": policy_year_of(day)},
            row_factory=dict_row,
        )[0]
    return _Coverage(row["tier"], row["deductible"], row["carrier_maximum"])


def _denied_reason(tier: Tier, patient: _Patient, day: date) -> str | None:
    """R-CL4: no coverage on the day, or the patient not on the policy on the day."""
    if tier is Tier.NONE:
        return NO_COVERAGE_REASON
    if patient.patient is not None and not _covered(patient.patient, day):
        return NOT_ON_POLICY.format(name=patient.name)
    return None


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
    paid: date | None = None,
) -> ClaimDraft:
    """Check a claim's input; raise ``ValidationError`` naming every bad field.

    Fields: ``employee`` (unknown), ``patient`` (not in the family), ``date_of_service``
    (missing, in the future, before the hire, plan year not set up), ``provider`` and
    ``admin_claim_number`` (required, length), ``billed`` / ``allowed`` (R-CL2:
    ``claims.rules.validate_amounts``, with the plan year's carrier maximum).

    ``paid``: the day the claim will be paid, when known: whether its month is closed
    in the policyholder's employer's ledger comes with the draft
    (``ClaimDraft.paid_month_closed``; None without ``paid``).

    One query (the clerk's screen previews on every keystroke): the family, the tier on
    the date of service, the plan year; a second for the tier when an R-EL11 spouse
    record moves the claim to another family.
    """
    fields = ClaimFields(
        employee, patient, date_of_service, provider, admin_claim_number, billed, allowed
    )
    patient_id = fields.patient_id
    employee_id = fields.employee_id
    rows = (
        _family_rows(employee_id, patient_id, date_of_service, paid)
        if employee_id is not None
        else []
    )
    draft = _draft(fields, rows, today)
    if paid is None:
        return draft
    closed = {rows[0]["e_employer_id"]: rows[0]["e_month_closed"]}
    closed |= {row["p_employer_id"]: row["p_month_closed"] for row in rows if row["p_id"]}
    return replace(draft, paid_month_closed=closed[draft.policyholder.employer_id])


@dataclass(frozen=True)
class ClaimFields:
    """A claim's input as given (``claim_validate``'s keywords)."""

    employee: Employee | int | str | None
    patient: Dependent | int | str | None
    date_of_service: date | None
    provider: str
    admin_claim_number: str
    billed: Decimal | str | None
    allowed: Decimal | str | None

    @property
    def patient_id(self) -> int | None:
        patient = self.patient
        return patient.pk if isinstance(patient, Dependent) else parse_int(patient)

    @property
    def employee_id(self) -> int | None:
        employee = self.employee
        return employee.pk if isinstance(employee, Employee) else parse_int(employee)


def _draft(fields: ClaimFields, rows: list[dict[str, Any]], today: date | None) -> ClaimDraft:
    """The checked claim from its input and its family query's rows (``_FAMILY_SQL``)."""
    errors: dict[str, str] = {}
    patient, patient_id = fields.patient, fields.patient_id
    if patient not in (None, "") and patient_id is None:
        errors["patient"] = f"Unknown patient {patient}."
    day = fields.date_of_service
    chosen, dependents = _family_of(fields.employee, rows)
    if chosen is None:
        errors["employee"] = _employee_error(fields.employee)
    date_error = _date_error(day, chosen, today)
    if date_error is not None:
        errors["date_of_service"] = date_error
    provider = normalized_text(fields.provider)
    number = normalized_text(fields.admin_claim_number)
    errors.update(_text_errors(provider, number))

    whose: _Patient | None = None
    if chosen is not None:
        whose = _patient_of(chosen, dependents, patient=patient, patient_id=patient_id, day=day)
        if whose.error is not None:
            errors["patient"] = whose.error

    coverage = _Coverage(None, None, None)
    if day is not None and "date_of_service" not in errors and whose is not None:
        assert chosen is not None
        coverage = _coverage_of(whose.policyholder, chosen, rows[0], day)
        if coverage.deductible is None:
            errors["date_of_service"] = (
                f"The plan year {policy_year_label(policy_year_of(day))} is not set up; an "
                "administrator must add it (deductible, carrier maximum) first."
            )
    errors.update(_amount_errors(fields.billed, fields.allowed, coverage))
    if errors:
        raise ValidationError(errors)
    assert whose is not None and day is not None and coverage.deductible is not None
    tier = Tier(coverage.tier) if coverage.tier else Tier.NONE
    return ClaimDraft(
        policyholder=whose.policyholder,
        patient=whose.patient,
        patient_name=whose.name[:200],
        date_of_service=day,
        policy_year=policy_year_of(day),
        provider=provider,
        admin_claim_number=number,
        billed=amount_in_cents(fields.billed),
        allowed=amount_in_cents(fields.allowed),
        tier=tier,
        deductible=coverage.deductible,
        denied_reason=_denied_reason(tier, whose, day),
    )


# ``_FAMILY_SQL`` for many claims at once: each claim's family rows, by its position.
_FAMILY_MANY_SQL = """
SELECT q.ord AS q_ord,
       e.id AS e_id, e.employer_id AS e_employer_id, e.number AS e_number,
       e.first_name AS e_first_name, e.last_name AS e_last_name, e.hire_date AS e_hire_date,
       d.id AS d_id, d.employee_id AS d_employee_id, d.first_name AS d_first_name,
       d.last_name AS d_last_name, d.covered_from AS d_covered_from,
       d.ended_on AS d_ended_on, d.relationship AS d_relationship,
       d.spouse_employee_id AS d_spouse_employee_id,
       p.id AS p_id, p.employer_id AS p_employer_id, p.number AS p_number,
       p.first_name AS p_first_name, p.last_name AS p_last_name, p.hire_date AS p_hire_date,
       (SELECT s.tier FROM accounts_coveragesegment s
         WHERE s.employee_id = e.id AND s.start_date <= q.day
           AND (s.end_date IS NULL OR s.end_date >= q.day)
         ORDER BY s.start_date DESC LIMIT 1) AS tier,
       y.deductible, y.carrier_maximum
  FROM unnest(%(ords)b::int[], %(employees)b::bigint[], %(patients)b::bigint[],
              %(days)b::date[], %(years)b::int[]) AS q(ord, employee_id, patient_id, day, year)
  JOIN accounts_employee e ON e.id = q.employee_id
  LEFT JOIN accounts_dependent d ON d.id = q.patient_id OR d.spouse_employee_id = e.id
  LEFT JOIN accounts_employee p ON p.id = d.employee_id
  LEFT JOIN accounts_planyear y ON y.start_year = q.year
"""


def claim_validate_many(
    claims: list[ClaimFields], *, today: date | None = None
) -> list[ClaimDraft | ValidationError]:
    """:func:`claim_validate` for many claims (the imports): one query for every family
    (its arrays sent in binary, as ``claims.services.batch`` sends its own), then each
    claim checked alike; each answer a draft or its ``ValidationError``."""
    params: dict[str, list[Any]] = {
        "ords": [],
        "employees": [],
        "patients": [],
        "days": [],
        "years": [],
    }
    for ord_, fields in enumerate(claims):
        if fields.employee_id is None:
            continue
        day = fields.date_of_service
        params["ords"].append(ord_)
        params["employees"].append(fields.employee_id)
        params["patients"].append(fields.patient_id)
        params["days"].append(day)
        params["years"].append(policy_year_of(day) if day else None)
    by_claim: dict[int, list[dict[str, Any]]] = {}
    for row in prepared_rows(_FAMILY_MANY_SQL, params, row_factory=dict_row):
        by_claim.setdefault(row["q_ord"], []).append(row)
    answers: list[ClaimDraft | ValidationError] = []
    for ord_, fields in enumerate(claims):
        try:
            answers.append(_draft(fields, by_claim.get(ord_, []), today))
        except ValidationError as exc:
            answers.append(exc)
    return answers


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

"""The only code that writes members and coverage.

Every function is keyword-only, typed and atomic. It validates its input and raises
``django.core.exceptions.ValidationError({field: message})`` (the API turns that into a
400 with field errors; pages show it inline), locks the employee row
(``select_for_update``) and, when coverage may change, recomputes the employee's
materialized timeline (:class:`accounts.models.CoverageSegment`) from
``accounts.rules.coverage_timeline`` in the same transaction. On any error nothing is
saved.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: an employee's status and hours history starts with the hire state, an
  :class:`HoursChange` on the hire date. Later changes may not share a date with an
  earlier one (correct a wrong change by removing it and entering it again).
- Decision: a continuation election (R-EL8) must be signed no later than the last day of
  the month in which the reduction takes effect, before the lower tier would start.
- Decision: a separation continuation (R-VE8/R-VE9) may be elected only by someone who
  separated for a reason other than death; a retirement (R-VE8) may continue
  indefinitely, any other separation at most three months (R-VE9, checked by the rules).
- Decision: when two employees marry (R-EL11), the spouse whose policy ends becomes a
  ``Dependent`` of the retained policy from ``marriage_policy_end``, and that spouse's
  current children are carried over to the retained policy (their records on the ended
  policy end the day before). When the spouse was hired after the marriage, they never
  hold a policy of their own.
- Decision: overrides (R-EL10) are never deleted; a later override wins for the days
  both cover.
- Decision: a new beneficiary is added to the employee's current statement; the shares of
  current beneficiaries may total less than 100% (the rest goes to the estate) but never
  more. A new statement replacing the old one revokes the old beneficiaries first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts import rules
from accounts.models import (
    BeneficiaryDesignation,
    ContinuationElection,
    CoverageOverride,
    CoverageSegment,
    Dependent,
    Employee,
    Employer,
    HoursChange,
    Marriage,
    PlanYear,
    PremiumSchedule,
    Program,
    SeparationContinuation,
    source_to_db,
)
from accounts.signals import employee_separated
from staywell.names import name_character_error

MAX_WEEKLY_HOURS = Decimal("80")
GRANDFATHER_DATE = date(1979, 6, 30)  # R-EL5: employed as of June 30, 1979
HUNDRED = Decimal("100")


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _today() -> date:
    return timezone.localdate()


def _lock(employee: Employee | int) -> Employee:
    """The employee's row, locked for the rest of the transaction."""
    employee_id = employee if isinstance(employee, int) else employee.pk
    try:
        return Employee.objects.select_for_update().get(pk=employee_id)
    except Employee.DoesNotExist:
        raise _invalid("employee", f"Unknown employee {employee_id}.") from None


def _lock_many(ids: Iterable[int]) -> dict[int, Employee]:
    """Lock several employees in id order (no deadlock between two such calls)."""
    rows = Employee.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")
    return {row.pk: row for row in rows}


def _hours(value: Any, field: str = "weekly_hours") -> Decimal:
    if value is None or value == "":
        raise _invalid(field, "Enter the weekly hours.")
    if isinstance(value, float):
        value = str(value)
    try:
        hours = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _invalid(field, f"{value!r} is not a number of hours.") from None
    if not hours.is_finite() or hours < 0 or hours > MAX_WEEKLY_HOURS:
        raise _invalid(field, f"Weekly hours must be from 0 to 80, not {hours}.")
    if hours != hours.quantize(Decimal("0.01")):
        raise _invalid(field, "Weekly hours have at most two decimal places.")
    return hours.quantize(Decimal("0.01"))


def _status(value: str, field: str = "status") -> str:
    if value not in Employee.Status.values:
        raise _invalid(field, f"Status must be regular or temporary, not {value!r}.")
    return value


def _required_text(value: str | None, field: str, what: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise _invalid(field, f"Enter the {what}.")
    if len(text) > max_length:
        raise _invalid(field, f"The {what} is longer than {max_length} characters.")
    refused = name_character_error(text, what)
    if refused:
        raise _invalid(field, refused)
    return text


def _tier(value: str, field: str = "tier") -> rules.Tier:
    try:
        return rules.Tier(value)
    except ValueError:
        choices = ", ".join(t.value for t in rules.Tier)
        raise _invalid(field, f"Unknown tier {value!r}; choose one of {choices}.") from None


def _author(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _mirror_current_hours(employee: Employee) -> None:
    """Employee.status / weekly_hours mirror the latest HoursChange."""
    latest = employee.hours_changes.order_by("-effective_date").first()
    if latest is not None:
        employee.status = latest.status
        employee.weekly_hours = latest.weekly_hours
        employee.save(update_fields=["status", "weekly_hours"])


# ---------------------------------------------------------------------------------------
# Employers and programs
# ---------------------------------------------------------------------------------------


@transaction.atomic
def employer_create(*, code: str, name: str) -> Employer:
    code = _required_text(code, "code", "employer code", 20).upper()
    name = _required_text(name, "name", "employer name", 200)
    if Employer.objects.filter(code__iexact=code).exists():
        raise _invalid("code", f"Employer code {code} is already used.")
    return Employer.objects.create(code=code, name=name)


@transaction.atomic
def employer_update(*, employer: Employer, name: str) -> Employer:
    employer = Employer.objects.select_for_update(no_key=True).get(pk=employer.pk)
    employer.name = _required_text(name, "name", "employer name", 200)
    employer.save(update_fields=["name"])
    return employer


@transaction.atomic
def program_create(
    *, employer_id: int, code: str, name: str, categorically_funded: bool = False
) -> Program:
    if not Employer.objects.filter(pk=employer_id).exists():
        raise _invalid("employer", f"Unknown employer {employer_id}.")
    code = _required_text(code, "code", "budget code", 30)
    name = _required_text(name, "name", "program name", 200)
    if Program.objects.filter(employer_id=employer_id, code__iexact=code).exists():
        raise _invalid("code", f"Budget code {code} is already used by this employer.")
    return Program.objects.create(
        employer_id=employer_id, code=code, name=name, categorically_funded=categorically_funded
    )


@transaction.atomic
def program_update(
    *, program: Program, name: str | None = None, categorically_funded: bool | None = None
) -> Program:
    program = Program.objects.select_for_update().get(pk=program.pk)
    if name is not None:
        program.name = _required_text(name, "name", "program name", 200)
    if categorically_funded is not None:
        program.categorically_funded = categorically_funded
    program.save(update_fields=["name", "categorically_funded"])
    return program


# ---------------------------------------------------------------------------------------
# Plan years (administrators; the Django admin and seed data use these)
# ---------------------------------------------------------------------------------------


@transaction.atomic
def plan_year_set_schedule(
    *, start_year: int, rates: dict[rules.Tier, rules.PremiumRates], **settings: Any
) -> PlanYear:
    """Create or update a plan year and its premium schedule rows (R-PR1) from the year's
    first month (seed data; the administrator's pages use ``accounts.configuration``)."""
    plan_year, _ = PlanYear.objects.update_or_create(start_year=start_year, defaults=settings)
    for tier, tier_rates in rates.items():
        PremiumSchedule.objects.update_or_create(
            plan_year=plan_year,
            tier=tier.value,
            effective_from=plan_year.first_month,
            defaults={
                "major_medical_employer": tier_rates.major_medical_employer,
                "major_medical_employee": tier_rates.major_medical_employee,
                "trust_fund_employer": tier_rates.trust_fund_employer,
                "trust_fund_employee": tier_rates.trust_fund_employee,
                "dental_employer": tier_rates.dental_employer,
                "dental_employee": tier_rates.dental_employee,
            },
        )
    return plan_year


# ---------------------------------------------------------------------------------------
# Coverage: the materialized timeline
# ---------------------------------------------------------------------------------------


def timeline_inputs(employee: Employee) -> dict[str, Any]:
    """The keyword arguments of ``rules.coverage_timeline`` for an employee (5 queries)."""
    changes = [
        rules.StatusChange(
            effective=change.effective_date,
            status=rules.EmploymentStatus(change.status),
            weekly_hours=change.weekly_hours,
        )
        for change in employee.hours_changes.order_by("effective_date")
    ]
    elections = [
        election.reduction.effective_date
        for election in ContinuationElection.objects.filter(employee=employee).select_related(
            "reduction"
        )
    ]
    marriage_end: date | None = None
    marriage = (
        Marriage.objects.filter(Q(employee_a=employee) | Q(employee_b=employee), ended_on=None)
        .exclude(retained=employee)
        .first()
    )
    if marriage is not None:
        # R-EL11; a spouse hired after the marriage never holds a policy of their own.
        marriage_end = max(rules.marriage_policy_end(marriage.married_on), employee.hire_date)
    continuation = None
    record = SeparationContinuation.objects.filter(employee=employee).first()
    if record is not None:
        continuation = rules.SeparationContinuation(
            retiree=employee.separation_reason == Employee.SeparationReason.RETIREMENT,
            until=record.until,
            dental=record.dental,
        )
    overrides = [
        rules.Override(
            start=override.start,
            end=override.end,
            tier=rules.Tier(override.tier),
            reason=override.reason,
            author=_author(override.created_by) or "unknown",
        )
        for override in employee.coverage_overrides.select_related("created_by").order_by(
            "created_at", "pk"
        )
    ]
    return {
        "hire_date": employee.hire_date,
        "changes": changes,
        "grandfathered": employee.grandfathered,
        "grandfathered_elected": employee.grandfathered_elected,
        "self_pay_enrolled": employee.self_pay_enrolled,
        "separation_date": employee.separation_date,
        "elections": elections,
        "marriage_end": marriage_end,
        "continuation": continuation,
        "overrides": overrides,
    }


@transaction.atomic
def employee_recompute_coverage(
    *, employee: Employee | int, error_field: str = "__all__"
) -> list[CoverageSegment]:
    """Recompute and store an employee's coverage timeline (R-EL1..R-EL11).

    The employee row is locked; the old segments are replaced in one statement each.
    A history the rules refuse raises a ValidationError on ``error_field``.
    """
    employee = _lock(employee)
    try:
        segments = rules.coverage_timeline(**timeline_inputs(employee))
    except ValueError as exc:
        message = str(exc)
        raise _invalid(error_field, message[:1].upper() + message[1:] + ".") from exc
    CoverageSegment.objects.filter(employee=employee).delete()
    return CoverageSegment.objects.bulk_create(
        [segment_model(employee.pk, segment) for segment in segments]
    )


def segment_model(employee_id: int, segment: rules.CoverageSegment) -> CoverageSegment:
    """A model row (unsaved) for a rules segment."""
    return CoverageSegment(
        employee_id=employee_id,
        start=segment.start,
        end=segment.end,
        tier=segment.tier.value,
        source=source_to_db(segment.source),
        employer_basis=segment.employer_basis.value if segment.employer_basis else "",
        employee_pays_difference=segment.employee_pays_difference,
        dental=segment.dental,
        reason=segment.reason,
        author=segment.author[:150],
    )


# ---------------------------------------------------------------------------------------
# Employees
# ---------------------------------------------------------------------------------------


@transaction.atomic
def employee_hire(
    *,
    employer_id: int,
    program_id: int,
    number: str,
    first_name: str,
    last_name: str,
    hire_date: date,
    status: str = Employee.Status.REGULAR,
    weekly_hours: Decimal,
    birth_date: date | None = None,
    grandfathered: bool = False,
    grandfathered_elected: bool = True,
    self_pay_enrolled: bool = False,
    user: User | None = None,
    created_by: User | None = None,
) -> Employee:
    """Enter a new employee, the hire state of their hours history, and their coverage
    (R-EL6: from the first of the next month, or the month after when hired on the
    11th or later)."""
    employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None:
        raise _invalid("employer", f"Unknown employer {employer_id}.")
    program = Program.objects.filter(pk=program_id).first()
    if program is None or program.employer_id != employer.pk:
        raise _invalid("program", f"Unknown program {program_id} for employer {employer.code}.")
    number = _required_text(number, "number", "employee number", 20)
    first_name = _required_text(first_name, "first_name", "first name", 100)
    last_name = _required_text(last_name, "last_name", "last name", 100)
    status = _status(status)
    weekly_hours = _hours(weekly_hours)
    if birth_date is not None and birth_date >= hire_date:
        raise _invalid("birth_date", "The birth date must be before the hire date.")
    if grandfathered and hire_date > GRANDFATHER_DATE:
        raise _invalid(
            "grandfathered",
            "Only an employee employed on June 30, 1979 can be grandfathered (R-EL5).",
        )
    existing = Employee.objects.filter(employer=employer, number=number).first()
    if existing is not None:
        raise _invalid(
            "number",
            f"Employee number {number} is already used at {employer.code} "
            f"({existing.first_name} {existing.last_name}).",
        )
    try:
        with transaction.atomic():
            employee = Employee.objects.create(
                employer=employer,
                program=program,
                number=number,
                first_name=first_name,
                last_name=last_name,
                birth_date=birth_date,
                hire_date=hire_date,
                status=status,
                weekly_hours=weekly_hours,
                grandfathered=grandfathered,
                grandfathered_elected=grandfathered_elected,
                self_pay_enrolled=self_pay_enrolled,
                user=user,
            )
    except IntegrityError as exc:  # a concurrent hire took the number first
        raise _invalid("number", f"Employee number {number} is already used.") from exc
    HoursChange.objects.create(
        employee=employee,
        effective_date=hire_date,
        status=status,
        weekly_hours=weekly_hours,
        created_by=created_by,
    )
    employee_recompute_coverage(employee=employee, error_field="hire_date")
    return employee


UPDATABLE = {
    "first_name",
    "last_name",
    "birth_date",
    "number",
    "program_id",
    "hire_date",
    "grandfathered",
    "grandfathered_elected",
    "self_pay_enrolled",
}
COVERAGE_FIELDS = {"hire_date", "grandfathered", "grandfathered_elected", "self_pay_enrolled"}


@transaction.atomic
def employee_update(*, employee: Employee | int, **changes: Any) -> Employee:
    """Correct an employee's details. A hire-date correction moves the hire state of the
    hours history; coverage is recomputed when a field it depends on changes."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise _invalid(sorted(unknown)[0], "This field cannot be changed here.")
    employee = _lock(employee)
    if "first_name" in changes:
        employee.first_name = _required_text(changes["first_name"], "first_name", "first name", 100)
    if "last_name" in changes:
        employee.last_name = _required_text(changes["last_name"], "last_name", "last name", 100)
    if "birth_date" in changes:
        employee.birth_date = changes["birth_date"]
    if "number" in changes:
        number = _required_text(changes["number"], "number", "employee number", 20)
        clash = Employee.objects.filter(employer_id=employee.employer_id, number=number).exclude(
            pk=employee.pk
        )
        if clash.exists():
            raise _invalid("number", f"Employee number {number} is already used at this employer.")
        employee.number = number
    if "program_id" in changes:
        program = Program.objects.filter(pk=changes["program_id"]).first()
        if program is None or program.employer_id != employee.employer_id:
            raise _invalid("program", f"Unknown program {changes['program_id']} for this employer.")
        employee.program = program
    for flag in ("grandfathered", "grandfathered_elected", "self_pay_enrolled"):
        if flag in changes:
            setattr(employee, flag, bool(changes[flag]))
    if "hire_date" in changes and changes["hire_date"] != employee.hire_date:
        new_hire: date = changes["hire_date"]
        changes_after = employee.hours_changes.order_by("effective_date")
        hire_change = changes_after.first()
        second = changes_after.exclude(pk=hire_change.pk).first() if hire_change else None
        if second is not None and new_hire >= second.effective_date:
            raise _invalid(
                "hire_date",
                f"The hire date must be before the next hours change ({second.effective_date}).",
            )
        if employee.separation_date is not None and new_hire > employee.separation_date:
            raise _invalid("hire_date", "The hire date must be on or before the separation date.")
        if hire_change is not None:
            hire_change.effective_date = new_hire
            hire_change.save(update_fields=["effective_date"])
        employee.hire_date = new_hire
    if employee.birth_date is not None and employee.birth_date >= employee.hire_date:
        raise _invalid("birth_date", "The birth date must be before the hire date.")
    if employee.grandfathered and employee.hire_date > GRANDFATHER_DATE:
        raise _invalid(
            "grandfathered",
            "Only an employee employed on June 30, 1979 can be grandfathered (R-EL5).",
        )
    employee.save()
    if COVERAGE_FIELDS & set(changes):
        field = next(iter(sorted(COVERAGE_FIELDS & set(changes))))
        employee_recompute_coverage(employee=employee, error_field=field)
    return employee


@transaction.atomic
def employee_link_user(*, employee: Employee | int, user: User | None) -> Employee:
    """Link (or unlink, ``user=None``) the self-service login of an employee."""
    employee = _lock(employee)
    if user is not None:
        other = Employee.objects.filter(user=user).exclude(pk=employee.pk).first()
        if other is not None:
            raise _invalid("user", f"This login already belongs to {other.full_name}.")
    employee.user = user
    employee.save(update_fields=["user"])
    return employee


@transaction.atomic
def employee_change_hours(
    *,
    employee: Employee | int,
    effective_date: date,
    weekly_hours: Decimal,
    status: str | None = None,
    created_by: User | None = None,
) -> HoursChange:
    """Record a change of weekly hours and/or status (R-EL7 increase, R-EL8 reduction)."""
    employee = _lock(employee)
    weekly_hours = _hours(weekly_hours)
    if effective_date < employee.hire_date:
        raise _invalid(
            "effective_date",
            f"The change is dated before the hire date ({employee.hire_date.isoformat()}).",
        )
    if effective_date == employee.hire_date:
        raise _invalid(
            "effective_date",
            "The hire date already carries the hours at hire; correct the employee instead.",
        )
    if employee.separation_date is not None and effective_date > employee.separation_date:
        raise _invalid(
            "effective_date",
            f"The change is dated after the separation date "
            f"({employee.separation_date.isoformat()}).",
        )
    if employee.hours_changes.filter(effective_date=effective_date).exists():
        raise _invalid(
            "effective_date", f"There is already an hours change effective {effective_date}."
        )
    if status is None or status == "":
        in_force = (
            employee.hours_changes.filter(effective_date__lte=effective_date)
            .order_by("-effective_date")
            .first()
        )
        status = in_force.status if in_force else employee.status
    status = _status(status)
    change = HoursChange.objects.create(
        employee=employee,
        effective_date=effective_date,
        status=status,
        weekly_hours=weekly_hours,
        created_by=created_by,
    )
    _mirror_current_hours(employee)
    employee_recompute_coverage(employee=employee, error_field="effective_date")
    return change


@transaction.atomic
def hours_change_remove(*, change: HoursChange | int) -> None:
    """Remove a wrongly entered hours change (and an election that depends on it)."""
    change_id = change if isinstance(change, int) else change.pk
    row = HoursChange.objects.filter(pk=change_id).first()
    if row is None:
        raise _invalid("hours_change", f"Unknown hours change {change_id}.")
    employee = _lock(row.employee_id)
    if row.effective_date == employee.hire_date:
        raise _invalid("hours_change", "The hire state cannot be removed; correct the employee.")
    row.delete()
    _mirror_current_hours(employee)
    employee_recompute_coverage(employee=employee, error_field="hours_change")


@transaction.atomic
def employee_separate(
    *,
    employee: Employee | int,
    separation_date: date,
    reason: str,
    created_by: User | None = None,
) -> Employee:
    """Record the end of employment; coverage ends on the last day of that month (R-EL9)."""
    employee = _lock(employee)
    if employee.separation_date is not None:
        raise _invalid(
            "separation_date",
            f"{employee.full_name} already separated on {employee.separation_date.isoformat()}.",
        )
    if separation_date < employee.hire_date:
        raise _invalid(
            "separation_date",
            f"The separation is dated before the hire date ({employee.hire_date.isoformat()}).",
        )
    if reason not in Employee.SeparationReason.values:
        choices = ", ".join(Employee.SeparationReason.values)
        raise _invalid("reason", f"Choose a separation reason: {choices}.")
    later = employee.hours_changes.filter(effective_date__gt=separation_date).first()
    if later is not None:
        raise _invalid(
            "separation_date",
            f"There is an hours change effective {later.effective_date.isoformat()}, after "
            "this date; remove it first.",
        )
    employee.separation_date = separation_date
    employee.separation_reason = reason
    employee.save(update_fields=["separation_date", "separation_reason"])
    employee_recompute_coverage(employee=employee, error_field="separation_date")
    employee_separated.send(sender=Employee, employee=employee)  # vesting: R-VE4, R-VE7
    return employee


@transaction.atomic
def separation_continuation_elect(
    *,
    employee: Employee | int,
    elected_on: date,
    until: date | None = None,
    dental: bool = True,
    created_by: User | None = None,
) -> SeparationContinuation:
    """R-VE8 / R-VE9: continue coverage after separation, the person paying the premium."""
    employee = _lock(employee)
    if employee.separation_date is None:
        raise _invalid("employee", "Only a separated employee can continue coverage.")
    if employee.separation_reason == Employee.SeparationReason.DEATH:
        raise _invalid("employee", "Coverage does not continue after death.")
    if SeparationContinuation.objects.filter(employee=employee).exists():
        raise _invalid("employee", "A continuation is already on file.")
    if elected_on < employee.separation_date:
        raise _invalid("elected_on", "The election is dated before the separation.")
    record = SeparationContinuation.objects.create(
        employee=employee, until=until, dental=dental, elected_on=elected_on, created_by=created_by
    )
    employee_recompute_coverage(employee=employee, error_field="until")
    return record


@transaction.atomic
def continuation_elect(
    *,
    employee: Employee | int,
    reduction_id: int,
    elected_on: date,
    created_by: User | None = None,
) -> ContinuationElection:
    """R-EL8: keep the prior coverage to June 30 after a reduction effective October 1 to
    May 31, paying what the employer no longer pays."""
    employee = _lock(employee)
    reduction = HoursChange.objects.filter(pk=reduction_id, employee=employee).first()
    if reduction is None:
        raise _invalid("reduction", f"Unknown hours change {reduction_id} for this employee.")
    if ContinuationElection.objects.filter(reduction=reduction).exists():
        raise _invalid("reduction", "The continuation was already elected for this reduction.")
    outcome = rules.reduction_outcome(reduction.effective_date)
    if not outcome.election_offered:
        raise _invalid(
            "reduction",
            f"A reduction effective {reduction.effective_date.isoformat()} moves the employee "
            f"to the lower tier on {outcome.lower_tier_starts.isoformat()} with no choice (R-EL8).",
        )
    deadline = rules.last_of_month(reduction.effective_date)
    if elected_on > deadline:
        raise _invalid(
            "elected_on",
            f"The election had to be signed by {deadline.isoformat()}, before the lower tier "
            "started.",
        )
    election = ContinuationElection.objects.create(
        employee=employee, reduction=reduction, elected_on=elected_on, created_by=created_by
    )
    employee_recompute_coverage(employee=employee, error_field="reduction")
    return election


@transaction.atomic
def coverage_override_add(
    *,
    employee: Employee | int,
    start: date,
    end: date | None,
    tier: str,
    reason: str,
    created_by: User,
) -> CoverageOverride:
    """R-EL10: a clerk overrides the computed coverage; the reason and author are kept."""
    employee = _lock(employee)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", "Give the reason for the override (R-EL10).")
    tier_value = _tier(tier)
    if created_by is None:
        raise _invalid("created_by", "An override needs its author (R-EL10).")
    if start < employee.hire_date:
        raise _invalid(
            "start", f"An override cannot start before the hire date ({employee.hire_date})."
        )
    if end is not None and end < start:
        raise _invalid("end", "The override cannot end before it starts.")
    override = CoverageOverride.objects.create(
        employee=employee,
        start=start,
        end=end,
        tier=tier_value.value,
        reason=reason,
        created_by=created_by,
    )
    employee_recompute_coverage(employee=employee, error_field="start")
    return override


# ---------------------------------------------------------------------------------------
# Marriage, dependents, beneficiaries
# ---------------------------------------------------------------------------------------


def _active_marriage(employee_id: int) -> Marriage | None:
    return (
        Marriage.objects.filter(
            Q(employee_a_id=employee_id) | Q(employee_b_id=employee_id), ended_on=None
        )
        .select_related("employee_a", "employee_b")
        .first()
    )


@transaction.atomic
def employees_marry(
    *,
    employee_a_id: int,
    employee_b_id: int,
    married_on: date,
    retained_id: int,
    created_by: User | None = None,
) -> Marriage:
    """R-EL11: two employees of the plan marry; one policy between them.

    The other spouse's own policy ends on the first of the month after the marriage and
    they become a dependent on the retained policy.
    """
    if employee_a_id == employee_b_id:
        raise _invalid("employee_b", "An employee cannot marry themselves.")
    locked = _lock_many([employee_a_id, employee_b_id])
    for field, employee_id in (("employee_a", employee_a_id), ("employee_b", employee_b_id)):
        if employee_id not in locked:
            raise _invalid(field, f"Unknown employee {employee_id}.")
    if retained_id not in (employee_a_id, employee_b_id):
        raise _invalid("retained", "The retained policy must be one of the two spouses'.")
    _refuse_married(locked, employee_a_id, employee_b_id)
    if married_on > _today():
        raise _invalid("married_on", "The marriage date cannot be in the future.")
    retained = locked[retained_id]
    other = locked[employee_b_id if retained_id == employee_a_id else employee_a_id]
    current_spouse = Dependent.objects.filter(
        employee=retained, relationship=Dependent.Relationship.SPOUSE, ended_on=None
    ).first()
    if current_spouse is not None:
        raise _invalid(
            "retained",
            f"{retained.full_name} already has a spouse on file "
            f"({current_spouse.first_name} {current_spouse.last_name}); end that record first.",
        )
    marriage = Marriage.objects.create(
        employee_a_id=employee_a_id,
        employee_b_id=employee_b_id,
        married_on=married_on,
        retained=retained,
        created_by=created_by,
    )
    policy_end = max(rules.marriage_policy_end(married_on), other.hire_date)
    Dependent.objects.create(
        employee=retained,
        relationship=Dependent.Relationship.SPOUSE,
        first_name=other.first_name,
        last_name=other.last_name,
        birth_date=other.birth_date,
        spouse_employee=other,
        covered_from=policy_end,
    )
    _move_children(other=other, retained=retained, policy_end=policy_end)
    employee_recompute_coverage(employee=other, error_field="married_on")
    return marriage


def _refuse_married(locked: dict[int, Employee], *employee_ids: int) -> None:
    """R-EL11: neither spouse is married to another employee of the plan already."""
    for field, employee_id in zip(("employee_a", "employee_b"), employee_ids, strict=True):
        existing = _active_marriage(employee_id)
        if existing is not None:
            spouse = (
                existing.employee_b
                if existing.employee_a_id == employee_id
                else existing.employee_a
            )
            raise _invalid(
                field,
                f"{locked[employee_id].full_name} is already married to {spouse.full_name} "
                f"in the plan (since {existing.married_on.isoformat()}).",
            )


def _move_children(*, other: Employee, retained: Employee, policy_end: date) -> None:
    """R-EL11: the other spouse's children leave their policy the day before it ends and
    are covered on the retained policy from then (unless already on it)."""
    on_retained = {
        (d.first_name.lower(), d.last_name.lower(), d.birth_date)
        for d in retained.dependents.filter(ended_on=None)
    }
    for child in other.dependents.filter(relationship=Dependent.Relationship.CHILD, ended_on=None):
        child.ended_on = policy_end - timedelta(days=1)
        child.end_reason = "Moved to the spouse's retained policy (R-EL11)"
        child.save(update_fields=["ended_on", "end_reason"])
        if (child.first_name.lower(), child.last_name.lower(), child.birth_date) not in on_retained:
            Dependent.objects.create(
                employee=retained,
                relationship=child.relationship,
                first_name=child.first_name,
                last_name=child.last_name,
                birth_date=child.birth_date,
                covered_from=policy_end,
            )


@transaction.atomic
def dependent_add(
    *,
    employee: Employee | int,
    relationship: str,
    first_name: str,
    last_name: str,
    birth_date: date | None = None,
    covered_from: date | None = None,
) -> Dependent:
    """Add a spouse or child to the employee's policy (the family shares one deductible)."""
    employee = _lock(employee)
    if relationship not in Dependent.Relationship.values:
        raise _invalid("relationship", "A dependent is a spouse or a child.")
    first_name = _required_text(first_name, "first_name", "first name", 100)
    last_name = _required_text(last_name, "last_name", "last name", 100)
    if birth_date is not None and birth_date > _today():
        raise _invalid("birth_date", "The birth date cannot be in the future.")
    if relationship == Dependent.Relationship.SPOUSE:
        current = employee.dependents.filter(relationship=relationship, ended_on=None).first()
        if current is not None:
            raise _invalid(
                "relationship",
                f"{employee.full_name} already has a spouse on file "
                f"({current.first_name} {current.last_name}).",
            )
    return Dependent.objects.create(
        employee=employee,
        relationship=relationship,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        covered_from=covered_from,
    )


@transaction.atomic
def dependent_remove(*, dependent: Dependent | int, ended_on: date, reason: str = "") -> Dependent:
    """End a dependent's coverage on the policy (the record is kept)."""
    dependent_id = dependent if isinstance(dependent, int) else dependent.pk
    row = Dependent.objects.filter(pk=dependent_id).first()
    if row is None:
        raise _invalid("dependent", f"Unknown dependent {dependent_id}.")
    _lock(row.employee_id)
    row = Dependent.objects.select_for_update().get(pk=dependent_id)
    if row.ended_on is not None:
        raise _invalid("ended_on", f"This dependent already left the policy on {row.ended_on}.")
    if row.covered_from is not None and ended_on < row.covered_from:
        raise _invalid("ended_on", "The end date is before the dependent joined the policy.")
    row.ended_on = ended_on
    row.end_reason = (reason or "").strip()[:200]
    row.save(update_fields=["ended_on", "end_reason"])
    return row


def _share(value: Any) -> Decimal:
    try:
        share = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid("share_percent", f"{value!r} is not a percentage.") from None
    if not share.is_finite() or share <= 0 or share > HUNDRED:
        raise _invalid("share_percent", "A share is more than 0% and at most 100%.")
    return share.quantize(Decimal("0.01"))


@transaction.atomic
def beneficiary_designate(
    *,
    employee: Employee | int,
    name: str,
    relationship: str,
    share_percent: Decimal,
    signed_date: date,
    replace_current: bool = False,
    created_by: User | None = None,
) -> BeneficiaryDesignation:
    """III.D.7: add a beneficiary from the employee's signed statement.

    The current shares may not total more than 100%. ``replace_current`` revokes the
    current beneficiaries first (a new statement replacing the old one).
    """
    employee = _lock(employee)
    name = _required_text(name, "name", "beneficiary's name", 200)
    relationship = _required_text(relationship, "relationship", "relationship", 100)
    share = _share(share_percent)
    if signed_date > _today():
        raise _invalid("signed_date", "The signing date cannot be in the future.")
    current = employee.beneficiaries.filter(revoked_on=None)
    if replace_current:
        current.update(revoked_on=signed_date)
    else:
        total = current.aggregate(total=Sum("share_percent"))["total"] or Decimal("0")
        if total + share > HUNDRED:
            raise _invalid(
                "share_percent",
                f"The shares would total {total + share}%; they may not exceed 100% "
                f"({total}% is already designated).",
            )
    return BeneficiaryDesignation.objects.create(
        employee=employee,
        name=name,
        relationship=relationship,
        share_percent=share,
        signed_date=signed_date,
        created_by=created_by,
    )


@transaction.atomic
def beneficiary_revoke(
    *, beneficiary: BeneficiaryDesignation | int, revoked_on: date
) -> BeneficiaryDesignation:
    beneficiary_id = beneficiary if isinstance(beneficiary, int) else beneficiary.pk
    row = BeneficiaryDesignation.objects.filter(pk=beneficiary_id).first()
    if row is None:
        raise _invalid("beneficiary", f"Unknown beneficiary {beneficiary_id}.")
    _lock(row.employee_id)
    row = BeneficiaryDesignation.objects.select_for_update().get(pk=beneficiary_id)
    if row.revoked_on is not None:
        raise _invalid("revoked_on", f"This designation was already revoked on {row.revoked_on}.")
    if revoked_on < row.signed_date:
        raise _invalid("revoked_on", "The revocation is dated before the designation was signed.")
    row.revoked_on = revoked_on
    row.save(update_fields=["revoked_on"])
    return row

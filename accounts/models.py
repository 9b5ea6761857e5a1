"""The people of the plan: employers, programs, employees, and the plan-year data.

Also the effective-dated history that coverage is computed from (hours changes,
continuation elections, marriages, overrides, separation continuations) and the
materialized coverage timeline (:class:`CoverageSegment`), recomputed by
``accounts.services`` inside the transaction of every change.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MinValueValidator
from django.db import models

from accounts.rules import CoverageSource, Tier, policy_year_label
from staywell.crypto import EncryptedTextField, masked
from staywell.history import history

MONEY = {"max_digits": 14, "decimal_places": 2}
HOURS = {"max_digits": 5, "decimal_places": 2}  # weekly hours, 0.00 to 80.00

TIER_CHOICES = [(t.value, t.label) for t in Tier]
# CoverageSource values as stored: the enum's name in lower case ("continuation_election").
SOURCE_CHOICES = [(s.name.lower(), s.value.capitalize()) for s in CoverageSource]


def source_to_db(source: CoverageSource) -> str:
    return source.name.lower()


def source_from_db(value: str) -> CoverageSource:
    return CoverageSource[value.upper()]


class Employer(models.Model):
    """One school district or county office of the pool."""

    code = models.CharField(max_length=20, unique=True)  # short code, e.g. "MCOE"
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    """The budget code a position is charged to (II.D); premiums go to it each month."""

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="programs")
    code = models.CharField(max_length=30)  # budget code, unique within the employer
    name = models.CharField(max_length=200)
    # II.H: employees of a categorically funded program may enroll if its budget carries the cost.
    categorically_funded = models.BooleanField(default=False)

    class Meta:
        ordering = ["employer", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "code"], name="program_code_unique_per_employer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@history("EmployeeHistory")
class Employee(models.Model):
    class Status(models.TextChoices):
        REGULAR = "regular", "Regular"
        TEMPORARY = "temporary", "Temporary"  # R-EL1: not eligible

    class SeparationReason(models.TextChoices):
        RESIGNATION = "resignation", "Resignation"
        RETIREMENT = "retirement", "Retirement"
        DEATH = "death", "Death"
        CHANGE_OF_EMPLOYER = "change_of_employer", "Change of employer"

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="employees")
    number = models.CharField(max_length=20)  # employee number, unique within the employer
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)
    hire_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=Status.choices
    )  # current status (history: HoursChange)
    weekly_hours = models.DecimalField(  # current weekly hours (history: HoursChange)
        max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    grandfathered = models.BooleanField(
        default=False
    )  # R-EL5: employed and covered pro-rata on 6/30/1979
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="employees")
    separation_date = models.DateField(null=True, blank=True)  # last day of employment
    separation_reason = models.CharField(
        max_length=20, choices=SeparationReason.choices, blank=True
    )
    # R-EL4: an under-20 regular is covered only when enrolled by paying the entire cost.
    self_pay_enrolled = models.BooleanField(default=False)
    # R-EL5: a grandfathered employee elected to continue (else SELF_PAY rules apply).
    grandfathered_elected = models.BooleanField(default=True)
    # The login of an employee user (self-service); one user per employee record.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )

    class Meta:
        ordering = ["last_name", "first_name", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "number"], name="employee_number_unique_per_employer"
            ),
            models.CheckConstraint(
                condition=models.Q(weekly_hours__gte=0) & models.Q(weekly_hours__lte=80),
                name="employee_weekly_hours_0_to_80",
            ),
        ]
        indexes = [
            models.Index(fields=["employer", "last_name", "first_name"]),
            models.Index(fields=["number"]),
            # The clerk's list: ordered by name over the whole pool, paginated.
            models.Index(
                fields=["last_name", "first_name", "number"], name="employee_name_order_idx"
            ),
            # Search by the start of a name or number: see migration 0004 (expression
            # indexes with text_pattern_ops, written in SQL because OpClass needs
            # django.contrib.postgres in INSTALLED_APPS).
            models.Index(fields=["program"], name="employee_program_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PlanYear(models.Model):
    """A policy year (R-PY1) and its plan settings, editable by an administrator.

    Every number of the plan is plan-year data, not a constant in code.
    """

    class PriorYearHold(models.TextChoices):
        # R-VE7: the prior year's amount is payable six months after that year ends (default) ...
        YEAR_END = "year_end", "Six months after the prior year ends (default)"
        # ... or, the text's other reading, six months after termination.
        TERMINATION = "termination", "Six months after termination"

    start_year = models.PositiveSmallIntegerField(unique=True)  # 1984 for the year 1984-85
    deductible = models.DecimalField(
        **MONEY, default=Decimal("500.00")
    )  # per family per year (R-CL1)
    maximum_vest = models.DecimalField(
        **MONEY, default=Decimal("500.00")
    )  # per employee per year (R-VE2)
    carrier_maximum = models.DecimalField(
        **MONEY, default=Decimal("1000000.00")
    )  # carrier's policy max
    # R-EL5: fraction of the full-tier cost the employer pays for a grandfathered employee.
    grandfathered_employer_share = models.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0.5000")
    )
    # R-VE4: False switches to the introduction's stricter reading (no vest for the year of leaving).
    separation_year_vests = models.BooleanField(default=True)
    # R-VE7: when the prior year's held amount becomes payable.
    prior_year_hold_from = models.CharField(
        max_length=12, choices=PriorYearHold.choices, default=PriorYearHold.YEAR_END
    )

    class Meta:
        ordering = ["-start_year"]
        # The database refuses impossible settings whoever saves them (the Django admin
        # too): a rollover of such a year could only fail.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_year__gte=1900) & models.Q(start_year__lte=2999),
                name="plan_year_start_year_1900_to_2999",
                violation_error_message="The first year is from 1900 to 2999.",
            ),
            models.CheckConstraint(
                condition=models.Q(deductible__gte=0),
                name="plan_year_deductible_not_negative",
                violation_error_message="The deductible cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(maximum_vest__gte=0),
                name="plan_year_maximum_vest_not_negative",
                violation_error_message="The maximum vest cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(carrier_maximum__gte=0),
                name="plan_year_carrier_maximum_not_negative",
                violation_error_message="The carrier maximum cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(grandfathered_employer_share__gte=0)
                & models.Q(grandfathered_employer_share__lte=1),
                name="plan_year_grandfathered_share_0_to_1",
                violation_error_message="The grandfathered employer share is a fraction from 0 to 1.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return policy_year_label(self.start_year)

    @property
    def first_month(self) -> date:
        """July 1 of the start year: the first month of the year (R-PY1)."""
        return date(self.start_year, 7, 1)

    @property
    def last_month(self) -> date:
        """June 1 of the next year: the first day of the year's last month."""
        return date(self.start_year + 1, 6, 1)


class PremiumSchedule(models.Model):
    """Monthly premium rates of one tier in one plan year (R-PR1): three lines, two payers.

    A revision of the schedule applies from a month (``effective_from``) to the end of the
    plan year or the next revision of the tier: the rates of month M are, for each tier,
    the row with the latest ``effective_from`` on or before M
    (``accounts.selectors.plan_year_rates``). A row saved without ``effective_from`` applies
    from the plan year's first month (July 1): ``save()`` fills it in, and so does a
    database trigger for bulk and raw inserts.
    """

    plan_year = models.ForeignKey(
        PlanYear, on_delete=models.CASCADE, related_name="premium_schedules"
    )
    tier = models.CharField(
        max_length=20, choices=[(t.value, t.label) for t in Tier if t != Tier.NONE]
    )
    # First day of the month from which these rates apply, a month of the plan year.
    effective_from = models.DateField(blank=True)
    # Dollars per month, each line split into the employer's and the employee's share.
    major_medical_employer = models.DecimalField(**MONEY, default=Decimal("0.00"))
    major_medical_employee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    trust_fund_employer = models.DecimalField(**MONEY, default=Decimal("0.00"))
    trust_fund_employee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    dental_employer = models.DecimalField(**MONEY, default=Decimal("0.00"))
    dental_employee = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["plan_year", "effective_from", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_year", "tier", "effective_from"],
                name="premium_schedule_one_revision_per_tier_and_month",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_from__day=1),
                name="premium_schedule_effective_first_of_month",
            ),
            models.CheckConstraint(
                condition=models.Q(major_medical_employer__gte=0)
                & models.Q(major_medical_employee__gte=0)
                & models.Q(trust_fund_employer__gte=0)
                & models.Q(trust_fund_employee__gte=0)
                & models.Q(dental_employer__gte=0)
                & models.Q(dental_employee__gte=0),
                name="premium_schedule_amounts_not_negative",
            ),
        ]
        triggers = [
            # A row inserted without its month applies from the plan year's first month; a
            # month outside the plan year is refused (raw SQL and bulk inserts too).
            pgtrigger.Trigger(
                name="premium_schedule_effective_in_plan_year",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                declare=[("first_year", "integer")],
                func="""
                SELECT start_year INTO first_year FROM accounts_planyear
                WHERE id = NEW.plan_year_id;
                IF NEW.effective_from IS NULL THEN
                    NEW.effective_from := make_date(first_year, 7, 1);
                END IF;
                IF NEW.effective_from < make_date(first_year, 7, 1)
                   OR NEW.effective_from > make_date(first_year + 1, 6, 1) THEN
                    RAISE EXCEPTION 'a premium schedule applies from a month of its plan year'
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        month = f" from {self.effective_from:%B %Y}" if self.effective_from else ""
        return f"{self.plan_year.label} {self.get_tier_display()}{month}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.effective_from is None and self.plan_year_id is not None:
            self.effective_from = self.plan_year.first_month
        super().save(*args, **kwargs)

    @property
    def employer_total(self) -> Decimal:
        return self.major_medical_employer + self.trust_fund_employer + self.dental_employer

    @property
    def employee_total(self) -> Decimal:
        return self.major_medical_employee + self.trust_fund_employee + self.dental_employee


# ---------------------------------------------------------------------------------------
# The history coverage is computed from
# ---------------------------------------------------------------------------------------


@history("HoursChangeHistory")
class HoursChange(models.Model):
    """An effective-dated status and weekly hours (R-EL1..R-EL8).

    The first change of an employee is the hire state, on the hire date (written by
    ``employee_hire``); ``Employee.status`` / ``weekly_hours`` mirror the latest one.
    """

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="hours_changes")
    effective_date = models.DateField()  # first day the new status and hours apply
    status = models.CharField(max_length=10, choices=Employee.Status.choices)  # R-EL1
    weekly_hours = models.DecimalField(**HOURS)  # hours per week, 0.00 to 80.00
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "effective_date"], name="hours_change_one_per_day"
            ),
            models.CheckConstraint(
                condition=models.Q(weekly_hours__gte=0) & models.Q(weekly_hours__lte=80),
                name="hours_change_weekly_hours_0_to_80",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.effective_date}: {self.status} {self.weekly_hours} h"


@history("ContinuationElectionHistory")
class ContinuationElection(models.Model):
    """R-EL8: the employee elected to keep the prior coverage to June 30 after a
    reduction effective October 1 to May 31, paying what the employer no longer pays."""

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="continuation_elections"
    )
    reduction = models.OneToOneField(HoursChange, on_delete=models.CASCADE, related_name="election")
    elected_on = models.DateField()  # the day the employee signed the election
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "reduction__effective_date"]

    def __str__(self) -> str:
        return f"Continuation elected {self.elected_on} by employee {self.employee_id}"


@history("SeparationContinuationHistory")
class SeparationContinuation(models.Model):
    """R-VE8 / R-VE9: coverage continued after separation, the person paying the premium.

    ``until`` is the last covered day (None: indefinitely, retirees only, R-VE8).
    """

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, related_name="separation_continuation"
    )
    until = models.DateField(null=True, blank=True)  # last covered day; None = while paid (R-VE8)
    dental = models.BooleanField(default=True)  # dental continued too
    elected_on = models.DateField()  # the day the person signed the election
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Continuation of employee {self.employee_id} until {self.until or 'further notice'}"


@history("MarriageHistory")
class Marriage(models.Model):
    """R-EL11: two employees of the plan married; one policy between them.

    From ``rules.marriage_policy_end(married_on)`` the spouse whose policy is not
    retained is a dependent (:class:`Dependent`) on the retained policy.
    """

    employee_a = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    employee_b = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    married_on = models.DateField()
    # Whose policy is retained: employee_a or employee_b (the other becomes a dependent).
    retained = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    ended_on = models.DateField(null=True, blank=True)  # divorce or death; None = active
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-married_on"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(employee_a=models.F("employee_b")), name="marriage_two_people"
            ),
            models.CheckConstraint(
                condition=models.Q(retained=models.F("employee_a"))
                | models.Q(retained=models.F("employee_b")),
                name="marriage_retained_is_a_spouse",
            ),
            models.UniqueConstraint(
                fields=["employee_a"],
                condition=models.Q(ended_on__isnull=True),
                name="marriage_a_one_active",
            ),
            models.UniqueConstraint(
                fields=["employee_b"],
                condition=models.Q(ended_on__isnull=True),
                name="marriage_b_one_active",
            ),
        ]
        triggers = [
            # Across the two columns: nobody is in two active marriages, as a or as b.
            pgtrigger.Trigger(
                name="marriage_one_active_per_employee",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func="""
                IF NEW.ended_on IS NULL AND EXISTS (
                    SELECT 1 FROM accounts_marriage m
                    WHERE m.id <> NEW.id AND m.ended_on IS NULL
                      AND (m.employee_a_id IN (NEW.employee_a_id, NEW.employee_b_id)
                           OR m.employee_b_id IN (NEW.employee_a_id, NEW.employee_b_id))
                ) THEN
                    RAISE EXCEPTION 'an employee can be in only one active marriage'
                        USING ERRCODE = 'unique_violation';
                END IF;
                RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"Marriage of {self.employee_a_id} and {self.employee_b_id} on {self.married_on}"

    @property
    def other_id(self) -> int:
        """The spouse whose own policy ends (R-EL11)."""
        return self.employee_b_id if self.retained_id == self.employee_a_id else self.employee_a_id


@history("CoverageOverrideHistory")
class CoverageOverride(models.Model):
    """R-EL10: a clerk's override of the computed coverage (a transfer, a correction).

    Never deleted: a later override wins over an earlier one for the days both cover.
    """

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="coverage_overrides"
    )
    start = models.DateField()  # first overridden day
    end = models.DateField(null=True, blank=True)  # last overridden day; None = open
    tier = models.CharField(
        max_length=20, choices=TIER_CHOICES
    )  # tier in force (none = not covered)
    reason = models.TextField()  # required (R-EL10)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="coverage_override_reason_required"
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="coverage_override_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Override of employee {self.employee_id} from {self.start}: {self.tier}"


# ---------------------------------------------------------------------------------------
# The computed coverage timeline (materialized)
# ---------------------------------------------------------------------------------------


@history("CoverageSegmentHistory")
class CoverageSegment(models.Model):
    """A stretch of an employee's computed coverage, ``start`` to ``end`` inclusive.

    Written only by ``accounts.services.employee_recompute_coverage`` (delete +
    insert of the employee's segments from ``accounts.rules.coverage_timeline``) and by
    ``generate_pool``. The segments of an employee partition [hire date, forever): the
    last one is open (``end`` NULL); uncovered stretches are ``tier = 'none'``.

    For raw SQL: the table is ``accounts_coveragesegment``; the date columns are
    ``start_date`` and ``end_date`` (``end`` is a reserved word). Covered on day D:
    ``start_date <= D AND (end_date IS NULL OR end_date >= D) AND tier <> 'none'``.
    """

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="coverage_segments"
    )
    start = models.DateField(db_column="start_date")  # first day of the segment
    end = models.DateField(db_column="end_date", null=True, blank=True)  # last day; NULL = open
    tier = models.CharField(
        max_length=20, choices=TIER_CHOICES
    )  # tier in force; 'none' = uncovered
    source = models.CharField(max_length=30, choices=SOURCE_CHOICES)  # why (rules.CoverageSource)
    # R-EL8 elected continuation: the tier the hours give; the employer pays that tier's
    # employer share, the employee pays the rest. NULL otherwise.
    employer_basis = models.CharField(max_length=20, choices=TIER_CHOICES, blank=True, default="")
    # R-EL8: True while the employee pays what the employer no longer pays.
    employee_pays_difference = models.BooleanField(default=False)
    dental = models.BooleanField(default=True)  # False: a separation continuation without dental
    reason = models.TextField(blank=True, default="")  # R-EL10: the override's reason
    author = models.CharField(max_length=150, blank=True, default="")  # R-EL10: override author

    class Meta:
        ordering = ["employee_id", "start"]
        constraints = [
            # Also the (employee, start) index every timeline read uses.
            models.UniqueConstraint(
                fields=["employee", "start"], name="coverage_segment_employee_start"
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="coverage_segment_end_after_start",
            ),
            # No two segments of an employee overlap (core range types: no extension).
            ExclusionConstraint(
                name="coverage_segment_no_overlap",
                expressions=[
                    (
                        models.Func(
                            models.F("employee_id"),
                            models.F("employee_id"),
                            models.Value("[]"),
                            function="int8range",
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                    (
                        models.Func(
                            models.F("start"),
                            models.F("end"),
                            models.Value("[]"),
                            function="daterange",
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]
        indexes = [
            # "Who is covered on the 1st of month M" over the pool; payroll and vesting.
            models.Index(
                fields=["start", "end"],
                name="coverage_segment_dates_idx",
                condition=~models.Q(tier="none"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.start}..{self.end or ''} {self.tier}"

    @property
    def source_enum(self) -> CoverageSource:
        return source_from_db(self.source)


# ---------------------------------------------------------------------------------------
# Family and beneficiaries
# ---------------------------------------------------------------------------------------


@history("DependentHistory")
class Dependent(models.Model):
    """A spouse or child covered on the employee's policy; the family shares one
    deductible (IV.A). A spouse who is also an employee of the plan (R-EL11) links to
    that employee."""

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", "Spouse"
        CHILD = "child", "Child"

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="dependents")
    relationship = models.CharField(max_length=10, choices=Relationship.choices)  # spouse|child
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)
    # R-EL11: the spouse's own employee record, when the spouse is employed in the plan.
    spouse_employee = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="dependent_records"
    )
    covered_from = models.DateField(null=True, blank=True)  # first day on the policy (None: always)
    ended_on = models.DateField(null=True, blank=True)  # last day on the policy; None = current
    end_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "relationship", "birth_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee"],
                condition=models.Q(relationship="spouse", ended_on__isnull=True),
                name="dependent_one_current_spouse",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.get_relationship_display()})"


@history("BeneficiaryDesignationHistory")
class BeneficiaryDesignation(models.Model):
    """III.D.7: a beneficiary named on the employee's signed beneficiary statement.

    The shares of an employee's current beneficiaries add up to at most 100 percent.
    """

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="beneficiaries")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=100)  # e.g. "spouse", "daughter", "estate"
    share_percent = models.DecimalField(max_digits=5, decimal_places=2)  # percent, 0.01 to 100.00
    signed_date = models.DateField()  # the day the statement was signed
    revoked_on = models.DateField(null=True, blank=True)  # None = current
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["employee_id", "-share_percent", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share_percent__gt=0) & models.Q(share_percent__lte=100),
                name="beneficiary_share_0_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship}) {self.share_percent}%"


# ---------------------------------------------------------------------------------------
# The plan's partners: the identifiers its files carry, and bank accounts
# ---------------------------------------------------------------------------------------


class BankAccountType(models.TextChoices):
    CHECKING = "checking", "Checking"
    SAVINGS = "savings", "Savings"


class TradingPartners(models.Model):
    """The identifiers the plan's exchange files carry, set by an administrator (one row).

    X12 (``accounts.exchange``): the plan receives 835 remittances from its claims
    administrator and sends 834 enrollment to the major-medical carrier; each party is an
    ISA qualifier and id. ACH (``staywell.nacha``): the plan's bank takes its NACHA files.
    """

    # The plan in X12 interchanges (ISA05/ISA06 as sender, ISA07/ISA08 as receiver; GS).
    plan_qualifier = models.CharField(max_length=2, default="ZZ")
    plan_id = models.CharField(max_length=15, blank=True, default="")
    plan_name = models.CharField(max_length=60, blank=True, default="")
    # The claims administrator, sender of the 835s (R-CL2).
    administrator_qualifier = models.CharField(max_length=2, default="ZZ")
    administrator_id = models.CharField(max_length=15, blank=True, default="")
    administrator_name = models.CharField(max_length=60, blank=True, default="")
    # The major-medical carrier, receiver of the 834s.
    carrier_qualifier = models.CharField(max_length=2, default="ZZ")
    carrier_id = models.CharField(max_length=15, blank=True, default="")
    carrier_name = models.CharField(max_length=60, blank=True, default="")
    carrier_tax_id = models.CharField(max_length=9, blank=True, default="")  # 834 N1*IN FI
    group_policy_number = models.CharField(max_length=50, blank=True, default="")  # 834 REF*38
    # The plan's bank (NACHA file header and batch headers).
    bank_routing_number = models.CharField(max_length=9, blank=True, default="")  # destination
    bank_name = models.CharField(max_length=23, blank=True, default="")
    immediate_origin = models.CharField(max_length=10, blank=True, default="")
    origin_name = models.CharField(max_length=23, blank=True, default="")
    company_name = models.CharField(max_length=16, blank=True, default="")
    company_id = models.CharField(max_length=10, blank=True, default="")
    # ISA13 of the last interchange the plan wrote (the next one is one more).
    last_interchange_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "trading partners"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="trading_partners_one_row"),
        ]

    def __str__(self) -> str:
        return "Trading partners"


class DirectDeposit(models.Model):
    """An employee's bank account for payouts from the side account (R-VE7) by ACH.

    The account number is stored encrypted and shown masked (``staywell.crypto``)."""

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, related_name="direct_deposit"
    )
    routing_number = models.CharField(max_length=9)  # ABA, nine digits, check digit checked
    account_number = EncryptedTextField()  # encrypted at rest; never shown in full
    account_type = models.CharField(
        max_length=10, choices=BankAccountType.choices, default=BankAccountType.CHECKING
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Direct deposit of {self.employee_id} to {self.account_masked}"

    def __repr__(self) -> str:
        return f"<DirectDeposit {self.pk}: {self.routing_number} {self.account_masked}>"

    @property
    def account_masked(self) -> str:
        return masked(self.account_number)

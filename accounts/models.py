"""The people of the plan: employers, programs, employees, and the plan-year data."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from accounts.rules import Tier, policy_year_label

MONEY = {"max_digits": 14, "decimal_places": 2}


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

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return policy_year_label(self.start_year)


class PremiumSchedule(models.Model):
    """Monthly premium rates of one tier in one plan year (R-PR1): three lines, two payers."""

    plan_year = models.ForeignKey(
        PlanYear, on_delete=models.CASCADE, related_name="premium_schedules"
    )
    tier = models.CharField(
        max_length=20, choices=[(t.value, t.label) for t in Tier if t != Tier.NONE]
    )
    # Dollars per month, each line split into the employer's and the employee's share.
    major_medical_employer = models.DecimalField(**MONEY, default=Decimal("0.00"))
    major_medical_employee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    trust_fund_employer = models.DecimalField(**MONEY, default=Decimal("0.00"))
    trust_fund_employee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    dental_employer = models.DecimalField(**MONEY, default=Decimal("0.00"))
    dental_employee = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["plan_year", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_year", "tier"], name="premium_schedule_unique_per_tier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_year.label} {self.get_tier_display()}"

    @property
    def employer_total(self) -> Decimal:
        return self.major_medical_employer + self.trust_fund_employer + self.dental_employer

    @property
    def employee_total(self) -> Decimal:
        return self.major_medical_employee + self.trust_fund_employee + self.dental_employee

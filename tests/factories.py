"""factory_boy factories shared by the integration, functional and e2e tests."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import User

from accounts.models import Employee, Employer, PlanYear, Program
from staywell.roles import role_group


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E{n:03d}")
    name = factory.Sequence(lambda n: f"Unified School District {n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    employer = factory.SubFactory(EmployerFactory)
    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Program {n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employer = factory.SubFactory(EmployerFactory)
    program = factory.SubFactory(ProgramFactory, employer=factory.SelfAttribute("..employer"))
    number = factory.Sequence(lambda n: f"{10000 + n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    birth_date = date(1950, 5, 17)
    hire_date = date(1980, 7, 1)
    status = Employee.Status.REGULAR
    weekly_hours = Decimal("40.00")


class PlanYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanYear
        django_get_or_create = ("start_year",)

    start_year = 1984


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            self.groups.add(role_group(extracted))


# --- Members and coverage (issue 3): history rows written through the services ----------


_HIRE_NUMBERS = itertools.count(50000)


def hire(**kwargs):
    """An employee hired through ``accounts.services.employee_hire`` (coverage computed).

    Defaults: a regular 40-hour employee hired 1980-07-01 at a fresh employer/program.
    """
    from accounts import services

    program = kwargs.pop("program", None) or ProgramFactory()
    values = {
        "employer_id": program.employer_id,
        "program_id": program.pk,
        "number": f"H{next(_HIRE_NUMBERS)}",
        "first_name": "Pat",
        "last_name": "Example",
        "hire_date": date(1980, 7, 1),
        "weekly_hours": Decimal("40.00"),
    }
    values.update(kwargs)
    return services.employee_hire(**values)


class PremiumScheduleFactory(factory.django.DjangoModelFactory):
    """A FULL-tier row of the 1983 schedule unless told otherwise (R-PR1)."""

    class Meta:
        model = "accounts.PremiumSchedule"
        django_get_or_create = ("plan_year", "tier")

    plan_year = factory.SubFactory(PlanYearFactory)
    tier = "full"
    major_medical_employer = Decimal("133.93")
    trust_fund_employer = Decimal("41.67")
    dental_employer = Decimal("30.00")


class DependentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Dependent"

    employee = factory.SubFactory(EmployeeFactory)
    relationship = "child"
    first_name = factory.Faker("first_name")
    last_name = factory.SelfAttribute("employee.last_name")
    birth_date = date(1975, 3, 2)


class BeneficiaryDesignationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.BeneficiaryDesignation"

    employee = factory.SubFactory(EmployeeFactory)
    name = factory.Faker("name")
    relationship = "spouse"
    share_percent = Decimal("100.00")
    signed_date = date(1980, 7, 1)

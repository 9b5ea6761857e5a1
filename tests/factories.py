"""factory_boy factories shared by the integration, functional and e2e tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from accounts.models import Employee, Employer, PlanYear, Program


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
            self.groups.add(Group.objects.get(name=extracted))

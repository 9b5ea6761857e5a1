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


# --- Members and coverage: history rows written through the services ---------------------


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


# --- Ledger helpers for the report tests --------------------------------------------------


def pay_claim(*, employee, amount, paid_on, service_date, payee_name="Ukiah Valley Medical Center"):
    """A trust-fund claim payment with its date of service (R-CL3, R-CL6), through the
    ledger service. Uses ``post_claim_payment(service_date=...)`` when the ledger has that
    keyword, else ``post_transaction`` with the period the keyword stores."""
    import inspect

    from vesting import ledger as ledger_ops
    from vesting.models import TransactionKind

    if "service_date" in inspect.signature(ledger_ops.post_claim_payment).parameters:
        return ledger_ops.post_claim_payment(
            employer=employee.employer_id,
            amount=Decimal(amount),
            effective_date=paid_on,
            service_date=service_date,
            employee=employee,
            payee_name=payee_name,
        )
    ledger = ledger_ops.ledger_accounts_for_employer(employee.employer_id)
    payee = ledger_ops.payee_account_for(ledger, name=payee_name)
    return ledger_ops.post_transaction(
        kind=TransactionKind.CLAIM_PAYMENT,
        effective_date=paid_on,
        lines=[
            ledger_ops.debit(payee, Decimal(amount)),
            ledger_ops.credit(ledger.general_trust, Decimal(amount)),
        ],
        employee=employee,
        employer=employee.employer_id,
        period_start=service_date,
        period_end=service_date,
        memo=f"Claim paid to {payee_name}",
    )


def mark_separated(employee, *, on, reason="resignation"):
    """Record a separation on the row only (no services): the report tests build their
    ledger entry by entry, and the separation service's listeners (vesting) would post
    vesting entries of their own."""
    Employee.objects.filter(pk=employee.pk).update(separation_date=on, separation_reason=reason)
    employee.refresh_from_db()
    return employee


def reports_scenario():
    """A small installation for the report pages: one employer with a year of
    ledger history to June 1985 and two employees with vested money.

    - ``ann`` (login ``employee1``): FULL tier since 1980, vested 1981-82 .. 1983-84, a
      claim in 1984-85; no beneficiary on file.
    - ``bob``: vested 777.77 for 1983-84, beneficiary "Secret Beneficiary".
    - months July 1984 .. June 1985 closed through ``vesting.ledger.month_close``;
      quarterly interest and an administrative expense.
    """
    from types import SimpleNamespace

    from accounts import services as member_services
    from accounts.demo import ensure_plan_years
    from vesting import ledger

    ensure_plan_years(1979, 1986)
    employer = EmployerFactory(code="MCS", name="Mendocino County Schools")
    program = ProgramFactory(employer=employer, code="0100", name="General administration")
    user = UserFactory(username="employee1", role="employee")
    ann = hire(program=program, number="1001", first_name="Ann", last_name="Able", user=user)
    bob = hire(program=program, number="1002", first_name="Bob", last_name="Baker")
    hire(
        program=program,
        number="1003",
        first_name="Cal",
        last_name="Cole",
        weekly_hours=Decimal("25.00"),
    )
    member_services.beneficiary_designate(
        employee=bob,
        name="Secret Beneficiary",
        relationship="spouse",
        share_percent=Decimal("100.00"),
        signed_date=date(1980, 7, 1),
    )
    for year, amount in ((1981, "412.50"), (1982, "500.00"), (1983, "318.25")):
        ledger.post_vesting_transfer(employee=ann, amount=Decimal(amount), policy_year=year)
    ledger.post_vesting_transfer(employee=bob, amount=Decimal("777.77"), policy_year=1983)
    for month in range(12):
        first = date(1984 + (6 + month) // 12, (6 + month) % 12 + 1, 1)
        ledger.month_close(employer_id=employer.pk, year=first.year, month=first.month)
    pay_claim(
        employee=ann, amount="120.00", paid_on=date(1984, 10, 5), service_date=date(1984, 9, 20)
    )
    pay_claim(
        employee=bob, amount="610.00", paid_on=date(1985, 2, 5), service_date=date(1985, 1, 9)
    )
    for end in (date(1984, 9, 30), date(1984, 12, 31), date(1985, 3, 31), date(1985, 6, 30)):
        ledger.post_interest(
            employer=employer,
            amount=Decimal("55.25"),
            period_start=date(end.year, end.month - 2, 1),
            period_end=end,
            earned_by="general_trust",
        )
    ledger.post_administrative_expense(
        employer=employer,
        amount=Decimal("90.00"),
        period_start=date(1985, 4, 1),
        period_end=date(1985, 6, 30),
        description="Claims administration",
    )
    return SimpleNamespace(employer=employer, program=program, ann=ann, bob=bob, user=user)


# --- Claims ----------------------------------------------------------------------------------


def claims_family(**kwargs):
    """A FULL-tier policyholder (hired 1983-07-01, covered from 1983-08-01, R-EL6) with a
    spouse and a child, and the plan years 1983-84 .. 1985-86 set up ($500 deductible).

    Returns ``(employee, spouse, child)``; keyword arguments go to :func:`hire`.
    """
    from accounts import services

    for year in (1983, 1984, 1985):
        PlanYearFactory(start_year=year)
    values = {"hire_date": date(1983, 7, 1), "last_name": "Castillo", "first_name": "Linda"}
    values.update(kwargs)
    employee = hire(**values)
    spouse = services.dependent_add(
        employee=employee, relationship="spouse", first_name="Ramon", last_name="Castillo"
    )
    child = services.dependent_add(
        employee=employee, relationship="child", first_name="Sofia", last_name="Castillo"
    )
    return employee, spouse, child


def retained_marriage(*, program=None, wife_program=None, **kwargs):
    """Robert Okafor and Grace Lindqvist, married on 1984-08-20 with Robert's policy
    retained (R-EL11: Grace's claims go to his family). Both are employees of ``program``
    (a new one by default), Grace of ``wife_program`` when given (another employer);
    other keyword arguments go to :func:`hire` for both. Returns ``(husband, wife)``."""
    from accounts import services

    program = program or ProgramFactory()
    husband = hire(program=program, first_name="Robert", last_name="Okafor", **kwargs)
    wife = hire(
        program=wife_program or program, first_name="Grace", last_name="Lindqvist", **kwargs
    )
    services.employees_marry(
        employee_a_id=husband.pk,
        employee_b_id=wife.pk,
        married_on=date(1984, 8, 20),
        retained_id=husband.pk,
    )
    return husband, wife


def enter_claim(employee, allowed, *, number=None, billed=None, **kwargs):
    """``claims.services.claim_enter`` with defaults: the employee as patient, service on
    1984-10-15, provider "Ukiah Valley Medical Center", billed = allowed."""
    from claims import services

    values = {
        "employee": employee,
        "date_of_service": date(1984, 10, 15),
        "provider": "Ukiah Valley Medical Center",
        "admin_claim_number": number or f"A{next(_CLAIM_NUMBERS)}",
        "billed": billed or allowed,
        "allowed": allowed,
    }
    values.update(kwargs)
    return services.claim_enter(**values)


_CLAIM_NUMBERS = itertools.count(840001)


import contextlib  # noqa: E402 - appended with the claims helpers


@contextlib.contextmanager
def celery_eager():
    """Run Celery tasks in this process while the block runs (the app's configuration is
    read once, so a settings override alone would come too late)."""
    from staywell.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def close_policy_year(employer, year: int) -> None:
    """Close the twelve months of policy year ``year`` (July..June) for ``employer``, in
    order, through the ledger's month close (the rollover waits for them)."""
    from vesting import ledger

    for index in range(12):
        month = 7 + index
        ledger.month_close(
            employer_id=employer.pk,
            year=year + (month - 1) // 12,
            month=(month - 1) % 12 + 1,
        )


def roll(*years: int, reason: str = "No month closes in this data set.") -> None:
    """The July 1 rollover of each policy year, on its July 1 (R-VE3), for data sets with no
    month closes (the administrator's override, with ``reason``)."""
    from vesting import rollover

    for year in years:
        run = rollover.rollover_start(
            policy_year=year, today=date(year + 1, 7, 1), queue=False, override_reason=reason
        )
        rollover.rollover_execute(run.pk)


# --- Plan economics ----------------------------------------------------------------------------


def economics_scenario():
    """An employer with two years of plan history for the economics pages (section 8),
    worked by hand in ``tests/functional/test_economics_pages.py``: Ann and Bob, FULL
    tier since 1980; contributions of 83.34 a month from July 1983 to June 1985; claims
    entered through the claims services (Ann 300.00 and Bob 1,200.00 in 1983-84, Ann
    100.00 preventive and Bob 450.00 in 1984-85); the 1983-84 rollover on July 1, 1984;
    interest 30.00, 25.00, 25.00 and costs 20.00, 40.00. The ledger ends June 30, 1985,
    the reporting day. Returns the employer ("SWD", "Stay Well District")."""
    from vesting import ledger, rollover

    for year in (1984, 1985):
        PremiumScheduleFactory(plan_year=PlanYearFactory(start_year=year))
    employer = EmployerFactory(code="SWD", name="Stay Well District")
    program = ProgramFactory(employer=employer, code="0100", name="General administration")
    ann = hire(program=program, number="1", first_name="Ann", last_name="Able")
    bob = hire(program=program, number="2", first_name="Bob", last_name="Baker")
    for index in range(24):
        year, month = 1983 + (6 + index) // 12, (6 + index) % 12 + 1
        ledger.post_employer_contribution(
            employer=employer, year=year, month=month, amount=Decimal("83.34")
        )

    def claim(employee, allowed, service, paid, category):
        enter_claim(
            employee,
            Decimal(allowed),
            date_of_service=service,
            received_on=paid,
            paid_on=paid,
            today=paid,
            service_category=category,
        )

    claim(ann, "300.00", date(1983, 12, 15), date(1984, 1, 10), "office")
    claim(bob, "1200.00", date(1984, 3, 1), date(1984, 3, 20), "hospital")
    run = rollover.rollover_start(
        policy_year=1983, today=date(1984, 7, 1), queue=False, override_reason="No closes here"
    )
    rollover.rollover_execute(run.pk)
    claim(ann, "100.00", date(1984, 7, 20), date(1984, 8, 1), "preventive")
    claim(bob, "450.00", date(1985, 2, 10), date(1985, 3, 1), "office")
    for day, interest, cost in (
        (date(1984, 6, 30), "30.00", "20.00"),
        (date(1984, 12, 31), "25.00", None),
        (date(1985, 6, 30), "25.00", "40.00"),
    ):
        ledger.post_interest(
            employer=employer,
            amount=Decimal(interest),
            period_start=day.replace(day=1),
            period_end=day,
            earned_by="general_trust",
            today=day,
        )
        if cost:
            ledger.post_administrative_expense(
                employer=employer,
                amount=Decimal(cost),
                period_start=day.replace(day=1),
                period_end=day,
                description="Claims administration",
                today=day,
            )
    return employer

"""Demonstration members: a Mendocino-like county schools office and two small districts.

``seed_members()`` builds them through ``accounts.services`` (so every coverage timeline is
computed by the rules), deterministically from a random seed; ``seed_demo`` calls it.
``ensure_plan_years()`` writes the plan years 1979-80 .. 1986-87 with premium schedules
(also used by ``generate_pool``).

Decision (premium schedules other than 1983, which is R-PR1 as printed): earlier years
a little lower (major medical 112.40 in 1979-80 rising to 129.10 in 1982-83, dental
26.00..29.00); from 1984-85 the revised schedule (major medical 141.30, dental 34.00 for
the FULL tier and 25.50 employer / 8.50 employee for THREE_QUARTER). The trust-fund line
is the deductible / 12 (41.67) every year. SELF_PAY pays the entire cost; GRANDFATHERED
is derived from the FULL row and the plan-year share (0.50).

Decision (a demo that lives today): ``seed_members(years=N)`` builds the same office on
the plan's own calendar moved N years on (every date, birth dates too; February 29 to
February 28), so that its last completed year is the one before today's. Nobody can be
grandfathered then (R-EL5 names June 30, 1979): those employees enroll at their own
cost. ``first_hire_year`` (on the plan's own calendar) sets how far back hiring starts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from accounts import rules, services
from accounts.models import Employee, Employer, PlanYear, Program

FAMILY_EMPLOYER = "MCOE"
FAMILY_NUMBER = "1001"

FIRST_NAMES = (
    "Mary Linda Patricia Barbara Susan Nancy Karen Donna Carol Sharon Judith Janet Ruth "
    "Diane Joyce Carolyn Gloria Teresa Rosa Elena Maria Ana Alice Frances Jean Ellen "
    "James Robert John Michael William David Richard Charles Joseph Thomas Donald Ronald "
    "Gary Larry Daniel Paul Kenneth Steven Dennis Jerry Frank Raymond Gerald Roger Juan "
    "Carlos Jose Manuel Luis Walter Harold Dale Wayne Glenn"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Miller Davis Garcia Rodriguez Wilson Martinez "
    "Anderson Taylor Thomas Hernandez Moore Martin Jackson Thompson White Lopez Lee "
    "Gonzalez Harris Clark Lewis Robinson Walker Perez Hall Young Allen Sanchez Wright "
    "King Scott Green Baker Adams Nelson Hill Ramirez Campbell Mitchell Roberts Carter "
    "Phillips Evans Turner Torres Parker Collins Edwards Stewart Flores Morris Nguyen "
    "Murphy Rivera Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez Kelly Howard "
    "Ward Cox Diaz Richardson Wood Watson Brooks Bennett Gray James Reyes Cruz Hughes "
    "Price Myers Long Foster Sanders Ross Morales Powell Sullivan Russell Ortiz Jenkins"
).split()

MCOE_PROGRAMS = (
    ("0100", "General administration", False),
    ("1100", "Regional occupational program", False),
    ("3550", "Migrant education", True),
    ("5700", "State preschool", True),
    ("6500", "Special education", True),
    ("7200", "Business services", False),
    ("8100", "Maintenance and operations", False),
    ("0740", "Outdoor school", False),
)
DISTRICT_PROGRAMS = (
    ("0000", "Regular instruction", False),
    ("6500", "Special education", True),
    ("8100", "Maintenance and operations", False),
)


# ---------------------------------------------------------------------------------------
# Plan years
# ---------------------------------------------------------------------------------------


def _rates(
    mm: str, tf: str, dental_full: str, dental_3q_employer: str
) -> dict[rules.Tier, rules.PremiumRates]:
    full_dental = Decimal(dental_full)
    three_quarter_employer = Decimal(dental_3q_employer)
    zero = Decimal("0.00")
    major = Decimal(mm)
    return {
        rules.Tier.FULL: rules.PremiumRates(major, zero, Decimal(tf), zero, full_dental, zero),
        rules.Tier.THREE_QUARTER: rules.PremiumRates(
            major, zero, zero, zero, three_quarter_employer, full_dental - three_quarter_employer
        ),
        rules.Tier.SELF_PAY: rules.PremiumRates(zero, major, zero, zero, zero, full_dental),
    }


EARLIER = {
    1979: ("112.40", "26.00", "19.50"),
    1980: ("118.60", "27.00", "20.25"),
    1981: ("124.20", "28.00", "21.00"),
    1982: ("129.10", "29.00", "21.75"),
}


def schedule_for_year(start_year: int) -> dict[rules.Tier, rules.PremiumRates]:
    """The demonstration premium schedule of a plan year (see the module's Decision)."""
    trust_fund = "41.67"
    if start_year == 1983:
        return dict(rules.SCHEDULE_1983)  # R-PR1 as printed
    if start_year > 1983:
        return _rates("141.30", trust_fund, "34.00", "25.50")
    mm, dental, dental_3q = EARLIER.get(start_year, EARLIER[1979])
    return _rates(mm, trust_fund, dental, dental_3q)


@transaction.atomic
def ensure_plan_years(first: int = 1979, last: int = 1986, *, years: int = 0) -> None:
    """Create the plan years ``first``..``last`` that are missing, with schedules (those
    of the plan's own years ``years`` earlier).

    Plan years that exist already (such as 1983 from the data migration, or one an
    administrator edited) are left as they are.
    """
    existing = set(PlanYear.objects.values_list("start_year", flat=True))
    for start_year in range(first, last + 1):
        if start_year not in existing:
            services.plan_year_set_schedule(
                start_year=start_year, rates=schedule_for_year(start_year - years)
            )


# ---------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------


def shifted(day: date, years: int) -> date:
    """``day`` ``years`` years on; February 29 becomes February 28 in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass
class _Maker:
    rng: random.Random
    employer: Employer
    programs: list[Program]
    next_number: int = 1001
    years: int = 0  # the calendar shift: 0 for the plan's own history (module doc)
    first_hire_year: int = 1979  # on the plan's own calendar

    def on(self, year: int, month: int, day: int) -> date:
        """A day of the plan's own calendar moved ``years`` on (module doc)."""
        return shifted(date(year, month, day), self.years)

    def number(self) -> str:
        value = str(self.next_number)
        self.next_number += 1
        return value

    def hire(self, **kwargs: Any) -> Employee:
        program = kwargs.pop("program", None) or self.rng.choice(self.programs)
        values: dict[str, Any] = {
            "employer_id": self.employer.pk,
            "program_id": program.pk,
            "number": self.number(),
            "first_name": self.rng.choice(FIRST_NAMES),
            "last_name": self.rng.choice(LAST_NAMES),
            "birth_date": self.on(self.rng.randint(1925, 1962), self.rng.randint(1, 12), 15),
        }
        values.update(kwargs)
        return services.employee_hire(**values)

    def hire_date(self, start: date | None = None, end: date | None = None) -> date:
        start = start or self.on(self.first_hire_year, 1, 2)
        end = end or self.on(1986, 5, 30)
        day = start + timedelta(days=self.rng.randint(0, (end - start).days))
        return day if day.weekday() < 5 else day + timedelta(days=7 - day.weekday())

    def family(self, employee: Employee, *, spouse: bool, children: int) -> None:
        if spouse:
            services.dependent_add(
                employee=employee,
                relationship="spouse",
                first_name=self.rng.choice(FIRST_NAMES),
                last_name=employee.last_name,
                birth_date=employee.birth_date + timedelta(days=self.rng.randint(-900, 900))
                if employee.birth_date
                else None,
            )
        for _ in range(children):
            born = self.on(self.rng.randint(1962, 1985), self.rng.randint(1, 12), 10)
            services.dependent_add(
                employee=employee,
                relationship="child",
                first_name=self.rng.choice(FIRST_NAMES),
                last_name=employee.last_name,
                birth_date=born,
            )

    def beneficiaries(self, employee: Employee, *, spouse: bool) -> None:
        signed = employee.hire_date + timedelta(days=self.rng.randint(0, 20))
        if spouse:
            services.beneficiary_designate(
                employee=employee,
                name=f"{self.rng.choice(FIRST_NAMES)} {employee.last_name}",
                relationship="spouse",
                share_percent=Decimal("100"),
                signed_date=signed,
            )
        else:
            for share in (Decimal("50"), Decimal("50")):
                services.beneficiary_designate(
                    employee=employee,
                    name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
                    relationship=self.rng.choice(["son", "daughter", "sister", "brother"]),
                    share_percent=share,
                    signed_date=signed,
                )


def _programs(employer: Employer, rows: tuple[tuple[str, str, bool], ...]) -> list[Program]:
    return [
        services.program_create(
            employer_id=employer.pk, code=code, name=name, categorically_funded=categorical
        )
        for code, name, categorical in rows
    ]


def _populate(maker: _Maker, size: int, *, history: bool) -> None:
    """``size`` employees with a realistic mix of tiers, history, family and beneficiaries."""
    rng = maker.rng
    for index in range(size):
        roll = rng.random()
        hire_date = maker.hire_date()
        kwargs: dict[str, Any] = {"hire_date": hire_date}
        if roll < 0.70:
            kwargs["weekly_hours"] = rng.choice([Decimal("40"), Decimal("40"), Decimal("37.5")])
        elif roll < 0.85:
            kwargs["weekly_hours"] = rng.choice([Decimal("20"), Decimal("24"), Decimal("27.5")])
        elif roll < 0.90:
            kwargs["weekly_hours"] = rng.choice([Decimal("12"), Decimal("15"), Decimal("17.5")])
            kwargs["self_pay_enrolled"] = rng.random() < 0.6
        else:
            kwargs["status"] = "temporary"
            kwargs["weekly_hours"] = rng.choice([Decimal("20"), Decimal("30"), Decimal("40")])
        employee = maker.hire(**kwargs)
        if history and index % 9 == 4 and hire_date < maker.on(1984, 6, 1):
            # An increase: a three-quarter employee goes full time (R-EL7), a temporary is
            # placed on regular status (II.E).
            services.employee_change_hours(
                employee=employee,
                effective_date=hire_date + timedelta(days=rng.randint(200, 600)),
                weekly_hours=Decimal("40"),
                status="regular",
            )
        elif (
            history
            and index % 11 == 6
            and employee.weekly_hours >= 30
            and hire_date < maker.on(1985, 6, 1)
        ):
            # A reduction (R-EL8), effective in November; every other one elects to continue.
            year = max(hire_date.year - maker.years + 1, 1981)
            change = services.employee_change_hours(
                employee=employee, effective_date=maker.on(year, 11, 1), weekly_hours=Decimal("25")
            )
            if index % 2 == 0:
                services.continuation_elect(
                    employee=employee, reduction_id=change.pk, elected_on=maker.on(year, 11, 8)
                )
        regular_full = employee.status == "regular" and employee.weekly_hours >= 20
        if regular_full and rng.random() < 0.55:
            married = rng.random() < 0.8
            maker.family(employee, spouse=married, children=rng.choice([0, 1, 1, 2, 2, 3]))
            if rng.random() < 0.9:
                maker.beneficiaries(employee, spouse=married)
        elif rng.random() < 0.75:
            maker.beneficiaries(employee, spouse=False)


def _separations(maker: _Maker, keep: list[int]) -> None:
    """A few separations of each kind, with a retiree continuing coverage (R-VE8)."""
    employees = list(
        Employee.objects.filter(
            employer=maker.employer, status="regular", hire_date__lt=maker.on(1983, 1, 1)
        )
        .exclude(pk__in=keep)
        .order_by("number")
    )
    plan = [
        ("resignation", maker.on(1984, 3, 16)),
        ("retirement", maker.on(1985, 6, 28)),
        ("change_of_employer", maker.on(1985, 8, 30)),
        ("resignation", maker.on(1983, 12, 20)),
        ("death", maker.on(1985, 2, 3)),
    ]
    for (reason, day), employee in zip(plan, employees[5::13], strict=False):
        if employee.hours_changes.filter(effective_date__gt=day).exists():
            continue
        services.employee_separate(employee=employee, separation_date=day, reason=reason)
        if reason == "retirement":
            services.separation_continuation_elect(
                employee=employee, elected_on=day, until=None, dental=True
            )


@transaction.atomic
def seed_members(
    *,
    seed: int = 1983,
    employee_user: User | None = None,
    years: int = 0,
    first_hire_year: int = 1979,
) -> Employee:
    """Build the demonstration members (idempotent); return the family employee.

    ``years`` moves the plan's own calendar on by that many years and ``first_hire_year``
    (on the plan's own calendar) is the year of the earliest hires (module doc).

    Mendocino County Office of Education: ~170 employees across eight programs (hires
    1979-1986, FULL, THREE_QUARTER, self-pay, grandfathered, temporaries, increases,
    reductions with and without continuation elections, separations of each kind, a
    married couple both employed (R-EL11), dependents, beneficiaries for most). Ukiah
    and Potter Valley: 30 and 14 employees. ``employee_user`` (the demo "employee"
    login) is linked to the family employee: FULL tier, a spouse and two children.
    """
    existing = demo_family_employee()
    if existing is not None:
        if employee_user is not None and existing.user_id != employee_user.pk:
            existing = services.employee_link_user(employee=existing, user=employee_user)
        return existing
    ensure_plan_years(min(first_hire_year, 1979) + years, 1986 + years, years=years)
    rng = random.Random(seed)

    mcoe = services.employer_create(code="MCOE", name="Mendocino County Office of Education")
    programs = _programs(mcoe, MCOE_PROGRAMS)
    maker = _Maker(rng, mcoe, programs, years=years, first_hire_year=first_hire_year)

    family = _seed_family(maker, programs)
    _seed_under_twenty(maker)
    husband, wife = _seed_couple(maker)
    _populate(maker, 165, history=True)
    _separations(maker, keep=[family.pk, husband.pk, wife.pk])
    _seed_districts(rng, years=years, first_hire_year=first_hire_year)

    if employee_user is not None:
        family = services.employee_link_user(employee=family, user=employee_user)
    return family


def _seed_family(maker: _Maker, programs: list[Program]) -> Employee:
    """The family employee of the demo "employee" login: FULL tier, a spouse and two
    children, the spouse as beneficiary."""
    family = maker.hire(
        number=FAMILY_NUMBER,
        first_name="Linda",
        last_name="Castillo",
        birth_date=maker.on(1946, 4, 12),
        hire_date=maker.on(1980, 8, 4),
        weekly_hours=Decimal("40"),
        program=programs[4],
    )
    services.dependent_add(
        employee=family,
        relationship="spouse",
        first_name="Ramon",
        last_name="Castillo",
        birth_date=maker.on(1944, 9, 30),
    )
    for name, born in (("Sofia", maker.on(1972, 2, 8)), ("Miguel", maker.on(1975, 11, 21))):
        services.dependent_add(
            employee=family,
            relationship="child",
            first_name=name,
            last_name="Castillo",
            birth_date=born,
        )
    services.beneficiary_designate(
        employee=family,
        name="Ramon Castillo",
        relationship="spouse",
        share_percent=Decimal("100"),
        signed_date=maker.on(1980, 8, 4),
    )
    return family


def _seed_under_twenty(maker: _Maker) -> None:
    """Employees under 20 hours: grandfathered (R-EL5) and enrolled at their own cost
    (R-EL4)."""
    # Grandfathered (R-EL5): under 20 hours, employed June 30, 1979; on a moved calendar
    # nobody can be, and they enroll at their own cost instead.
    for hours, elected in ((Decimal("15"), True), (Decimal("12"), True), (Decimal("18"), False)):
        grandfathered = maker.years == 0
        maker.hire(
            hire_date=maker.hire_date(maker.on(1979, 1, 2), maker.on(1979, 6, 15)),
            weekly_hours=hours,
            grandfathered=grandfathered,
            grandfathered_elected=elected,
            self_pay_enrolled=not grandfathered and elected,
        )

    # Under 20 hours, enrolled by paying the entire cost (R-EL4).
    for hours in (Decimal("16"), Decimal("10")):
        maker.hire(
            hire_date=maker.hire_date(maker.on(1981, 1, 2), maker.on(1983, 6, 15)),
            weekly_hours=hours,
            self_pay_enrolled=True,
        )


def _seed_couple(maker: _Maker) -> tuple[Employee, Employee]:
    """A married couple, both employed and enrolled (R-EL11); the husband's policy kept."""
    husband = maker.hire(
        first_name="Robert",
        last_name="Okafor",
        hire_date=maker.on(1980, 9, 2),
        weekly_hours=Decimal("40"),
        birth_date=maker.on(1950, 1, 5),
    )
    wife = maker.hire(
        first_name="Grace",
        last_name="Lindqvist",
        hire_date=maker.on(1981, 1, 5),
        weekly_hours=Decimal("40"),
        birth_date=maker.on(1952, 7, 19),
    )
    services.employees_marry(
        employee_a_id=husband.pk,
        employee_b_id=wife.pk,
        married_on=maker.on(1983, 9, 17),
        retained_id=husband.pk,
    )
    services.beneficiary_designate(
        employee=husband,
        name="Grace Okafor",
        relationship="spouse",
        share_percent=Decimal("100"),
        signed_date=maker.on(1983, 9, 20),
    )
    return husband, wife


def _seed_districts(rng: random.Random, *, years: int, first_hire_year: int) -> None:
    """Ukiah and Potter Valley: 30 and 14 employees, no history."""
    for code, name, size in (
        ("UKIAH", "Ukiah Unified School District", 30),
        ("POTTER", "Potter Valley Community Unified School District", 14),
    ):
        employer = services.employer_create(code=code, name=name)
        programs = _programs(employer, DISTRICT_PROGRAMS)
        district = _Maker(rng, employer, programs, 2001, years, first_hire_year)
        _populate(district, size, history=False)


def demo_family_employee() -> Employee | None:
    """The FULL-tier employee with a family that the demo "employee" login belongs to."""
    return Employee.objects.filter(employer__code=FAMILY_EMPLOYER, number=FAMILY_NUMBER).first()

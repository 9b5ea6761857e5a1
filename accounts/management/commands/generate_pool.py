"""Generate a synthetic statewide pool for benchmarks, fast.

    manage.py generate_pool --employers 300 --employees 100000 --years 10 --seed 1

Rows are written with PostgreSQL COPY (psycopg 3), never through per-employee service
calls: employers and programs, employees, their hours history, continuation elections,
the materialized coverage segments, dependents and beneficiaries. The segments come
from the pure ``accounts.rules.coverage_timeline`` (no database access, ~30 us per
employee), so the pool's coverage is exactly what the services would have computed.
Everything happens in one transaction: a failure leaves nothing behind.

The mix (Decision, loosely after the 1986 Washington survey of 296 districts): employer
sizes are skewed (a few large districts, many small ones); about 70% of employees are
FULL-tier regulars, 14% work 20-29 hours, 5% under 20 (half of them enroll at their own
cost), 8% are temporaries (a third of whom are later placed on regular status); 15%
have an hours change, 12% have separated; 55% have a spouse or children on the policy
and 85% a beneficiary on file. Hire dates spread over the ``--years`` policy years
ending with ``--until``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts import rules
from accounts.demo import FIRST_NAMES, LAST_NAMES, ensure_plan_years
from accounts.models import Employer, source_to_db
from staywell.db import analyze

PROGRAM_NAMES = (
    ("0000", "Regular instruction", False),
    ("0100", "General administration", False),
    ("6500", "Special education", True),
    ("3550", "Migrant education", True),
    ("5700", "Child development", True),
    ("7200", "Business services", False),
    ("8100", "Maintenance and operations", False),
    ("3600", "Pupil transportation", False),
    ("3700", "Food services", False),
    ("1100", "Regional occupational program", False),
    ("4035", "School improvement", True),
    ("7110", "Board and superintendent", False),
)
REASONS = ("resignation", "resignation", "resignation", "retirement", "change_of_employer", "death")
HOURS_FULL = (
    Decimal("40.00"),
    Decimal("40.00"),
    Decimal("40.00"),
    Decimal("37.50"),
    Decimal("30.00"),
)
HOURS_3Q = (Decimal("20.00"), Decimal("24.00"), Decimal("25.00"), Decimal("27.50"))
HOURS_LOW = (Decimal("10.00"), Decimal("12.00"), Decimal("15.00"), Decimal("17.50"))


class Command(BaseCommand):
    help = "Generate a synthetic pool of employers and employees with COPY (benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--employers", type=int, default=300)
        parser.add_argument("--employees", type=int, default=100_000)
        parser.add_argument("--years", type=int, default=10, help="policy years of history")
        parser.add_argument("--until", type=int, default=1986, help="last policy year (start)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--prefix", default="G", help="employer code prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        employers, employees = options["employers"], options["employees"]
        if employers < 1 or employees < employers:
            raise CommandError("need at least one employer and one employee per employer")
        prefix = options["prefix"]
        if Employer.objects.filter(code__startswith=prefix).exists():
            raise CommandError(
                f"employers with codes starting {prefix!r} exist already; choose --prefix"
            )
        started = time.perf_counter()
        generator = PoolGenerator(
            rng=random.Random(options["seed"]),
            first_year=options["until"] - options["years"] + 1,
            last_year=options["until"],
            prefix=prefix,
        )
        with transaction.atomic():
            ensure_plan_years(generator.first_year - 1, generator.last_year)
            counts = generator.run(employers=employers, employees=employees)
        analyze(*TABLES)  # as the tables' owner (staywell.db.analyze)
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(f"generate_pool: {summary} in {elapsed:.1f} s")


TABLES = (
    "accounts_employer",
    "accounts_program",
    "accounts_employee",
    "accounts_hourschange",
    "accounts_continuationelection",
    "accounts_coveragesegment",
    "accounts_dependent",
    "accounts_beneficiarydesignation",
)


def _reserve_ids(cursor: Any, table: str, count: int) -> int:
    """Reserve ``count`` consecutive ids of ``table``; returns the first."""
    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
    first = cursor.fetchone()[0]
    if count > 1:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, first + count - 1]
        )
    return int(first)


class PoolGenerator:
    def __init__(self, *, rng: random.Random, first_year: int, last_year: int, prefix: str):
        self.rng = rng
        self.first_year = first_year
        self.last_year = last_year
        self.prefix = prefix
        self.now: datetime = timezone.now()
        self.span_start = date(first_year, 7, 1) - timedelta(days=365 * 2)
        self.span_end = date(last_year + 1, 5, 31)

    # -- shapes ---------------------------------------------------------------------------

    def sizes(self, employers: int, employees: int) -> list[int]:
        """Skewed employer sizes summing to ``employees`` (each at least 1)."""
        weights = [self.rng.lognormvariate(0, 1.1) for _ in range(employers)]
        total = sum(weights)
        sizes = [max(1, int(employees * w / total)) for w in weights]
        difference = employees - sum(sizes)
        index = 0
        while difference != 0:
            position = index % employers
            if difference > 0:
                sizes[position] += 1
                difference -= 1
            elif sizes[position] > 1:
                sizes[position] -= 1
                difference += 1
            index += 1
        return sizes

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def person(self) -> dict[str, Any]:
        """One employee: hire state, later history, separation (plain values)."""
        rng = self.rng
        hire = self.day_between(self.span_start, self.span_end)
        roll = rng.random()
        status, self_pay, grandfathered = "regular", False, False
        if roll < 0.73:
            hours = rng.choice(HOURS_FULL)
        elif roll < 0.87:
            hours = rng.choice(HOURS_3Q)
        elif roll < 0.92:
            hours = rng.choice(HOURS_LOW)
            self_pay = rng.random() < 0.5
            grandfathered = hire <= date(1979, 6, 30) and rng.random() < 0.5
        else:
            status, hours = "temporary", rng.choice(HOURS_FULL + HOURS_3Q)
        changes = [(hire, status, hours)]
        elected: date | None = None
        horizon = self.span_end
        if rng.random() < 0.15 and (horizon - hire).days > 120:
            day = self.day_between(hire + timedelta(days=60), horizon)
            if status == "temporary" and rng.random() < 0.5:
                changes.append((day, "regular", rng.choice(HOURS_FULL)))
            elif status == "regular" and hours >= 30 and rng.random() < 0.6:
                changes.append((day, status, rng.choice(HOURS_3Q)))
                outcome = rules.reduction_outcome(day)
                if day >= rules.coverage_start_for_hire(hire) and outcome.election_offered:
                    if rng.random() < 0.4:
                        elected = day
            else:
                changes.append((day, status, rng.choice(HOURS_FULL)))
        separation: tuple[date, str] | None = None
        if rng.random() < 0.12:
            day = self.day_between(changes[-1][0] + timedelta(days=1), horizon)
            separation = (day, rng.choice(REASONS))
        return {
            "hire": hire,
            "status": changes[-1][1],
            "hours": changes[-1][2],
            "changes": changes,
            "elected": elected,
            "self_pay": self_pay,
            "grandfathered": grandfathered,
            "separation": separation,
        }

    # -- writing --------------------------------------------------------------------------

    def run(self, *, employers: int, employees: int) -> dict[str, int]:
        sizes = self.sizes(employers, employees)
        people = [self.person() for _ in range(employees)]
        with connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # the psycopg 3 cursor
            employer_first = _reserve_ids(cursor, "accounts_employer", employers)
            program_counts = [min(len(PROGRAM_NAMES), 3 + size // 150) for size in sizes]
            program_first = _reserve_ids(cursor, "accounts_program", sum(program_counts))
            employee_first = _reserve_ids(cursor, "accounts_employee", employees)
            change_total = sum(len(p["changes"]) for p in people)
            change_first = _reserve_ids(cursor, "accounts_hourschange", change_total)
            self.write_employers(cursor, employer_first, employers)
            programs_of = self.write_programs(cursor, program_first, employer_first, program_counts)
            rows = PoolRows(next_employee=employee_first, next_change=change_first)
            for employer_index, size in enumerate(sizes):
                self.add_employer_members(
                    rows, employer_first + employer_index, size, programs_of[employer_index], people
                )
            rows.write(cursor)
        return {
            "employers": employers,
            "programs": sum(len(mine) for mine in programs_of),
            **rows.counts(),
        }

    def write_employers(self, cursor: Any, employer_first: int, employers: int) -> None:
        with cursor.copy("COPY accounts_employer (id, code, name) FROM STDIN") as copy:
            for index in range(employers):
                copy.write_row(
                    (
                        employer_first + index,
                        f"{self.prefix}{index + 1:04d}",
                        f"Synthetic School District {self.prefix}{index + 1:04d}",
                    )
                )

    def write_programs(
        self, cursor: Any, program_first: int, employer_first: int, program_counts: list[int]
    ) -> list[list[tuple[int, bool]]]:
        """Each employer's first programs of ``PROGRAM_NAMES``; per employer, the
        ``(program id, categorically funded)`` pairs."""
        programs_of: list[list[tuple[int, bool]]] = []
        program_id = program_first
        with cursor.copy(
            "COPY accounts_program (id, employer_id, code, name, categorically_funded) FROM STDIN"
        ) as copy:
            for index, count in enumerate(program_counts):
                mine = []
                for code, name, categorical in PROGRAM_NAMES[:count]:
                    copy.write_row((program_id, employer_first + index, code, name, categorical))
                    mine.append((program_id, categorical))
                    program_id += 1
                programs_of.append(mine)
        return programs_of

    def add_employer_members(
        self,
        rows: PoolRows,
        employer_id: int,
        size: int,
        programs: list[tuple[int, bool]],
        people: list[dict[str, Any]],
    ) -> None:
        """The rows of one employer's ``size`` employees, numbered from 1; programs
        that are not categorically funded are three times as likely."""
        weights = [3 if not categorical else 1 for _, categorical in programs]
        program_ids = [pid for pid, _ in programs]
        for number in range(1, size + 1):
            employee_id = rows.next_employee
            person = people[employee_id - rows.first_employee]
            last, born = self.add_employee(
                rows, employee_id, employer_id, number, person, program_ids, weights
            )
            self.add_history(rows, employee_id, person)
            self.add_family(rows, employee_id, person, last, born)
            rows.next_employee += 1

    def add_employee(
        self,
        rows: PoolRows,
        employee_id: int,
        employer_id: int,
        number: int,
        person: dict[str, Any],
        program_ids: list[int],
        weights: list[int],
    ) -> tuple[str, date]:
        """The employee's row; returns the last name and birth date the family shares."""
        rng = self.rng
        last = rng.choice(LAST_NAMES)
        born = person["hire"] - timedelta(days=rng.randint(21 * 365, 60 * 365))
        separation = person["separation"]
        rows.employees.append(
            (
                employee_id,
                employer_id,
                str(number),
                rng.choice(FIRST_NAMES),
                last,
                born,
                person["hire"],
                person["status"],
                person["hours"],
                person["grandfathered"],
                rng.choices(program_ids, weights)[0],
                separation[0] if separation else None,
                separation[1] if separation else "",
                person["self_pay"],
                True,
            )
        )
        return last, born

    def add_history(self, rows: PoolRows, employee_id: int, person: dict[str, Any]) -> None:
        """Hours changes, the continuation election and the coverage segments the rules
        compute from them."""
        now = self.now
        elected_change = None
        for effective, status, hours in person["changes"]:
            change_id = rows.next_change
            rows.changes.append((change_id, employee_id, effective, status, hours, now))
            if person["elected"] == effective:
                elected_change = change_id
            rows.next_change += 1
        if elected_change is not None:
            rows.elections.append((employee_id, elected_change, person["elected"], now))
        separation = person["separation"]
        segments = rules.coverage_timeline(
            hire_date=person["hire"],
            changes=[
                rules.StatusChange(d, rules.EmploymentStatus(s), h) for d, s, h in person["changes"]
            ],
            grandfathered=person["grandfathered"],
            self_pay_enrolled=person["self_pay"],
            separation_date=separation[0] if separation else None,
            elections=[person["elected"]] if person["elected"] else [],
        )
        for segment in segments:
            rows.segments.append(
                (
                    employee_id,
                    segment.start,
                    segment.end,
                    segment.tier.value,
                    source_to_db(segment.source),
                    segment.employer_basis.value if segment.employer_basis else "",
                    segment.employee_pays_difference,
                    segment.dental,
                    "",
                    "",
                )
            )

    def add_family(
        self, rows: PoolRows, employee_id: int, person: dict[str, Any], last: str, born: date
    ) -> None:
        """Dependents (55%: a spouse for most, up to three children) and beneficiaries
        (85%: the spouse, or a son and a daughter at half each)."""
        rng, now = self.rng, self.now
        family = rng.random() < 0.55
        if family:
            if rng.random() < 0.8:
                first = rng.choice(FIRST_NAMES)  # drawn before the birth date
                birth = born + timedelta(days=rng.randint(-1500, 1500))
                rows.dependents.append((employee_id, "spouse", first, last, birth, None, "", now))
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                first = rng.choice(FIRST_NAMES)
                birth = born + timedelta(days=rng.randint(20 * 365, 40 * 365))
                rows.dependents.append((employee_id, "child", first, last, birth, None, "", now))
        if rng.random() < 0.85:
            signed = person["hire"] + timedelta(days=rng.randint(0, 30))
            if family:
                name = f"{rng.choice(FIRST_NAMES)} {last}"
                rows.beneficiaries.append(
                    (employee_id, name, "spouse", Decimal("100.00"), signed, now)
                )
            else:
                for relation in ("son", "daughter"):
                    name = f"{rng.choice(FIRST_NAMES)} {last}"
                    rows.beneficiaries.append(
                        (employee_id, name, relation, Decimal("50.00"), signed, now)
                    )


@dataclass
class PoolRows:
    """The member rows of the pool, collected before one COPY per table; ids are handed
    out from the ranges reserved for employees and hours changes."""

    next_employee: int
    next_change: int
    first_employee: int = 0
    employees: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)
    elections: list[tuple[Any, ...]] = field(default_factory=list)
    segments: list[tuple[Any, ...]] = field(default_factory=list)
    dependents: list[tuple[Any, ...]] = field(default_factory=list)
    beneficiaries: list[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.first_employee = self.next_employee

    def counts(self) -> dict[str, int]:
        return {
            "employees": len(self.employees),
            "hours changes": len(self.changes),
            "elections": len(self.elections),
            "segments": len(self.segments),
            "dependents": len(self.dependents),
            "beneficiaries": len(self.beneficiaries),
        }

    def write(self, cursor: Any) -> None:
        copy_rows(
            cursor,
            "accounts_employee (id, employer_id, number, first_name, last_name, birth_date, "
            "hire_date, status, weekly_hours, grandfathered, program_id, separation_date, "
            "separation_reason, self_pay_enrolled, grandfathered_elected)",
            self.employees,
        )
        copy_rows(
            cursor,
            "accounts_hourschange (id, employee_id, effective_date, status, weekly_hours, "
            "created_at)",
            self.changes,
        )
        copy_rows(
            cursor,
            "accounts_continuationelection (employee_id, reduction_id, elected_on, created_at)",
            self.elections,
        )
        copy_rows(
            cursor,
            "accounts_coveragesegment (employee_id, start_date, end_date, tier, source, "
            "employer_basis, employee_pays_difference, dental, reason, author)",
            self.segments,
        )
        copy_rows(
            cursor,
            "accounts_dependent (employee_id, relationship, first_name, last_name, "
            "birth_date, covered_from, end_reason, created_at)",
            self.dependents,
        )
        copy_rows(
            cursor,
            "accounts_beneficiarydesignation (employee_id, name, relationship, "
            "share_percent, signed_date, created_at)",
            self.beneficiaries,
        )


def copy_rows(cursor: Any, target: str, rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

"""The rollover's SQL against its specification, ``vesting.rules`` (R-VE1..R-VE4, R-VE11).

Hypothesis generates the history of a small employer over three policy years (1983-84 ..
1985-86): hires on any day, hours changes across the tiers (30+, 20-29, under 20 with or
without self-pay), trust-fund claims up to and past the deductible, voids, separations of
every reason (with continuations), marriages of two employees (R-EL11, R-VE11 pooling),
and plan years with other deductibles, maximum vests and the strict separation-year
setting (R-PY2, R-VE4). The history is played in date order through the
real services (``accounts.services`` and the ledger), the real rollover runs on each
July 1, and every vesting line is compared, to the cent, with what ``accounts.rules``
(coverage, tiers) and ``vesting.rules`` (allotment, unused amount, vesting decisions)
decide from the same plain-value history. The oracle never reads what the code under test
wrote.

Generator limits (so that the oracle is the plan's rules and nothing else): claims are
paid on their date of service and voided within their policy year, and no claim is paid
after its employee's separation (a payment after a separation is the run-out path of
R-CL6, tested in test_vesting_separations); the claims of a spouse whose policy ended
stop there (later ones are the retained policy's family's). A couple's year still
pending at its rollover is left out (``assume``): vesting.rules does not say how a
pooled pending year settles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from accounts import rules as coverage
from accounts import services as members
from accounts.models import PlanYear
from tests.factories import EmployerFactory, ProgramFactory, hire
from vesting import ledger, rules
from vesting.models import Transaction, VestingLine
from vesting.rollover import rollover_execute, rollover_start

OPEN = "No month closes in this data set."  # the rollover's override of open months

pytestmark = pytest.mark.django_db

D = Decimal
YEARS = (1983, 1984, 1985)  # the policy years rolled over
FIRST_DAY = date(1982, 7, 1)
LAST_DAY = coverage.policy_year_end(YEARS[-1])
HOURS = (D("40"), D("30"), D("29.99"), D("25"), D("20"), D("19.99"), D("10"))
REASONS = ("resignation", "retirement", "death", "change_of_employer")


@dataclass
class Plan:
    """One plan year's settings (R-PY2, R-VE2, R-VE4)."""

    deductible: Decimal
    maximum_vest: Decimal
    separation_year_vests: bool


@dataclass
class Claim:
    service_date: date
    amount: Decimal  # what the trust fund pays
    void_on: date | None


@dataclass
class Person:
    hire_date: date
    hours: Decimal
    self_pay_enrolled: bool
    changes: list[tuple[date, Decimal]]
    separation: tuple[date, str] | None
    continuation_until: date | None  # R-VE8/R-VE9, only with a separation (not death)
    continues: bool
    claims: list[Claim] = field(default_factory=list)


@dataclass
class History:
    plans: dict[int, Plan]
    people: list[Person]
    marriages: list[tuple[int, int, date]]  # R-EL11, R-VE11: (retained, other, married on)


def _day(draw: st.DrawFn, low: date, high: date) -> date:
    return low + timedelta(days=draw(st.integers(0, (high - low).days)))


@st.composite
def histories(draw: st.DrawFn) -> History:
    plans = {
        year: Plan(
            deductible=draw(st.sampled_from((D("500.00"), D("450.00"), D("600.00")))),
            maximum_vest=draw(st.sampled_from((D("500.00"), D("400.00")))),
            separation_year_vests=draw(st.booleans()),
        )
        for year in YEARS
    }
    people = []
    for _ in range(draw(st.integers(3, 8))):
        hire_date = _day(draw, FIRST_DAY, date(1985, 5, 31))
        changes: list[tuple[date, Decimal]] = []
        day = hire_date
        for _ in range(draw(st.integers(0, 3))):
            later = _day(draw, day + timedelta(days=1), day + timedelta(days=400))
            if later > LAST_DAY:
                break
            day = later
            changes.append((day, draw(st.sampled_from(HOURS))))
        separation = None
        if draw(st.booleans()):
            on = _day(draw, day, min(day + timedelta(days=500), LAST_DAY))
            separation = (on, draw(st.sampled_from(REASONS)))
        continues = separation is not None and separation[1] != "death" and draw(st.booleans())
        until = None
        if continues:
            assert separation is not None
            ended = coverage.coverage_end(separation[0])
            limit = coverage.last_of_month(coverage.add_months(ended, 3))
            retiree = separation[1] == "retirement"
            until = None if retiree and draw(st.booleans()) else limit
        person = Person(
            hire_date=hire_date,
            hours=draw(st.sampled_from(HOURS)),
            self_pay_enrolled=draw(st.booleans()),
            changes=changes,
            separation=separation,
            continuation_until=until,
            continues=continues,
        )
        last = separation[0] if separation else LAST_DAY
        paid: dict[int, Decimal] = {}
        first_claim = max(hire_date, coverage.policy_year_start(YEARS[0]))
        for _ in range(draw(st.integers(0, 4)) if first_claim <= last else 0):
            service = _day(draw, first_claim, last)
            year = coverage.policy_year_of(service)
            room = plans[year].deductible - paid.get(year, D("0"))
            amount = min(room, D(draw(st.integers(1, 45000))) / 100)  # up to the deductible
            if amount <= 0:
                continue  # past the deductible: the carrier pays (R-CL3), no ledger entry
            void_on = None
            if draw(st.integers(0, 3)) == 0:  # R-CL5: a void, within the policy year
                void_on = _day(draw, service, min(coverage.policy_year_end(year), last))
            else:
                paid[year] = paid.get(year, D("0")) + amount
            person.claims.append(Claim(service, amount, void_on))
        people.append(person)
    marriages: list[tuple[int, int, date]] = []
    free = list(range(len(people)))
    while len(free) >= 2 and draw(st.booleans()):
        retained, other = draw(st.permutations(free))[:2]
        free = [i for i in free if i not in (retained, other)]
        low = max(people[retained].hire_date, people[other].hire_date)
        high = min(
            [LAST_DAY]
            + [people[i].separation[0] for i in (retained, other) if people[i].separation]
        )
        if low > high:
            continue
        married_on = _day(draw, low, high)
        ends = coverage.marriage_policy_end(married_on)
        person = people[other]  # a dependent on the retained policy from ``ends`` (R-EL11)
        person.claims = [c for c in person.claims if c.service_date < ends]
        marriages.append((retained, other, married_on))
    return History(plans, people, marriages)


# --- Playing the history through the services --------------------------------------------


def play(history: History) -> list:
    """Every event in date order through the services; the rollover of each year on the
    July 1 after it (before the day's other events). Returns the employees."""
    for year, plan in history.plans.items():
        PlanYear.objects.update_or_create(
            start_year=year,
            defaults={
                "deductible": plan.deductible,
                "maximum_vest": plan.maximum_vest,
                "separation_year_vests": plan.separation_year_vests,
            },
        )
    program = ProgramFactory(employer=EmployerFactory())
    employees: list = [None] * len(history.people)
    events: list[tuple[date, int, int, object]] = []
    for year in YEARS:
        events.append((coverage.policy_year_start(year + 1), 0, -1, year))
    for index, person in enumerate(history.people):
        events.append((person.hire_date, 1, index, "hire"))
        for day, hours in person.changes:
            events.append((day, 2, index, ("hours", hours)))
        for claim in person.claims:
            events.append((claim.service_date, 3, index, ("claim", claim)))
            if claim.void_on is not None:
                events.append((claim.void_on, 4, index, ("void", claim)))
        if person.separation is not None:
            events.append((person.separation[0], 5, index, "separation"))
    for retained, other, married_on in history.marriages:
        events.append((married_on, 4, retained, ("marry", other)))
    payments: dict[int, Transaction] = {}
    for day, _, index, what in sorted(events, key=lambda e: e[:3]):
        if isinstance(what, int):
            run = rollover_start(policy_year=what, today=day, queue=False, override_reason=OPEN)
            assert rollover_execute(run.pk).status == "completed"
            continue
        person = history.people[index]
        if what == "hire":
            employees[index] = hire(
                program=program,
                number=f"D{index}",
                hire_date=day,
                weekly_hours=person.hours,
                self_pay_enrolled=person.self_pay_enrolled,
            )
        elif what == "separation":
            assert person.separation is not None
            employees[index] = members.employee_separate(
                employee=employees[index], separation_date=day, reason=person.separation[1]
            )
            if continues(person):
                members.separation_continuation_elect(
                    employee=employees[index], elected_on=day, until=person.continuation_until
                )
        elif what[0] == "marry":
            members.employees_marry(
                employee_a_id=employees[index].pk,
                employee_b_id=employees[what[1]].pk,
                married_on=day,
                retained_id=employees[index].pk,
            )
        elif what[0] == "hours":
            members.employee_change_hours(
                employee=employees[index], effective_date=day, weekly_hours=what[1]
            )
        elif what[0] == "claim":
            claim = what[1]
            payments[id(claim)] = ledger.post_claim_payment(
                employer=program.employer_id,
                employee=employees[index],
                amount=claim.amount,
                effective_date=day,
                service_date=day,
                payee_name="Ukiah Valley Medical Center",
            )
        else:
            ledger.post_reversal(
                transaction=payments[id(what[1])], reason="Voided", effective_date=day
            )
    return employees


# --- The oracle: the plan's rules over the plain history ----------------------------------


def timeline(person: Person, **extra: object) -> list[coverage.CoverageSegment]:
    """R-EL1..R-EL9: the person's coverage from the plain history."""
    return coverage.coverage_timeline(
        hire_date=person.hire_date,
        changes=[
            coverage.StatusChange(day, coverage.EmploymentStatus.REGULAR, hours)
            for day, hours in [(person.hire_date, person.hours), *person.changes]
        ],
        self_pay_enrolled=person.self_pay_enrolled,
        separation_date=person.separation[0] if person.separation else None,
        **extra,  # type: ignore[arg-type]
    )


def continues(person: Person) -> bool:
    """R-VE8/R-VE9: the continuation is elected, by someone covered when coverage ended."""
    if not person.continues or person.separation is None:
        return False
    ended = coverage.coverage_end(person.separation[0])
    return coverage.tier_on(timeline(person), ended) is not coverage.Tier.NONE


def expected_lines(history: History) -> dict[tuple[int, int], tuple]:
    """(person, year) -> every field of the vesting line, from the rules alone."""
    result: dict[tuple[int, int], tuple] = {}
    for index, person in enumerate(history.people):
        separation_date = person.separation[0] if person.separation else None
        continuation = None
        if continues(person):
            assert person.separation is not None
            continuation = coverage.SeparationContinuation(
                retiree=person.separation[1] == "retirement", until=person.continuation_until
            )
        marriage_end = next(
            (
                max(coverage.marriage_policy_end(on), person.hire_date)
                for _, other, on in history.marriages
                if other == index
            ),
            None,
        )
        segments = timeline(person, continuation=continuation, marriage_end=marriage_end)
        figures: dict[int, tuple[Decimal, Decimal, Decimal, bool]] = {}
        credits: list[rules.PolicyYearCredit] = []
        for year in YEARS:
            if separation_date is not None and separation_date < coverage.policy_year_start(year):
                break
            firsts = coverage.policy_year_months(year)
            tiers = [coverage.tier_on(segments, first) for first in firsts]
            if all(tier is coverage.Tier.NONE for tier in tiers):
                continue
            plan = history.plans[year]
            full_months = [m for m, tier in enumerate(tiers) if tier is coverage.Tier.FULL]
            allotment = rules.allotment(full_months, plan.deductible)  # R-VE1
            paid = sum(
                (
                    c.amount
                    for c in person.claims
                    if c.void_on is None and coverage.policy_year_of(c.service_date) == year
                ),
                D("0.00"),
            )
            unused = rules.unused_amount(allotment, paid, plan.maximum_vest)  # R-VE2
            full_year = coverage.is_full_policy_year(segments, year)  # R-VE3
            figures[year] = (allotment, paid, unused, full_year)
            credits.append(rules.PolicyYearCredit(year, full_year, unused))
        vests = True
        if separation_date is not None and coverage.policy_year_of(separation_date) in YEARS:
            vests = history.plans[coverage.policy_year_of(separation_date)].separation_year_vests
        for decision in rules.vesting_decisions(  # R-VE3, R-VE4
            credits, separation_date=separation_date, separation_year_vests=vests
        ):
            if decision.vest_on is not None:
                outcome, on = "vested", decision.vest_on
            elif decision.to_district_on is not None:
                outcome, on = "to_district", decision.to_district_on
            else:
                outcome, on = "pending", None
            allotment, paid, unused, full_year = figures[decision.start_year]
            result[(index, decision.start_year)] = (
                allotment,
                paid,
                unused,
                full_year,
                decision.amount,
                outcome,
                on,
            )
    pool_spouses(history, result)
    return result


def pool_spouses(history: History, lines: dict[tuple[int, int], tuple]) -> None:
    """R-VE11 with the rollover's Decisions: from the marriage year on, the couple's
    unused amounts of each year are added and split half each, the odd cent to the
    retained policy (``vesting.rules.spouse_split``); both follow the retained policy's
    decision, and a spouse with no line of their own gets one for the half. Years settled
    at a separation are not pooled."""

    def at_separation(index: int, year: int) -> bool:
        person, line = history.people[index], lines.get((index, year))
        return (
            line is not None
            and person.separation is not None
            and line[5] == "vested"
            and not line[3]
            and line[6] == person.separation[0]
        )

    for retained, other, married_on in history.marriages:
        for year in YEARS:
            ys = coverage.policy_year_start(year)
            own = lines.get((retained, year))
            if married_on > coverage.policy_year_end(year) or own is None:
                continue
            if at_separation(retained, year) or at_separation(other, year):
                continue
            theirs = lines.get((other, year))
            separated = history.people[other].separation
            if theirs is None and separated is not None and separated[0] < ys:
                continue
            # A year still pending at its rollover settles later by each spouse's own years.
            assume(own[6] is not None and own[6] <= coverage.policy_year_start(year + 1))
            a, b = rules.spouse_split(
                amount_a=own[2],
                amount_b=theirs[2] if theirs else D("0.00"),
                retained_is_a=True,
            )
            lines[(retained, year)] = (*own[:4], a, *own[5:])
            base = theirs[:4] if theirs else (D("0.00"), D("0.00"), D("0.00"), False)
            lines[(other, year)] = (*base, b, *own[5:])


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: an example costs ~1 s
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_R_VE1_to_R_VE4_rollover_lines_are_the_rules_decisions_to_the_cent(history):
    with transaction.atomic():
        employees = play(history)
        by_id = {employee.pk: index for index, employee in enumerate(employees)}
        actual = {
            (by_id[line.employee_id], line.policy_year): (
                line.allotment,
                line.trust_fund_claims,
                line.unused,
                line.full_year,
                line.amount,
                line.outcome,
                line.vested_on,
            )
            for line in VestingLine.objects.filter(employee_id__in=by_id)
        }
        transaction.set_rollback(True)
    expected = expected_lines(history)
    differences = {
        key: (actual.get(key), expected.get(key))
        for key in sorted(actual.keys() | expected.keys())
        if actual.get(key) != expected.get(key)
    }
    assert not differences, differences  # (person, year): (rollover, rules)

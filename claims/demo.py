"""Demonstration claims: a few policy years of realistic claim histories.

``seed_claims(employers)`` enters claims through ``claims.services.claim_enter`` (so each
is split by the rules and paid through the ledger like a clerk's), in the order the
administrator would have sent them (by payment date), deterministically from a seed;
``seed_demo`` calls it after the members. It is idempotent: an employer that already has
demonstration claims gets none.

The plan's point shows in the mix (Decision, after the plan's own expectations: most
families never reach the $500): for each policy year and each family covered in it, a
quarter file no claim; about 55% a few small claims (office visits, prescriptions, lab
work) that stay under the deductible; 15% several claims that cross it; 5% a hospital
stay far over it (the carrier pays the rest). A few claims are voided (billed twice) or
adjusted (the administrator's corrected explanation of benefits), claims paid after
June 30 are run-out claims of the year before (R-CL6), and each year ends with a payment
run. A claim that would be paid after ``today`` is not entered (the administrator has not
sent it yet). The demo "employee" login's family has a fixed, readable history, moved on
with the rest of the demo (``years``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import CoverageSegment, Dependent, Employee, Employer
from accounts.rules import policy_year_end, policy_year_start
from claims import services
from claims.models import Claim

PROVIDERS = (
    "Ukiah Valley Medical Center",
    "Mendocino Coast District Hospital",
    "Howard Memorial Hospital",
    "Ukiah Medical Clinic",
    "Dr. Helen Ames, M.D.",
    "Dr. Robert Keller, M.D.",
    "North Coast Family Health Center",
    "Willits Family Practice",
    "Redwood Pediatrics",
    "Ukiah Radiology Associates",
    "Mendocino Pharmacy",
    "Rexall Drug, Ukiah",
    "Coast Clinical Laboratory",
    "Potter Valley Medical Office",
)
SMALL = ((18, 45), (25, 60), (35, 95), (40, 140), (60, 220))  # dollars allowed, ranges
# The service category of a demo claim (claims.rules.ServiceCategory) by its provider;
# the clinics' and doctors' claims are office visits, one in four a preventive check-up.
CATEGORY_OF_PROVIDER = {
    **dict.fromkeys(PROVIDERS[:3], "hospital"),
    **dict.fromkeys(("Mendocino Pharmacy", "Rexall Drug, Ukiah"), "pharmacy"),
    **dict.fromkeys(("Coast Clinical Laboratory", "Ukiah Radiology Associates"), "other"),
}


def demo_category(provider: str, number: int) -> str:
    """The category of the demo's ``number``-th claim of an employer from ``provider``
    (deterministic: the demo's random draws are left as they were)."""
    category = CATEGORY_OF_PROVIDER.get(provider, "office")
    return "preventive" if category == "office" and number % 4 == 0 else category


@dataclass
class _Planned:
    employee: Employee
    patient: Dependent | None
    day: date
    paid_on: date
    provider: str
    billed: Decimal
    allowed: Decimal


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(rng.randint(int(low * 100), int(high * 100))) / 100


def _covered_days(
    segments: list[tuple[date, date | None]], start: date, end: date
) -> list[tuple[date, date]]:
    spans = []
    for seg_start, seg_end in segments:
        first = max(seg_start, start)
        last = min(seg_end or end, end)
        if first <= last:
            spans.append((first, last))
    return spans


def _plan_family_year(
    rng: random.Random,
    employee: Employee,
    family: list[Dependent],
    spans: list[tuple[date, date]],
    today: date,
) -> list[_Planned]:
    roll = rng.random()
    if roll < 0.25:
        return []
    if roll < 0.80:
        count, kind = rng.randint(1, 4), "small"
    elif roll < 0.95:
        count, kind = rng.randint(4, 8), "moderate"
    else:
        count, kind = rng.randint(3, 7), "hospital"
    planned = []
    for index in range(count):
        span_start, span_end = rng.choice(spans)
        day = span_start + timedelta(days=rng.randint(0, (span_end - span_start).days))
        if day > today:
            continue
        low, high = rng.choice(SMALL)
        if kind == "moderate":
            low, high = 60, 420
        if kind == "hospital" and index == 0:
            low, high = 2_000, 24_000
        allowed = _money(rng, low, high)
        billed = (allowed * Decimal(rng.choice(("1.00", "1.00", "1.10", "1.25", "1.40")))).quantize(
            Decimal("0.01")
        )
        patients: list[Dependent | None] = [None, None, *[d for d in family if _on_policy(d, day)]]
        provider = rng.choice(PROVIDERS[:3] if kind == "hospital" and index == 0 else PROVIDERS)
        patient = rng.choice(patients)
        paid_on = day + timedelta(days=rng.randint(12, 50))
        if paid_on > today:
            continue  # not paid yet: the administrator sends it later
        planned.append(
            _Planned(
                employee,
                patient,
                day,
                paid_on,
                provider,
                billed,
                allowed,
            )
        )
    return planned


def _on_policy(dependent: Dependent, day: date) -> bool:
    return (dependent.covered_from is None or dependent.covered_from <= day) and (
        dependent.ended_on is None or dependent.ended_on >= day
    )


# The demo "employee" login's family: (policy year, patient, month, day, provider, allowed).
FAMILY_HISTORY = (
    (1983, None, 10, 4, "Dr. Helen Ames, M.D.", "45.00"),
    (1983, "Sofia", 1, 17, "Redwood Pediatrics", "38.00"),
    (1983, "Ramon", 4, 2, "Mendocino Pharmacy", "22.40"),
    (1984, None, 9, 12, "Ukiah Medical Clinic", "65.00"),
    (1984, "Miguel", 11, 30, "Ukiah Valley Medical Center", "185.00"),
    (1984, "Sofia", 3, 8, "Coast Clinical Laboratory", "70.00"),
    (1985, "Ramon", 8, 20, "Ukiah Radiology Associates", "240.00"),
    (1985, None, 10, 3, "Dr. Robert Keller, M.D.", "55.00"),
    # The year after the plan's own history: only a demo moved to today reaches it.
    (1986, None, 7, 1, "Ukiah Medical Clinic", "48.00"),
    (1986, "Miguel", 9, 15, "Redwood Pediatrics", "62.50"),
    (1986, "Ramon", 12, 1, "Mendocino Pharmacy", "31.20"),
    (1986, "Sofia", 3, 2, "Coast Clinical Laboratory", "84.00"),
    (1986, None, 6, 1, "Dr. Helen Ames, M.D.", "45.00"),
)


def _family_history(employee: Employee, year: int, *, years: int, today: date) -> list[_Planned]:
    """The family's claims of policy year ``year``: ``FAMILY_HISTORY`` moved ``years``
    years on, up to ``today``."""
    dependents = {d.first_name: d for d in Dependent.objects.filter(employee=employee)}
    planned = []
    for own_year, patient, month, day_of_month, provider, allowed in FAMILY_HISTORY:
        if own_year + years != year:
            continue
        day = date(year + (1 if month < 7 else 0), month, day_of_month)
        if day > today:
            continue
        amount = Decimal(allowed)
        planned.append(
            _Planned(
                employee,
                dependents.get(patient) if patient else None,
                day,
                min(day + timedelta(days=21), today),
                provider,
                (amount * Decimal("1.15")).quantize(Decimal("0.01")),
                amount,
            )
        )
    return planned


def _coverage_spans(employees: list[Employee]) -> dict[int, list[tuple[date, date | None]]]:
    """Each employee's covered segments (any tier but none), as (start, end)."""
    segments: dict[int, list[tuple[date, date | None]]] = {}
    for row in (
        CoverageSegment.objects.filter(employee__in=employees)
        .exclude(tier="none")
        .values_list("employee_id", "start", "end", named=True)
    ):
        segments.setdefault(row.employee_id, []).append((row.start, row.end))
    return segments


def _plan_year(
    rng: random.Random,
    year: int,
    employees: list[Employee],
    *,
    segments: dict[int, list[tuple[date, date | None]]],
    dependents: dict[int, list[Dependent]],
    demo_family: Employee | None,
    today: date,
    years: int = 0,
) -> list[_Planned]:
    """The claims of one policy year, in the order the administrator sends them."""
    start, end = policy_year_start(year), policy_year_end(year)
    planned: list[_Planned] = []
    for employee in employees:
        if employee == demo_family:
            continue
        spans = _covered_days(segments.get(employee.pk, []), start, end)
        if spans:
            planned += _plan_family_year(
                rng, employee, dependents.get(employee.pk, []), spans, today
            )
        if start <= employee.hire_date <= end and rng.random() < 0.3:
            # A visit in the waiting period before coverage starts (R-EL6): denied (R-CL4).
            day = employee.hire_date + timedelta(days=rng.randint(0, 9))
            if day <= min(end, today):
                planned.append(
                    _Planned(
                        employee,
                        None,
                        day,
                        day + timedelta(days=20),
                        rng.choice(PROVIDERS),
                        Decimal("85.00"),
                        Decimal("85.00"),
                    )
                )
    if demo_family is not None:
        planned += _family_history(demo_family, year, years=years, today=today)
    planned.sort(key=lambda p: (p.paid_on, p.employee.pk, p.day))
    return planned


def _enter_planned(
    planned: list[_Planned],
    *,
    numbers: dict[int, int],
    counts: dict[str, int],
    entered_by: Any,
    today: date,
) -> list[Claim]:
    """Enter the planned claims through ``claim_enter``, numbered per employer."""
    entered: list[Claim] = []
    for item in planned:
        code = item.employee.employer.code
        numbers[item.employee.employer_id] = numbers.get(item.employee.employer_id, 0) + 1
        try:
            claim = services.claim_enter(
                employee=item.employee,
                patient=item.patient,
                date_of_service=item.day,
                provider=item.provider,
                admin_claim_number=f"{code}-{item.day:%y%m}-{numbers[item.employee.employer_id]:05d}",
                billed=item.billed,
                allowed=item.allowed,
                entered_by=entered_by,
                confirm_duplicate=True,
                paid_on=item.paid_on,
                source=Claim.Source.DEMO,
                today=today,
                service_category=demo_category(item.provider, numbers[item.employee.employer_id]),
            )
        except ValidationError:
            continue  # e.g. before the hire: the demo simply skips it
        counts["claims"] += 1
        counts["denied"] += claim.status == Claim.Status.DENIED
        entered.append(claim)
    return entered


def _void_and_adjust(
    rng: random.Random,
    entered: list[Claim],
    *,
    counts: dict[str, int],
    entered_by: Any,
    today: date,
) -> None:
    """A few of the year's paid claims voided (billed twice), a few adjusted (R-CL5), each
    dated a month or so after the payment (today at the latest) and never before the
    family's last movement of the year (``claims.services.dates``)."""
    last: dict[int, date] = {}
    for claim in entered:
        if claim.paid_on is not None:
            last[claim.family_year_id] = max(
                last.get(claim.family_year_id, claim.paid_on), claim.paid_on
            )

    def correction_day(claim: Claim, days: int) -> date | None:
        if claim.paid_on is None:
            return None
        day = max(
            min(claim.paid_on + timedelta(days=days), today),
            last.get(claim.family_year_id, claim.paid_on),
        )
        last[claim.family_year_id] = day
        return day

    paid = [c for c in entered if c.status == Claim.Status.PAID and c.trust_fund_amount > 0]
    for claim in rng.sample(paid, k=min(len(paid), max(1, len(paid) // 150))):
        services.claim_void(
            claim=claim,
            reason="Billed twice by the provider",
            voided_by=entered_by,
            effective_date=correction_day(claim, 30),
        )
        counts["voided"] += 1
    adjustable = [c for c in paid if c.status == Claim.Status.PAID]
    for claim in rng.sample(adjustable, k=min(len(adjustable), max(1, len(adjustable) // 150))):
        claim.refresh_from_db()
        if claim.status != Claim.Status.PAID or claim.allowed < Decimal("20.00"):
            continue
        services.claim_adjust(
            claim=claim,
            allowed=(claim.allowed * Decimal("0.8")).quantize(Decimal("0.01")),
            reason="Administrator's corrected explanation of benefits",
            adjusted_by=entered_by,
            effective_date=correction_day(claim, 45),
        )
        counts["adjusted"] += 1


def seed_claims(
    employers: Iterable[Employer],
    *,
    first_year: int = 1982,
    last_year: int = 1985,
    seed: int = 1985,
    entered_by: Any = None,
    today: date | None = None,
    years: int = 0,
) -> dict[str, int]:
    """Claims for the policy years ``first_year``..``last_year`` of every covered family
    of the employers (module doc), paid up to ``today``; the demo family's history on the
    plan's own calendar moved ``years`` on. Returns counts."""
    from accounts.demo import FAMILY_EMPLOYER, FAMILY_NUMBER

    rng = random.Random(seed)
    today = today or timezone.localdate()
    counts = {"claims": 0, "denied": 0, "voided": 0, "adjusted": 0, "runs": 0}
    employer_list = [
        e
        for e in employers
        if not Claim.objects.filter(employer=e, source=Claim.Source.DEMO).exists()
    ]
    if not employer_list:
        return counts
    employees = list(
        Employee.objects.filter(employer__in=employer_list)
        .select_related("employer")
        .order_by("pk")
    )
    segments = _coverage_spans(employees)
    dependents: dict[int, list[Dependent]] = {}
    for dependent in Dependent.objects.filter(employee__in=employees):
        dependents.setdefault(dependent.employee_id, []).append(dependent)
    demo_family = next(
        (e for e in employees if e.employer.code == FAMILY_EMPLOYER and e.number == FAMILY_NUMBER),
        None,
    )
    numbers: dict[int, int] = {}
    for year in range(first_year, last_year + 1):
        planned = _plan_year(
            rng,
            year,
            employees,
            segments=segments,
            dependents=dependents,
            demo_family=demo_family,
            today=today,
            years=years,
        )
        entered = _enter_planned(
            planned, numbers=numbers, counts=counts, entered_by=entered_by, today=today
        )
        _void_and_adjust(rng, entered, counts=counts, entered_by=entered_by, today=today)
        try:
            services.payment_run_create(created_by=entered_by)
            counts["runs"] += 1
        except ValidationError:
            pass
    return counts


__all__ = ["seed_claims"]

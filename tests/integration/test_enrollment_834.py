"""The carrier's 834 of the demo county office: made by the job, valid against
005010X220A1 (pyx12), listing the month's adds and terms (R-EL6, R-EL9)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import enrollment, exchange, services
from accounts.demo import seed_members
from accounts.models import CoverageSegment, Employee, Employer
from staywell import x12
from staywell.models import Job
from tests.factories import UserFactory, celery_eager

pytestmark = pytest.mark.django_db

SEPTEMBER = date(1986, 9, 1)


@pytest.fixture
def county():
    """The demo's county office, the carrier set up; a hire of August 4, 1986 (covered
    from September 1, R-EL6: hired before the 11th) and a separation of September 15,
    1986 (covered through September 30, R-EL9)."""
    seed_members()
    exchange.trading_partners_update(
        values={
            "plan_id": "STAYWELLPLAN",
            "carrier_qualifier": "30",
            "carrier_id": "941234567",
            "carrier_name": "Pacific Mutual Life",
            "carrier_tax_id": "941234567",
            "group_policy_number": "GP-1983",
        }
    )
    mcoe = Employer.objects.get(code="MCOE")
    program = mcoe.programs.order_by("code").first()
    hired = services.employee_hire(
        employer_id=mcoe.pk,
        program_id=program.pk,
        number="9001",
        first_name="Nora",
        last_name="Quinn",
        hire_date=date(1986, 8, 4),
        weekly_hours=Decimal("40"),
        birth_date=date(1960, 3, 2),
    )
    leaving = next(
        e
        for e in Employee.objects.filter(employer=mcoe, separation_date__isnull=True).order_by(
            "number"
        )
        if CoverageSegment.objects.filter(
            employee=e, tier="full", start__lte=SEPTEMBER, end__isnull=True
        ).exists()
    )
    services.employee_separate(
        employee=leaving, separation_date=date(1986, 9, 15), reason="resignation"
    )
    return mcoe, hired, leaving


def made(month, kind, employer, capture) -> tuple[Job, str]:
    clerk = UserFactory(username=f"clerk-{kind}", role="clerk")
    with celery_eager(), capture(execute=True):
        job = enrollment.enrollment_request(month=month, kind=kind, employer=employer, user=clerk)
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.SUCCEEDED, (job.message, job.errors[:3])
    return job, job.result.open("rb").read().decode("ascii")


def members_of(text: str) -> list[dict[str, str]]:
    """The INS loops of the file: (subscriber?, INS03, member id, HD04, the DTP date)."""
    lines: list[dict[str, str]] = []

    def seen(segment: x12.Segment) -> None:
        if segment.id == "INS":
            lines.append({"subscriber": segment.get(1), "action": segment.get(3)})
        elif segment.id == "NM1" and segment.get(1) == "IL":
            lines[-1]["member"] = segment.get(9)
        elif segment.id == "HD":
            lines[-1]["tier"] = segment.get(4)
        elif segment.id == "DTP" and segment.get(1) in ("348", "349"):
            lines[-1]["day"] = segment.get(3)

    result = x12.validate(text, on_segment=seen)
    assert result.valid, result.problems[:3]
    assert (result.transaction, result.version) == ("834", "005010X220A1")
    return lines


def expected_changes(employer: Employer, first: date, last: date) -> tuple[set, set]:
    """Worked from the coverage segments directly: an add is a covered segment starting
    in the month after none (or nothing); a term, a covered stretch whose next segment
    (not covered) starts from the 2nd of the month to the 1st of the next."""
    adds, terms = set(), set()
    for employee in Employee.objects.filter(employer=employer):
        segments = list(CoverageSegment.objects.filter(employee=employee).order_by("start"))
        for before, segment in zip([None, *segments], segments, strict=False):
            covered = segment.tier != "none"
            was = before is not None and before.tier != "none"
            member = f"MCOE-{employee.number}"
            if covered and not was and first <= segment.start <= last:
                adds.add((member, f"{segment.start:%Y%m%d}"))
            if was and not covered and first < segment.start <= last + timedelta(days=1):
                terms.add((member, f"{segment.start - timedelta(days=1):%Y%m%d}"))
    return adds, terms


def test_the_changes_of_a_month_validate_and_list_the_adds_and_terms(
    county, django_capture_on_commit_callbacks
):
    mcoe, _hired, leaving = county
    job, text = made(SEPTEMBER, "changes", mcoe, django_capture_on_commit_callbacks)
    lines = members_of(text)
    subscribers = [line for line in lines if line["subscriber"] == "Y"]
    adds = {(line["member"], line["day"]) for line in subscribers if line["action"] == "021"}
    terms = {(line["member"], line["day"]) for line in subscribers if line["action"] == "024"}
    # Nora Quinn from September 1; the one who left, covered through September 30.
    assert ("MCOE-9001", "19860901") in adds
    assert (f"MCOE-{leaving.number}", "19860930") in terms
    assert (adds, terms) == expected_changes(mcoe, SEPTEMBER, date(1986, 9, 30))
    # The leaving employee's family leaves with them (dependent lines, INS01 N).
    family = [
        line
        for line in lines
        if line["subscriber"] == "N" and line["member"].startswith(f"MCOE-{leaving.number}-D")
    ]
    assert len(family) == leaving.dependents.filter(ended_on__isnull=True).count()
    assert all(line["action"] == "024" and line["day"] == "19860930" for line in family)
    assert "834 changes of September 1986, MCOE" == job.title
    assert job.message.startswith(f"{len(adds)} add") and "valid 005010X220A1" in job.message
    assert {
        "member": "MCOE-9001",
        "name": "Quinn, Nora",
        "action": "Add",
        "tier": "FULL",
        "date": "1986-09-01",
    } in job.parameters["lines"]
    assert text.startswith("ISA*00*          *00*          *ZZ*STAYWELLPLAN   *30*941234567      *")


def test_the_full_file_lists_everyone_covered_on_the_first(
    county, django_capture_on_commit_callbacks
):
    mcoe, _hired, _leaving = county
    _job, text = made(SEPTEMBER, "full", mcoe, django_capture_on_commit_callbacks)
    lines = members_of(text)
    subscribers = {line["member"] for line in lines if line["subscriber"] == "Y"}
    covered = {
        f"MCOE-{s.employee.number}"
        for s in CoverageSegment.objects.filter(employee__employer=mcoe, start__lte=SEPTEMBER)
        .exclude(tier="none")
        .select_related("employee")
        if s.end is None or s.end >= SEPTEMBER
    }
    assert subscribers == covered and "MCOE-9001" in subscribers
    assert {line["action"] for line in lines} == {"030"}


def test_the_file_needs_the_carrier_set_up(county):
    exchange.trading_partners_update(values={"plan_id": "STAYWELLPLAN"})
    with pytest.raises(ValidationError) as error:
        enrollment.enrollment_request(month=SEPTEMBER, kind="changes")
    assert "the carrier's interchange id" in error.value.message_dict["__all__"][0]
    with pytest.raises(ValidationError) as error:
        enrollment.enrollment_request(month=None, kind="weekly", employer=999999)
    assert set(error.value.message_dict) == {"month", "kind", "employer", "__all__"}

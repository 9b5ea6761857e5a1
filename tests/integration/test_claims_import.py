"""Import of the claims administrator's file: every row checked, all or nothing; idempotent
by the administrator's claim number; processed by the Celery task with progress."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from claims import importer
from claims.models import Claim
from staywell.models import Job
from tests.factories import UserFactory, celery_eager, claims_family, enter_claim
from vesting.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    with celery_eager():
        yield


D = Decimal
HEADER = "admin_claim_number,employer_code,employee_number,patient,date_of_service,provider,billed,allowed\n"


@pytest.fixture
def family():
    return claims_family()


@pytest.fixture
def clerk():
    return UserFactory(username="clerk-import", role="clerk")


def csv_file(text: str, name: str = "claims.csv") -> io.BytesIO:
    file = io.BytesIO(text.encode())
    file.name = name
    return file


def rows(employee, spouse) -> str:
    code, number = employee.employer.code, employee.number
    return HEADER + (
        f"IMP-1,{code},{number},,1984-10-15,Ukiah Valley Medical Center,240.00,200.00\n"
        f"IMP-2,{code},{number},Ramon,10/22/1984,Dr. Helen Ames,300.00,250.00\n"
        f'IMP-3,{code},{number},{spouse.pk},1984-11-03,Mendocino Pharmacy,$130.00,"120.00"\n'
    )


def run_import(file, user, capture):
    with capture(execute=True):
        result = importer.import_file(file=file, user=user)
    return result


def test_valid_file_is_entered_by_the_task_in_order_with_progress(
    family, clerk, django_capture_on_commit_callbacks, eager
):
    employee, spouse, _ = family
    result = run_import(csv_file(rows(employee, spouse)), clerk, django_capture_on_commit_callbacks)
    assert result.errors == []
    assert (result.rows, result.new, result.skipped) == (3, 3, 0)
    job = Job.objects.get(pk=result.job.pk)
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total) == (3, 3)
    assert job.message == "3 claims entered; 0 already entered (skipped)."
    claims = list(Claim.objects.order_by("id"))
    assert [c.admin_claim_number for c in claims] == ["IMP-1", "IMP-2", "IMP-3"]
    # R-CL3 in file order: 200 + 250 from the trust fund, then 50 + 70 carrier.
    assert [(c.trust_fund_amount, c.carrier_amount) for c in claims] == [
        (D("200.00"), D("0.00")),
        (D("250.00"), D("0.00")),
        (D("50.00"), D("70.00")),
    ]
    assert claims[1].patient_id == spouse.pk and claims[2].patient_id == spouse.pk
    assert {c.source for c in claims} == {"import"}
    assert all(c.entered_by == clerk for c in claims)


def test_reimport_of_the_same_file_skips_every_claim(
    family, clerk, django_capture_on_commit_callbacks, eager
):
    employee, spouse, _ = family
    run_import(csv_file(rows(employee, spouse)), clerk, django_capture_on_commit_callbacks)
    before = (Claim.objects.count(), Transaction.objects.count())
    again = run_import(csv_file(rows(employee, spouse)), clerk, django_capture_on_commit_callbacks)
    assert again.errors == []
    assert (again.new, again.skipped, again.job) == (0, 3, None)
    assert (Claim.objects.count(), Transaction.objects.count()) == before


def test_a_changed_row_with_an_existing_number_is_an_error(family, clerk):
    employee, spouse, _ = family
    enter_claim(employee, D("200.00"), number="IMP-1", billed=D("240.00"))
    text = rows(employee, spouse).replace("240.00,200.00", "240.00,180.00")
    result = importer.import_file(file=csv_file(text), user=clerk)
    assert result.job is None
    assert result.errors == [
        {
            "row": 2,
            "field": "admin_claim_number",
            "message": f"Claim number IMP-1 was already entered as claim "
            f"{Claim.objects.get().pk} with a different allowed amount; correct it on the "
            "claim page (void or adjust), not by importing it again.",
        }
    ]
    assert Claim.objects.count() == 1


def test_any_bad_row_rejects_the_file_with_every_problem_and_saves_nothing(family, clerk):
    employee, spouse, _ = family
    code, number = employee.employer.code, employee.number
    text = rows(employee, spouse) + (
        f"BAD-1,{code},{number},,1984-10-15,Dr. Ames,100.00,120.00\n"
        f"BAD-2,NOPE,{number},,1984-10-15,Dr. Ames,100.00,90.00\n"
        f"BAD-3,{code},{number},Zed,1984-10-15,Dr. Ames,100.00,90.00\n"
        f"BAD-4,{code},{number},,1983-01-01,Dr. Ames,100.00,90.00\n"
        f"BAD-5,{code},{number},,1990-01-01,Dr. Ames,100.00,90.00\n"
        f"BAD-6,{code},{number},,1984-10-15,Dr. Ames,1.005,1.00\n"
        f"IMP-1,{code},{number},,1984-10-15,Dr. Ames,100.00,90.00\n"
    )
    result = importer.import_file(file=csv_file(text), user=clerk)
    assert result.job is None
    by_row = {(e["row"], e["field"]) for e in result.errors}
    assert by_row == {
        (5, "allowed"),
        (6, "employer_code"),
        (7, "patient"),
        (8, "date_of_service"),
        (9, "date_of_service"),
        (10, "billed"),
        (11, "admin_claim_number"),
    }
    assert Claim.objects.count() == 0 and Job.objects.count() == 0


def test_a_file_without_the_columns_or_not_utf8_is_refused(clerk):
    result = importer.import_file(file=csv_file("number,amount\n1,2\n"), user=clerk)
    assert "Missing column(s): admin_claim_number" in result.errors[0]["message"]
    latin = io.BytesIO(HEADER.encode() + "A,B,C,,1984-10-15,Cl\xednica,1,1\n".encode("latin-1"))
    latin.name = "latin.csv"
    result = importer.import_file(file=latin, user=clerk)
    assert "not UTF-8" in result.errors[0]["message"]


def test_a_task_retried_after_a_crash_skips_what_it_entered(
    family, clerk, django_capture_on_commit_callbacks
):
    employee, spouse, _ = family
    with django_capture_on_commit_callbacks(execute=False):
        result = importer.import_file(file=csv_file(rows(employee, spouse)), user=clerk)
    # The first attempt entered the first row and died.
    enter_claim(
        employee,
        D("200.00"),
        number="IMP-1",
        billed=D("240.00"),
        provider="Ukiah Valley Medical Center",
        date_of_service=date(1984, 10, 15),
    )
    importer.process_import(result.job.pk)
    job = Job.objects.get(pk=result.job.pk)
    assert job.status == Job.Status.SUCCEEDED
    assert job.message == "2 claims entered; 1 already entered (skipped)."
    assert Claim.objects.count() == 3


def test_template_and_documented_columns_agree():
    header = importer.template_csv().splitlines()[0].split(",")
    assert header == list(importer.COLUMNS)
    assert [name for name, _, _ in importer.COLUMN_DOCS] == list(importer.COLUMNS)

"""The carrier's 834 on its page and in the API: clerks and administrators make it; every
role and anonymous; the file downloads once valid."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from accounts import exchange
from staywell.models import Job
from tests.factories import (
    EmployeeFactory,
    EmployerFactory,
    PlanYearFactory,
    ProgramFactory,
    UserFactory,
    celery_eager,
    hire,
)

pytestmark = pytest.mark.django_db

ROLES = ("clerk", "superintendent", "payroll", "employee", "administrator")


@pytest.fixture
def employer():
    exchange.trading_partners_update(
        values={
            "plan_id": "STAYWELLPLAN",
            "carrier_id": "PACMUTUAL",
            "carrier_name": "Pacific Mutual Life",
            "carrier_tax_id": "941234567",
        }
    )
    PlanYearFactory(start_year=1984)
    program = ProgramFactory(employer=EmployerFactory(code="UKIAH", name="Ukiah Unified"))
    # Hired October 8, 1984: covered from November 1 (R-EL6, hired before the 11th).
    hire(
        program=program,
        number="77",
        first_name="Iris",
        last_name="Bell",
        hire_date=date(1984, 10, 8),
    )
    return program.employer


def client_of(role: str) -> Client:
    client = Client()
    user = UserFactory(username=f"{role}-834", role=role)
    if role == "employee":
        EmployeeFactory(user=user)
    client.force_login(user)
    return client


def test_the_clerk_makes_the_month_s_834_and_downloads_it(
    clerk_client, employer, django_capture_on_commit_callbacks
):
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            "/enrollment/", {"month": "1984-11", "kind": "changes", "employer": employer.pk}
        )
    assert response.status_code == 302
    page = clerk_client.get(response["Location"]).content.decode()
    assert "1 add; " in page and "valid 005010X220A1" in page
    assert (
        '<td>UKIAH-77</td><th scope="row">Bell, Iris</th><td>Add</td><td>FULL</td><td>1984-11-01</td>'
        in page
    )
    job = Job.objects.get(kind="enrollment_834")
    download = clerk_client.get(f"/jobs/{job.pk}/download/")
    text = b"".join(download.streaming_content).decode()
    assert "INS*Y*18*021*28*A***FT~" in text and "NM1*IL*1*BELL*IRIS****ZZ*UKIAH-77~" in text


def test_a_bad_month_or_missing_carrier_is_told_on_the_page(clerk_client, employer):
    bad = clerk_client.post("/enrollment/", {"month": "November", "kind": "changes"})
    assert bad.status_code == 400 and "Enter a month such as 1986-09." in bad.content.decode()
    exchange.trading_partners_update(values={})
    missing = clerk_client.post("/enrollment/", {"month": "1984-11", "kind": "full"})
    assert missing.status_code == 400
    assert (
        "the plan&#x27;s interchange id, the carrier&#x27;s interchange id"
        in missing.content.decode()
    )
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_834_by_role(role, employer, django_capture_on_commit_callbacks):
    client = client_of(role)
    maker = role in ("clerk", "administrator")
    assert client.get("/enrollment/").status_code == (200 if maker else 403)
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        api = client.post(
            "/api/v1/enrollment-files/",
            {"month": "1984-11", "kind": "changes"},
            content_type="application/json",
        )
    assert api.status_code == (202 if maker else 403)
    if maker:
        job = api.json()["job"]
        body = client.get(f"/api/v1/enrollment-files/{job}/").json()
        assert body["status"] == "succeeded" and body["file"] == f"/jobs/{job}/download/"
        assert body["lines"] == [
            {
                "member": "UKIAH-77",
                "name": "Bell, Iris",
                "action": "Add",
                "tier": "FULL",
                "date": "1984-11-01",
            }
        ]


def test_another_clerk_s_834_is_not_found_and_anonymous_is_refused(
    client, clerk_client, employer, django_capture_on_commit_callbacks
):
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        job = clerk_client.post(
            "/api/v1/enrollment-files/",
            {"month": "1984-11", "kind": "full"},
            content_type="application/json",
        ).json()["job"]
    other = client_of("clerk")
    assert other.get(f"/api/v1/enrollment-files/{job}/").status_code == 404
    assert other.get(f"/jobs/{job}/download/").status_code == 404
    assert client.get("/enrollment/").status_code == 302
    assert client.get(f"/api/v1/enrollment-files/{job}/").status_code in (401, 403)
    bad = clerk_client.post(
        "/api/v1/enrollment-files/",
        {"month": "1984-13", "kind": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "month" in bad.json()

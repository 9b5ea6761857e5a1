"""The 835 import on its page and in the API: clerks upload, readers follow; every role
and anonymous; problems by segment and element; an interchange imported once."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts import exchange
from claims.models import Claim, Remittance
from tests.factories import (
    EmployeeFactory,
    EmployerFactory,
    ProgramFactory,
    UserFactory,
    celery_eager,
    claims_family,
)
from tests.x12_samples import ClaimPayment, remittance

pytestmark = pytest.mark.django_db

D = Decimal
ROLES = ("clerk", "superintendent", "payroll", "employee", "administrator")


@pytest.fixture
def text():
    exchange.trading_partners_update(
        values={"plan_id": "STAYWELLPLAN", "administrator_id": "VALLEYTPA"}
    )
    employee, _, _ = claims_family(
        program=ProgramFactory(employer=EmployerFactory(code="MCOE", name="Mendocino COE"))
    )
    member = f"MCOE-{employee.number}"
    return remittance(
        {
            "DR HELEN AMES": [
                # 120.00 allowed (AMT*AU) of 150.00 billed: all from the trust fund.
                ClaimPayment(
                    "P-1",
                    D("150"),
                    D("120"),
                    member,
                    statement_from=date(1984, 10, 15),
                    covered=D("120"),
                ),
                ClaimPayment("P-2", D("80"), D("80"), member, statement_from=date(1984, 10, 16)),
            ]
        },
        control_number=77,
    )


def file_of(text: str, name: str = "remit.835") -> io.BytesIO:
    file = io.BytesIO(text.encode())
    file.name = name
    return file


def client_of(role: str) -> Client:
    client = Client()
    user = UserFactory(username=f"{role}-835", role=role)
    if role == "employee":
        EmployeeFactory(user=user)
    client.force_login(user)
    return client


def test_the_clerk_imports_an_835_on_the_page_and_follows_it(
    clerk_client, text, django_capture_on_commit_callbacks
):
    page = clerk_client.get("/claims/import/835/").content.decode()
    assert "Import the claims administrator's 835" in page and "No 835 received yet." in page
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post("/claims/import/835/", {"file": file_of(text)})
    assert response.status_code == 302 and "?job=" in response["Location"]
    page = clerk_client.get(response["Location"]).content.decode()
    assert "2 claims entered, 0 voided (reversals) of 2 claim payments." in page
    assert "000000077 from VALLEYTPA" in page and "Imported" in page
    assert sorted(Claim.objects.values_list("admin_claim_number", "trust_fund_amount")) == [
        ("P-1", D("120.00")),
        ("P-2", D("80.00")),
    ]
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        again = clerk_client.post("/claims/import/835/", {"file": file_of(text)})
    assert again.status_code == 200
    assert "an interchange is imported once. Nothing was done." in again.content.decode()


def test_problems_are_listed_by_segment_and_element_on_the_page(
    clerk_client, text, django_capture_on_commit_callbacks
):
    bad = text.replace("AMT*AU*120", "AMT*AU*12O")
    position = bad.split("~\n").index("AMT*AU*12O") + 1
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post("/claims/import/835/", {"file": file_of(bad)})
    page = clerk_client.get(response["Location"]).content.decode()
    assert "Problems by segment and element" in page
    assert f"<td>{position} (AMT)</td><td>AMT02</td>" in page
    assert "1 problem found: the file was refused, nothing was entered." in page
    assert not Claim.objects.exists()
    junk = clerk_client.post("/claims/import/835/", {"file": file_of("not x12 at all")})
    assert junk.status_code == 400
    assert "The file is not an X12 interchange" in junk.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_835_import_by_role(role, text, django_capture_on_commit_callbacks):
    client = client_of(role)
    writer = role == "clerk"
    reader = role in ("clerk", "superintendent", "administrator")
    assert client.get("/claims/import/835/").status_code == (200 if writer else 403)
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        api = client.post("/api/v1/remittances/", {"file": file_of(text)})
    assert api.status_code == (202 if writer else 403)
    if not writer:
        with celery_eager(), django_capture_on_commit_callbacks(execute=True):
            client_of("clerk").post("/api/v1/remittances/", {"file": file_of(text)})
    listing = client.get("/api/v1/remittances/")
    assert listing.status_code == (200 if reader else 403)
    if reader:
        row = listing.json()["results"][0]
        assert (row["status"], row["claims"], row["entered"]) == ("imported", 2, 2)
        assert row["progress"]["status"] == "succeeded"
        detail = client.get(f"/api/v1/remittances/{row['id']}/")
        assert detail.status_code == 200 and detail.json()["control_number"] == "000000077"
    page_post = client.post("/claims/import/835/", {"file": file_of(text)})
    assert page_post.status_code == (200 if writer else 403)  # writer: imported before


def test_anonymous_is_refused(client, text):
    assert client.get("/claims/import/835/").status_code == 302
    assert client.get("/api/v1/remittances/").status_code in (401, 403)
    assert client.post("/api/v1/remittances/", {"file": file_of(text)}).status_code in (401, 403)
    assert not Remittance.objects.exists()


def test_the_api_answers_400_409_and_202(clerk_client, text, django_capture_on_commit_callbacks):
    refused = clerk_client.post(
        "/api/v1/remittances/", {"file": file_of(text.replace("STAYWELLPLAN", "SOMEONEELSE1"))}
    )
    assert refused.status_code == 400
    assert refused.json()["problems"] == [
        {
            "segment": 1,
            "segment_id": "ISA",
            "element": "ISA08",
            "message": "The receiver SOMEONEELSE1 is not the plan (STAYWELLPLAN).",
        }
    ]
    assert clerk_client.post("/api/v1/remittances/", {}).status_code == 400
    with celery_eager(), django_capture_on_commit_callbacks(execute=True):
        first = clerk_client.post("/api/v1/remittances/", {"file": file_of(text)})
    assert first.status_code == 202
    second = clerk_client.post("/api/v1/remittances/", {"file": file_of(text)})
    assert second.status_code == 409
    assert second.json()["remittance"]["status"] == "imported"
    assert Claim.objects.count() == 2
